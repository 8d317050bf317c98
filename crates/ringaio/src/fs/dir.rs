//! `Dir`: an open directory, to open files relative to (`openat`).

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;

use crate::fd::SharedFd;
use crate::fs::cstring;
use crate::op::Op;
use crate::ops::Open;

/// An open directory. [`OpenOptions::open_at`](crate::fs::OpenOptions::open_at) opens files
/// relative to it, so a path is resolved from a directory fixed once, whatever happens to
/// the path that led there (renamed parents, a changed working directory).
///
/// ```
/// use ringaio::fs::{Dir, File};
///
/// # fn main() -> std::io::Result<()> {
/// let top = std::env::temp_dir().join(format!("ringaio-doc-dir-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::create_dir_all(&top).await?;
///     let dir = Dir::open(&top).await?;
///     let file = File::options().write(true).create(true).open_at(&dir, "inside").await?;
///     let (n, _) = file.write_at(b"hi".to_vec(), 0).await;
///     assert_eq!(n?, 2);
///     assert_eq!(ringaio::fs::read(top.join("inside")).await?, b"hi");
///     ringaio::fs::remove_dir_all(&top).await
/// })
/// # }
/// ```
pub struct Dir {
    fd: SharedFd,
}

impl Dir {
    /// Opens the directory at `path` (`O_RDONLY | O_DIRECTORY`, through the ring).
    ///
    /// # Errors
    /// As `open(2)`: NotFound, `ENOTDIR` when `path` is not a directory, PermissionDenied;
    /// `InvalidInput` for a path with a NUL byte.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<Dir> {
        let path = cstring(path.as_ref())?;
        let flags = libc::O_RDONLY | libc::O_DIRECTORY;
        let fd = Op::new(Open::new(path, flags, 0)).await?;
        Ok(Dir::from_fd(fd))
    }

    /// Wraps a directory opened by std (`std::fs::File::open(dir)`).
    ///
    /// ```
    /// use ringaio::fs::{Dir, File};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let dir = Dir::from_std(std::fs::File::open("/")?);
    ///     let root = File::options().read(true).open_at(&dir, ".").await?;
    ///     assert!(root.metadata().await?.is_dir());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn from_std(dir: std::fs::File) -> Dir {
        Dir::from_fd(OwnedFd::from(dir))
    }

    fn from_fd(fd: OwnedFd) -> Dir {
        Dir {
            fd: SharedFd::new(fd),
        }
    }

    pub(crate) fn shared_fd(&self) -> &SharedFd {
        &self.fd
    }
}

impl fmt::Debug for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dir").field("fd", &self.fd.raw()).finish()
    }
}

impl AsRawFd for Dir {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl AsFd for Dir {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the fd stays open at least as long as `self` (its `SharedFd` owns it).
        unsafe { BorrowedFd::borrow_raw(self.fd.raw()) }
    }
}
