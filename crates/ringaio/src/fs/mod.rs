//! Files and paths, through the ring.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::op::Op;
use crate::ops::{PathOp, Statx};

mod dir;
mod file;
mod file_handle;
mod metadata;
mod open_options;
mod read_dir;
mod send_file;
mod tree;
mod whole;

pub use dir::Dir;
pub use file::File;
pub use metadata::{Metadata, DEFAULT_MASK};
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};
pub use send_file::SendFile;
pub use tree::{canonicalize, create_dir_all, read_link, remove_dir_all, set_permissions};
pub use whole::{copy, read, write};

/// `path` as a C string.
pub(crate) fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("path contains a NUL byte: {}", path.display()),
        )
    })
}

/// Removes a file (`unlinkat`).
///
/// # Errors
/// As `unlink(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    let path = cstring(path.as_ref())?;
    Op::new(PathOp::Unlink { path, dir: false }).await
}

/// Removes an empty directory (`unlinkat` with `AT_REMOVEDIR`).
///
/// # Errors
/// As `rmdir(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = cstring(path.as_ref())?;
    Op::new(PathOp::Unlink { path, dir: true }).await
}

/// Renames `from` to `to`, replacing `to` if it exists (`renameat2`).
///
/// # Errors
/// As `rename(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let from = cstring(from.as_ref())?;
    let to = cstring(to.as_ref())?;
    Op::new(PathOp::Rename { from, to }).await
}

/// Creates a directory with mode `0o777` before the umask (`mkdirat`).
///
/// # Errors
/// As `mkdir(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn create_dir(path: impl AsRef<Path>) -> io::Result<()> {
    let path = cstring(path.as_ref())?;
    Op::new(PathOp::Mkdir { path, mode: 0o777 }).await
}

/// Metadata of `path`, following symlinks (`statx`).
///
/// # Errors
/// As `statx(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    metadata_with(path, DEFAULT_MASK).await
}

/// Metadata of `path`, following symlinks, with the fields in `mask` (`libc::STATX_*` bits;
/// [`Metadata::mask`] says which the kernel filled). Asking for less can be cheaper on
/// network filesystems.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let meta = ringaio::fs::metadata_with("/", libc::STATX_TYPE | libc::STATX_INO).await?;
///     assert!(meta.is_dir());
///     assert_ne!(meta.mask() & libc::STATX_INO, 0);
///     Ok(())
/// })
/// # }
/// ```
///
/// # Errors
/// As `statx(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn metadata_with(path: impl AsRef<Path>, mask: u32) -> io::Result<Metadata> {
    let path = cstring(path.as_ref())?;
    Op::new(Statx::path(path, true, mask)).await
}

/// Metadata of `path` itself when it is a symbolic link, not of what it points at (`statx`
/// with `AT_SYMLINK_NOFOLLOW`).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let link = std::env::temp_dir().join(format!("ringaio-doc-lstat-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::symlink("/", &link).await?;
///     assert!(ringaio::fs::symlink_metadata(&link).await?.is_symlink());
///     assert!(ringaio::fs::metadata(&link).await?.is_dir());
///     ringaio::fs::remove_file(&link).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `statx(2)`; `InvalidInput` for a path with a NUL byte.
pub async fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    let path = cstring(path.as_ref())?;
    Op::new(Statx::path(path, false, DEFAULT_MASK)).await
}

/// Creates a hard link `link` to the file at `original` (`linkat`; a symlink at `original`
/// is linked, not followed).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("ringaio-doc-ln-a-{}", std::process::id())),
///               dir.join(format!("ringaio-doc-ln-b-{}", std::process::id())));
/// ringaio::block_on(async {
///     ringaio::fs::write(&a, b"shared").await?;
///     ringaio::fs::hard_link(&a, &b).await?;
///     assert_eq!(ringaio::fs::metadata(&b).await?.nlink(), 2);
///     ringaio::fs::remove_file(&a).await?;
///     ringaio::fs::remove_file(&b).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `link(2)` (AlreadyExists, NotFound, EXDEV across filesystems); `InvalidInput` for a
/// path with a NUL byte.
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let from = cstring(original.as_ref())?;
    let to = cstring(link.as_ref())?;
    Op::new(PathOp::Link { from, to }).await
}

/// Creates a symbolic link at `link` whose contents are `original` (`symlinkat`; `original`
/// need not exist, and a relative one is relative to the link's directory).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let link = std::env::temp_dir().join(format!("ringaio-doc-symlink-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::symlink("/", &link).await?;
///     assert_eq!(ringaio::fs::read_link(&link).await?, std::path::Path::new("/"));
///     ringaio::fs::remove_file(&link).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `symlink(2)` (AlreadyExists, NotFound for a missing parent); `InvalidInput` for a path
/// with a NUL byte.
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let target = cstring(original.as_ref())?;
    let link = cstring(link.as_ref())?;
    Op::new(PathOp::Symlink { target, link }).await
}
