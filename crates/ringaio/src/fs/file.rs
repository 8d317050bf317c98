//! `File`: positioned reads and writes with owned buffers.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::Duration;

use crate::buf::{BufResult, FixedBuf, IoBuf, IoBufMut};
use crate::fd::SharedFd;
use crate::fs::{Metadata, OpenOptions, DEFAULT_MASK};
use crate::op::Op;
use crate::ops::{
    Close, CopyRange, Fallocate, Fsync, Ftruncate, Read, ReadV, RwFixed, Splice, Write, WriteV,
};
use ringaio_core::MAX_RW_COUNT;

/// How many ring round trips `File::close` makes for operations still in flight.
const CLOSE_REAPS: usize = 2;

/// An open file. All I/O is positioned (`pread`/`pwrite` style): there is no cursor, so one
/// `File` can serve many concurrent operations.
///
/// Buffers are passed by value and returned with the result, on success and on error.
/// The fd stays open until the file is dropped *and* no operation on it is in flight.
///
/// A `File` belongs to the runtime thread that opened it (it shares its fd with the requests
/// in flight there, and holds a slot in that ring's registered-file table), so it is not
/// `Send`:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// # async fn f() -> std::io::Result<()> {
/// let file = ringaio::fs::File::open("/etc/hostname").await?;
/// send(file); // error: `Rc<...>` cannot be sent between threads safely
/// # Ok(()) }
/// ```
///
/// To move an open file to another thread, turn it into a `std::fs::File` with
/// [`into_std`](File::into_std) (or duplicate it with `as_fd().try_clone_to_owned()`), send
/// that, and wrap it there with [`File::from_std`]:
///
/// ```
/// use ringaio::fs::File;
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-send-{}", std::process::id()));
/// std::fs::write(&path, b"moved")?;
/// let std_file = ringaio::block_on(async {
///     let file = File::open(&path).await?;
///     file.into_std().map_err(|_| std::io::Error::other("operations in flight"))
/// })?;
/// let read = std::thread::spawn(move || {
///     ringaio::block_on(async {
///         let file = File::from_std(std_file);
///         let (n, buf) = file.read_at(Vec::with_capacity(8), 0).await;
///         n.map(|_| buf)
///     })
/// })
/// .join()
/// .expect("the thread ran");
/// assert_eq!(read?, b"moved");
/// std::fs::remove_file(&path)
/// # }
/// ```
pub struct File {
    fd: SharedFd,
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("fd", &self.fd.describe())
            .finish()
    }
}

/// A direct file ([`OpenOptions::direct`]) gets a real fd installed the first time one is
/// asked for; -1 when none can be had (its runtime is gone, or the process is out of fds).
impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

/// A direct file ([`OpenOptions::direct`]) gets a real fd installed the first time one is
/// asked for.
///
/// # Panics
/// For a direct file that can have no real fd: used after its runtime was dropped, or with
/// the process out of fds.
impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        let raw = self.fd.raw();
        assert!(
            raw >= 0,
            "ringaio: no fd for this direct file (its runtime is gone, or no fd is free)"
        );
        // SAFETY: the fd stays open at least as long as `self` (its `SharedFd` owns it, or
        // keeps the fd installed for its direct slot), and it is not -1.
        unsafe { BorrowedFd::borrow_raw(raw) }
    }
}

fn offset(pos: u64, done: usize) -> io::Result<u64> {
    pos.checked_add(done as u64)
        .filter(|p| *p <= i64::MAX as u64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "file offset overflows"))
}

impl File {
    /// Opens `path` for reading.
    ///
    /// # Errors
    /// As [`OpenOptions::open`].
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Creates (or truncates) `path` for writing.
    ///
    /// # Errors
    /// As [`OpenOptions::open`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Options for opening a file.
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// The fd the file's requests hold on to.
    pub(crate) fn shared_fd(&self) -> &SharedFd {
        &self.fd
    }

    /// The fd itself, if no request still holds it; else the file back.
    pub(crate) fn try_into_fd(self) -> Result<OwnedFd, File> {
        self.fd.try_unwrap().map_err(|fd| File { fd })
    }

    pub(crate) fn from_fd(fd: OwnedFd) -> File {
        File {
            fd: SharedFd::new(fd),
        }
    }

    pub(crate) fn from_shared(fd: SharedFd) -> File {
        File { fd }
    }

    /// Whether the file is a direct descriptor (see [`OpenOptions::direct`]).
    pub fn is_direct(&self) -> bool {
        self.fd.is_direct()
    }

    /// Wraps a file opened by std.
    pub fn from_std(file: std::fs::File) -> File {
        File::from_fd(OwnedFd::from(file))
    }

    /// Reads up to `buf.bytes_total()` bytes (a `Vec`'s capacity) at `pos` into `buf`, from
    /// its start; returns how many, 0 only at the end of the file. The buffer's length is
    /// then exactly that many (see [`IoBufMut`]: no stale bytes after a short read into a
    /// reused buffer); read into [`IoBufMut::slice_mut`] to fill another part. A request
    /// over the kernel's per-request limit reads a prefix.
    ///
    /// ```
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-read-{}", std::process::id()));
    /// std::fs::write(&path, b"short")?;
    /// ringaio::block_on(async {
    ///     let file = File::open(&path).await?;
    ///     let (n, buf) = file.read_at(vec![b'x'; 64], 0).await;
    ///     assert_eq!(n?, 5);
    ///     assert_eq!(buf, b"short", "the length is what was read");
    ///     let (res, _) = file.read_at(Vec::new(), 0).await;
    ///     assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for a buffer with no room (`bytes_total() == 0`: an `Ok(0)` would look
    /// like the end of the file); the read's error (EBADF, EINVAL for an offset past
    /// `i64::MAX`, ...). The buffer comes back either way.
    pub fn read_at<B: IoBufMut>(
        &self,
        buf: B,
        pos: u64,
    ) -> impl Future<Output = (io::Result<usize>, B)> {
        // The operation itself is the future (no `async fn` around it): one state machine
        // less to move the buffer through on every read.
        Op::new(Read::new(&self.fd, buf, 0, pos))
    }

    /// Writes up to `buf.bytes_init()` bytes from `buf` at `pos`; returns how many.
    ///
    /// # Errors
    /// The write's error. The buffer comes back either way.
    pub fn write_at<B: IoBuf>(
        &self,
        buf: B,
        pos: u64,
    ) -> impl Future<Output = (io::Result<usize>, B)> {
        Op::new(Write::new(&self.fd, buf, 0, pos))
    }

    /// [`read_at`](File::read_at) with a deadline `timeout` after the first poll: when it
    /// passes first, the read is cancelled (by a linked `IORING_OP_LINK_TIMEOUT` on the ring,
    /// in the same batch; by a timer and a cancel on the fallback), and once the kernel (or
    /// the pool) has let go of the buffer it comes back with a `TimedOut` error. Unlike dropping the read (or
    /// [`time::timeout`](crate::time::timeout) around it), which leaves the buffer to the
    /// runtime until the request ends, this gives it back. A read that completes in the race
    /// with the cancel gives its bytes as usual.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (socket, _peer) = std::os::unix::net::UnixStream::pair()?;
    /// ringaio::block_on(async {
    ///     let pipe = File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(socket)));
    ///     // Nothing is ever written: the read times out, and the buffer comes back.
    ///     let (res, buf) = pipe.read_at_timeout(vec![0u8; 64], 0, Duration::from_millis(5)).await;
    ///     assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    ///     assert_eq!(buf.capacity(), 64);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// `TimedOut` when the deadline passed first; otherwise as [`read_at`](File::read_at).
    pub fn read_at_timeout<B: IoBufMut>(
        &self,
        buf: B,
        pos: u64,
        timeout: Duration,
    ) -> impl Future<Output = BufResult<usize, B>> {
        crate::link::read_at(self, buf, pos)
            .timeout(timeout)
            .into_future()
    }

    /// [`write_at`](File::write_at) with a deadline `timeout` after the first poll, as
    /// [`read_at_timeout`](File::read_at_timeout): the buffer comes back with a `TimedOut`
    /// error when the deadline passes first.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-wtimeout-{}", std::process::id()));
    /// ringaio::block_on(async {
    ///     let file = File::create(&path).await?;
    ///     let (n, _) = file.write_at_timeout(b"in time".to_vec(), 0, Duration::from_secs(60)).await;
    ///     assert_eq!(n?, 7);
    ///     ringaio::fs::remove_file(&path).await
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// `TimedOut` when the deadline passed first; otherwise as [`write_at`](File::write_at).
    pub fn write_at_timeout<B: IoBuf>(
        &self,
        buf: B,
        pos: u64,
        timeout: Duration,
    ) -> impl Future<Output = BufResult<usize, B>> {
        crate::link::write_at(self, buf, pos)
            .timeout(timeout)
            .into_future()
    }

    /// Fills the whole buffer, all of `buf.bytes_total()` (a `Vec`'s capacity), from its start
    /// with the bytes at `pos`, looping over short reads and splitting requests over the
    /// kernel's per-request limit. What the buffer held before is overwritten; to fill only
    /// part of it (say, after the bytes it holds), pass [`IoBufMut::slice_mut`]. A buffer with
    /// no room is filled at once: `Ok(())`, as `std::io::Read::read_exact` with an empty
    /// slice.
    ///
    /// # Errors
    /// `UnexpectedEof` if the file ends first (the buffer's length is then what was read);
    /// the first read error otherwise.
    pub async fn read_exact_at<B: IoBufMut>(&self, mut buf: B, pos: u64) -> BufResult<(), B> {
        let total = buf.bytes_total();
        let mut done = 0;
        while done < total {
            if done >= buf.bytes_total() {
                // The buffer now reports less room than it had: it cannot be filled.
                let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "the buffer's room shrank");
                return (Err(eof), buf);
            }
            let at = match offset(pos, done) {
                Ok(at) => at,
                Err(e) => return (Err(e), buf),
            };
            let (res, b) = Op::new(Read::new(&self.fd, buf, done, at)).await;
            buf = b;
            match res {
                Ok(0) => {
                    let eof = io::Error::new(io::ErrorKind::UnexpectedEof, "file ended early");
                    return (Err(eof), buf);
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Writes all of `buf.bytes_init()` at `pos`, looping over short writes and splitting
    /// requests over the kernel's per-request limit.
    ///
    /// # Errors
    /// `WriteZero` if the kernel accepts no bytes; the first write error otherwise.
    pub async fn write_all_at<B: IoBuf>(&self, mut buf: B, pos: u64) -> BufResult<(), B> {
        let total = buf.bytes_init();
        let mut done = 0;
        while done < total {
            let at = match offset(pos, done) {
                Ok(at) => at,
                Err(e) => return (Err(e), buf),
            };
            let (res, b) = Op::new(Write::new(&self.fd, buf, done, at)).await;
            buf = b;
            match res {
                Ok(0) => {
                    let zero = io::Error::new(io::ErrorKind::WriteZero, "wrote no bytes");
                    return (Err(zero), buf);
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return (Err(e), buf),
            }
        }
        (Ok(()), buf)
    }

    /// Reads up to the buffer's capacity at `pos` into a registered buffer (`READ_FIXED`:
    /// no per-request page pinning); returns how many bytes.
    ///
    /// # Errors
    /// The read's error. The buffer comes back either way.
    pub fn read_fixed_at(
        &self,
        buf: FixedBuf,
        pos: u64,
    ) -> impl Future<Output = (io::Result<usize>, FixedBuf)> {
        Op::new(RwFixed::read(&self.fd, buf, pos))
    }

    /// Writes the buffer's initialized bytes at `pos` from a registered buffer
    /// (`WRITE_FIXED`); returns how many bytes.
    ///
    /// # Errors
    /// The write's error. The buffer comes back either way.
    pub fn write_fixed_at(
        &self,
        buf: FixedBuf,
        pos: u64,
    ) -> impl Future<Output = (io::Result<usize>, FixedBuf)> {
        Op::new(RwFixed::write(&self.fd, buf, pos))
    }

    /// Reads at `pos` into the buffers in order (`preadv2`); returns the total.
    ///
    /// # Errors
    /// The read's error. The buffers come back either way.
    pub async fn readv_at<B: IoBufMut>(
        &self,
        bufs: Vec<B>,
        pos: u64,
    ) -> (io::Result<usize>, Vec<B>) {
        Op::new(ReadV::new(&self.fd, bufs, pos)).await
    }

    /// Writes the buffers in order at `pos` (`pwritev2`); returns the total.
    ///
    /// # Errors
    /// The write's error. The buffers come back either way.
    pub async fn writev_at<B: IoBuf>(&self, bufs: Vec<B>, pos: u64) -> (io::Result<usize>, Vec<B>) {
        Op::new(WriteV::new(&self.fd, bufs, pos)).await
    }

    /// Flushes data and metadata to the device (`fsync`).
    ///
    /// # Errors
    /// As `fsync(2)` (EIO, ...).
    pub async fn sync_all(&self) -> io::Result<()> {
        Op::new(Fsync::new(&self.fd, false)).await
    }

    /// Flushes data, and metadata only as needed to read it back (`fdatasync`).
    ///
    /// # Errors
    /// As `fdatasync(2)`.
    pub async fn sync_data(&self) -> io::Result<()> {
        Op::new(Fsync::new(&self.fd, true)).await
    }

    /// `fallocate(offset, len, mode)`: with mode 0, reserves the space (and extends the file).
    ///
    /// # Errors
    /// As `fallocate(2)` (ENOSPC, EOPNOTSUPP, EINVAL for a range past `i64::MAX`).
    pub async fn fallocate(&self, offset: u64, len: u64, mode: i32) -> io::Result<()> {
        Op::new(Fallocate::new(&self.fd, offset, len, mode)).await
    }

    /// Metadata of the open file (`statx` with `AT_EMPTY_PATH`).
    ///
    /// # Errors
    /// As `statx(2)`.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        self.metadata_with(DEFAULT_MASK).await
    }

    /// Truncates or extends the file to `len` bytes (`ftruncate`).
    ///
    /// # Errors
    /// As `ftruncate(2)` (EINVAL for a length past `i64::MAX`, EBADF if not open for writing).
    pub async fn set_len(&self, len: u64) -> io::Result<()> {
        Op::new(Ftruncate::new(&self.fd, len)).await
    }

    /// Copies up to `len` bytes from this file at `pos` to `dst` at `dst_pos` inside the
    /// kernel (`copy_file_range(2)`, which io_uring does not have: it runs on the blocking
    /// pool); returns how many (0 at the end of this file). Neither file position moves.
    ///
    /// # Errors
    /// As `copy_file_range(2)`: `EXDEV`, `EINVAL` or `EOPNOTSUPP` where the kernel cannot copy
    /// between these files (copy through a buffer instead), `EBADF` unless this file is open
    /// for reading and `dst` for writing (not appending).
    pub async fn copy_range_to(
        &self,
        pos: u64,
        dst: &File,
        dst_pos: u64,
        len: usize,
    ) -> io::Result<usize> {
        let len = len.min(MAX_RW_COUNT as usize);
        Op::new(CopyRange::new(&self.fd, pos, &dst.fd, dst_pos, len)).await
    }

    /// Moves up to `len` bytes from this file (at `pos`, or from its file position with
    /// `None`) to `dst` (likewise) with `splice(2)` (`IORING_OP_SPLICE`; the blocking pool on
    /// kernels without it). One of the two must be a pipe (wrap one with [`File::from_std`]).
    /// Returns how many bytes moved (0 at the end of the input).
    ///
    /// # Errors
    /// As `splice(2)`: `EINVAL` when neither is a pipe, or for an offset on a pipe; `ESPIPE`.
    pub async fn splice_to(
        &self,
        pos: Option<u64>,
        dst: &File,
        dst_pos: Option<u64>,
        len: u32,
    ) -> io::Result<usize> {
        let len = len.min(MAX_RW_COUNT as u32);
        Op::new(Splice::new(&self.fd, pos, &dst.fd, dst_pos, len)).await
    }

    /// Closes the file through the ring and reports `close`'s result.
    ///
    /// Operations on the file that are still in flight keep the fd open: their futures hold
    /// it, and so does the runtime for a dropped one until the kernel confirms its cancel.
    /// `close` first lets the runtime reap what is already on its way back (a cancel sent a
    /// moment ago); if operations remain, it does not wait for them (one may be a future the
    /// caller has yet to await) and reports `EBUSY` instead: the fd is then closed when the
    /// last of them completes, and that close's result is not seen.
    ///
    /// # Errors
    /// As `close(2)` (EIO on some filesystems); `EBUSY` as above. Outside a runtime the fd is
    /// closed all the same, and the error says there was no runtime.
    pub async fn close(self) -> io::Result<()> {
        let mut shared = self.fd;
        for _ in 0..CLOSE_REAPS {
            match closer(shared) {
                Ok(close) => return Op::new(close).await,
                // A round trip through the ring lets completions already posted come in.
                Err(still) => shared = still,
            }
            if crate::nop().await.is_err() {
                break;
            }
        }
        match closer(shared) {
            Ok(close) => Op::new(close).await,
            // Still in flight: it closes when the last of them completes.
            Err(_still_in_flight) => Err(io::Error::from_raw_os_error(libc::EBUSY)),
        }
    }
}

/// The close of `shared` (its fd, or its direct slot), if nothing else holds it.
fn closer(shared: SharedFd) -> Result<Close, SharedFd> {
    if shared.is_direct() {
        return shared.try_take_slot().map(Close::direct);
    }
    shared.try_unwrap().map(Close::new)
}
