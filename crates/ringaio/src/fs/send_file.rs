//! `SendFile`: an open file on its way to another runtime thread.
//!
//! A [`File`] is `!Send`: its fd is shared with the requests in flight on its runtime, and
//! the file may hold a slot in that ring's registered-file table (or be a direct descriptor
//! that lives only in that table), which means nothing on another ring. A `SendFile` is the
//! file reduced to what every thread understands, a real fd it owns alone, with no slot and
//! no runtime; [`File::from_send`] makes it a `File` of the receiving thread's runtime. The
//! fd comes from [`File::try_into_fd`], the one way a `File` yields a real fd.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use crate::fs::File;

/// An open file that can be sent to another thread and opened there with
/// [`File::from_send`]; made by [`File::into_send`] (or [`SendFile::try_clone`]).
///
/// A [`File`] itself cannot cross threads:
///
/// ```compile_fail
/// # async fn f(pool: ringaio::Pool) -> std::io::Result<()> {
/// let file = ringaio::fs::File::open("/etc/hostname").await?;
/// pool.spawn_on(1, move || async move { drop(file) }); // error: `File` is not `Send`
/// # Ok(()) }
/// ```
///
/// A `SendFile` can: open on one pool thread, read on another.
///
/// ```
/// use ringaio::fs::{File, SendFile};
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-sendfile-{}", std::process::id()));
/// std::fs::write(&path, b"moved")?;
/// let pool = ringaio::Pool::builder().threads(2).build()?;
/// let opened = pool.spawn_on(0, {
///     let path = path.clone();
///     move || async move {
///         let file = File::open(&path).await?;
///         file.into_send().map_err(|_| std::io::Error::other("operations in flight"))
///     }
/// });
/// let sent: SendFile = futures::executor::block_on(opened).expect("task")?;
/// let read = pool.spawn_on(1, move || async move {
///     let file = File::from_send(sent);
///     let (n, buf) = file.read_at(Vec::with_capacity(8), 0).await;
///     n.map(|_| buf)
/// });
/// assert_eq!(futures::executor::block_on(read).expect("task")?, b"moved");
/// pool.shutdown()?;
/// std::fs::remove_file(&path)
/// # }
/// ```
pub struct SendFile {
    fd: OwnedFd,
}

impl fmt::Debug for SendFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFile")
            .field("fd", &self.fd.as_raw_fd())
            .finish()
    }
}

impl SendFile {
    /// A second, independent handle on the same open file (`fcntl(F_DUPFD_CLOEXEC)`).
    ///
    /// # Errors
    /// As `fcntl(2)` (EMFILE when out of file descriptors).
    pub fn try_clone(&self) -> io::Result<SendFile> {
        Ok(SendFile {
            fd: self.fd.try_clone()?,
        })
    }
}

impl AsFd for SendFile {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SendFile {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<SendFile> for OwnedFd {
    fn from(file: SendFile) -> OwnedFd {
        file.fd
    }
}

impl From<OwnedFd> for SendFile {
    fn from(fd: OwnedFd) -> SendFile {
        SendFile { fd }
    }
}

impl File {
    /// The file as a [`SendFile`], to open on another thread with [`File::from_send`]: its
    /// registered-file slot (or direct-descriptor slot) on this ring is given up and its
    /// real fd kept. While an operation on it is still in flight (one dropped before it
    /// completed, say) the fd is not this handle's alone, and the file comes back as `Err`;
    /// [`SendFile::try_clone`] of a [`File::try_clone`] then sends an independent fd.
    ///
    /// # Errors
    /// The `File` itself, when requests still use its fd (or, for a direct descriptor, no
    /// real fd could be made for it).
    pub fn into_send(self) -> Result<SendFile, File> {
        self.try_into_fd().map(SendFile::from)
    }

    /// Opens a [`SendFile`] on this thread: a `File` whose requests go to the runtime they
    /// run on (a registered-file slot there is taken as for any `File`).
    pub fn from_send(file: SendFile) -> File {
        File::from_fd(file.fd)
    }
}

#[cfg(test)]
mod tests {
    use super::SendFile;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn send_file_is_send_and_sync() {
        assert_send_sync::<SendFile>();
    }
}
