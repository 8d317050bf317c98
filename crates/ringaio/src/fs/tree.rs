//! Whole directory trees and resolved paths: `create_dir_all`, `remove_dir_all`,
//! `canonicalize`, `read_link`, `set_permissions`. io_uring has no opcode for these; they run
//! off the runtime thread.

use std::fs::Permissions;
use std::io;
use std::path::{Path, PathBuf};

use crate::unblock::unblock;

/// Creates `path` and every missing parent directory (`std::fs::create_dir_all`); an
/// existing directory is fine.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let top = std::env::temp_dir().join(format!("ringaio-doc-mkdirs-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::create_dir_all(top.join("a/b/c")).await?;
///     assert!(ringaio::fs::metadata(top.join("a/b/c")).await?.is_dir());
///     ringaio::fs::remove_dir_all(&top).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `std::fs::create_dir_all` (PermissionDenied, a parent that is a file, ...).
pub async fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    unblock(move || std::fs::create_dir_all(path)).await
}

/// Removes `path`, a directory, with everything in it (`std::fs::remove_dir_all`: symlinks
/// are removed, not followed).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let top = std::env::temp_dir().join(format!("ringaio-doc-rmtree-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::create_dir_all(top.join("sub")).await?;
///     ringaio::fs::write(top.join("sub/file"), b"x").await?;
///     ringaio::fs::remove_dir_all(&top).await?;
///     assert!(ringaio::fs::metadata(&top).await.is_err());
///     Ok(())
/// })
/// # }
/// ```
///
/// # Errors
/// As `std::fs::remove_dir_all` (NotFound, PermissionDenied, `path` not a directory).
pub async fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    unblock(move || std::fs::remove_dir_all(path)).await
}

/// The absolute path of `path` with every symlink, `.` and `..` resolved
/// (`std::fs::canonicalize`).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let here = ringaio::fs::canonicalize(".").await?;
///     assert!(here.is_absolute());
///     Ok(())
/// })
/// # }
/// ```
///
/// # Errors
/// As `std::fs::canonicalize` (NotFound for a missing component).
pub async fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    unblock(move || std::fs::canonicalize(path)).await
}

/// Where the symbolic link at `path` points (`readlink`).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let link = std::env::temp_dir().join(format!("ringaio-doc-readlink-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::symlink("some/target", &link).await?;
///     assert_eq!(ringaio::fs::read_link(&link).await?, std::path::Path::new("some/target"));
///     ringaio::fs::remove_file(&link).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `readlink(2)` (NotFound; `InvalidInput` when `path` is not a symlink).
pub async fn read_link(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref().to_owned();
    unblock(move || std::fs::read_link(path)).await
}

/// Sets the permission bits of the file at `path`, following symlinks (`chmod`).
///
/// ```
/// use std::os::unix::fs::PermissionsExt;
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-chmod-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::write(&path, b"x").await?;
///     ringaio::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).await?;
///     assert_eq!(ringaio::fs::metadata(&path).await?.permissions().mode(), 0o600);
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `chmod(2)` (NotFound, PermissionDenied).
pub async fn set_permissions(path: impl AsRef<Path>, perm: Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    unblock(move || std::fs::set_permissions(path, perm)).await
}
