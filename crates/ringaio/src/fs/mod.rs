//! Files and paths, through the ring.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::op::Op;
use crate::ops::{PathOp, Statx};

mod file;
mod metadata;
mod open_options;

pub use file::File;
pub use metadata::Metadata;
pub use open_options::OpenOptions;

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
    let path = cstring(path.as_ref())?;
    Op::new(Statx::path(path)).await
}
