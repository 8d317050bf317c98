//! `BufFile`: a file with a cursor and one owned buffer, for the `AsyncRead` / `AsyncWrite`
//! world.

use std::fmt;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use crate::fs::File;
use crate::op::Op;
use crate::ops::{Read, Statx, Write};

/// The buffer's default size.
const DEFAULT_CAPACITY: usize = 64 * 1024;

/// The most one read asks for when the caller's buffer is larger than the file's own.
const MAX_READ: usize = 8 << 20;

/// A [`File`] with a cursor and a buffer of its own, so it can stand behind the borrowed-
/// buffer traits of the async ecosystem: `futures::io::{AsyncRead, AsyncWrite, AsyncSeek,
/// AsyncBufRead}` and, with the `tokio` feature, `tokio::io::{AsyncRead, AsyncWrite,
/// AsyncBufRead}`.
///
/// Those traits lend the caller's buffer for one poll only, and the kernel may write into
/// memory after the future that asked is gone, so reads go into the file's own buffer and
/// are copied out once (the buffered traits, `AsyncBufRead`, lend that buffer out without
/// the copy). A caller's buffer larger than the file's makes that one read larger (up to
/// 8 MiB), so it is filled by one request rather than many. Writes are gathered in the same
/// buffer and go out when it is full, on `flush`, on `close`, and before a seek or a read.
///
/// Dropping a `BufFile` with unwritten bytes loses them: `flush` (or `close`) first.
///
/// ```
/// use futures::io::{AsyncBufReadExt, AsyncWriteExt};
/// use ringaio::io::BufFile;
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-buffile-{}", std::process::id()));
/// ringaio::block_on(async {
///     let mut out = BufFile::new(ringaio::fs::File::create(&path).await?);
///     out.write_all(b"one\ntwo\n").await?;
///     out.close().await?;
///     let mut lines = BufFile::new(ringaio::fs::File::open(&path).await?).lines();
///     let mut got = Vec::new();
///     while let Some(line) = futures::StreamExt::next(&mut lines).await {
///         got.push(line?);
///     }
///     assert_eq!(got, ["one", "two"]);
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
pub struct BufFile {
    file: File,
    /// The buffer, while no request has it.
    buf: Option<Vec<u8>>,
    /// Where in the file `buf[0]` is (read-ahead) or goes (pending writes).
    buf_pos: u64,
    /// Read-ahead: `buf[start..]` is still to be read. Writing: `buf[..start]` is written.
    start: usize,
    /// Whether `buf` holds bytes to write (else bytes read ahead).
    writing: bool,
    capacity: usize,
    /// The request in flight, if any.
    op: Option<InFlight>,
    /// A seek waiting for the file's size: the offset from the end.
    seek_from_end: Option<i64>,
}

enum InFlight {
    Read(Op<Read<Vec<u8>>>),
    Write(Op<Write<Vec<u8>>>),
    Stat(Op<Statx>),
}

impl BufFile {
    /// Wraps `file` with the cursor at 0 and a 64 KiB buffer.
    pub fn new(file: File) -> BufFile {
        BufFile::with_capacity(DEFAULT_CAPACITY, file)
    }

    /// Wraps `file` with the cursor at 0 and a buffer of `capacity` bytes (at least 1).
    ///
    /// ```
    /// use futures::io::AsyncReadExt;
    /// use ringaio::io::BufFile;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-bufcap-{}", std::process::id()));
    /// std::fs::write(&path, b"0123456789")?;
    /// ringaio::block_on(async {
    ///     let mut file = BufFile::with_capacity(4, ringaio::fs::File::open(&path).await?);
    ///     let mut three = [0u8; 3];
    ///     file.read_exact(&mut three).await?;
    ///     assert_eq!(file.position(), 3);
    ///     assert!(file.get_ref().metadata().await?.is_file());
    ///     let plain = file.into_inner();
    ///     plain.close().await
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn with_capacity(capacity: usize, file: File) -> BufFile {
        BufFile {
            file,
            buf: Some(Vec::new()),
            buf_pos: 0,
            start: 0,
            writing: false,
            capacity: capacity.max(1),
            op: None,
            seek_from_end: None,
        }
    }

    /// The file.
    pub fn get_ref(&self) -> &File {
        &self.file
    }

    /// The file back. Bytes not yet written are lost: `flush` first.
    pub fn into_inner(self) -> File {
        self.file
    }

    /// The cursor: where the next read or write happens.
    pub fn position(&self) -> u64 {
        self.buf_pos + self.start as u64 + self.pending_writes() as u64
    }

    fn pending_writes(&self) -> usize {
        match (&self.buf, self.writing) {
            (Some(buf), true) => buf.len() - self.start,
            _ => 0,
        }
    }

    /// Drives the request in flight to its end. `Ok(Some(n))`: a read delivered `n` bytes.
    fn poll_op(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<usize>>> {
        let Some(op) = self.op.as_mut() else {
            return Poll::Ready(Ok(None));
        };
        let done = match op {
            InFlight::Read(op) => {
                let (res, buf) = ready!(Pin::new(op).poll(cx));
                self.buf = Some(buf);
                res.map(Some)
            }
            InFlight::Write(op) => {
                let (res, buf) = ready!(Pin::new(op).poll(cx));
                self.buf = Some(buf);
                match res {
                    Ok(0) => Err(io::Error::new(io::ErrorKind::WriteZero, "wrote no bytes")),
                    Ok(n) => {
                        self.start += n;
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            }
            InFlight::Stat(op) => {
                let res = ready!(Pin::new(op).poll(cx));
                let from_end = self.seek_from_end.take().unwrap_or(0);
                res.and_then(|meta| {
                    self.move_to(offset(meta.len(), from_end)?);
                    Ok(None)
                })
            }
        };
        self.op = None;
        Poll::Ready(done)
    }

    /// Writes out every gathered byte.
    fn poll_flush_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_op(cx))?;
            if !self.writing {
                return Poll::Ready(Ok(()));
            }
            let Some(mut buf) = self.buf.take() else {
                return Poll::Ready(Ok(()));
            };
            if self.start >= buf.len() {
                // All written: the buffer is empty at the cursor.
                self.buf_pos += buf.len() as u64;
                buf.clear();
                self.buf = Some(buf);
                self.start = 0;
                self.writing = false;
                return Poll::Ready(Ok(()));
            }
            let at = match offset(self.buf_pos, self.start as i64) {
                Ok(at) => at,
                Err(e) => {
                    self.buf = Some(buf);
                    return Poll::Ready(Err(e));
                }
            };
            let fd = self.file.shared_fd();
            self.op = Some(InFlight::Write(Op::new(Write::new(
                fd, buf, self.start, at,
            ))));
        }
    }

    /// Empties the buffer and puts the cursor at `target` (keeping read-ahead that covers it).
    fn move_to(&mut self, target: u64) {
        if let Some(buf) = self.buf.as_mut() {
            let end = self.buf_pos + buf.len() as u64;
            if !self.writing && target >= self.buf_pos && target <= end {
                self.start = (target - self.buf_pos) as usize;
                return;
            }
            buf.clear();
        }
        self.buf_pos = target;
        self.start = 0;
        self.writing = false;
    }

    /// The read-ahead bytes, reading more first if there are none; empty at the end of the
    /// file. `want` is how much the caller asked for, to size the read.
    pub(crate) fn poll_fill(
        &mut self,
        cx: &mut Context<'_>,
        want: usize,
    ) -> Poll<io::Result<&[u8]>> {
        if self.writing {
            ready!(self.poll_flush_buf(cx))?;
        }
        loop {
            if ready!(self.poll_op(cx))? == Some(0) {
                // The end of the file (the buffer came back empty).
                return Poll::Ready(Ok(&[]));
            }
            let Some(buf) = self.buf.as_mut() else {
                return Poll::Ready(Ok(&[]));
            };
            if self.start < buf.len() {
                return Poll::Ready(Ok(&self.buf.as_deref().unwrap_or_default()[self.start..]));
            }
            // Nothing left: read at the cursor, into room for what the caller wants.
            self.buf_pos += buf.len() as u64;
            self.start = 0;
            buf.clear();
            let room = want.clamp(self.capacity, MAX_READ.max(self.capacity));
            buf.try_reserve(room)
                .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
            let Some(buf) = self.buf.take() else {
                return Poll::Ready(Ok(&[]));
            };
            let fd = self.file.shared_fd();
            self.op = Some(InFlight::Read(Op::new(Read::new(fd, buf, 0, self.buf_pos))));
        }
    }

    /// Marks `amt` read-ahead bytes as read.
    pub(crate) fn consume_buf(&mut self, amt: usize) {
        if let (Some(buf), false) = (&self.buf, self.writing) {
            self.start = (self.start + amt).min(buf.len());
        }
    }

    /// Copies read-ahead bytes into `out`, reading more first if there are none.
    pub(crate) fn poll_read_into(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if out.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let data = ready!(self.poll_fill(cx, out.len()))?;
        let n = data.len().min(out.len());
        out[..n].copy_from_slice(&data[..n]);
        self.consume_buf(n);
        Poll::Ready(Ok(n))
    }

    /// Gathers `data` in the buffer, writing the buffer out first when it is full.
    pub(crate) fn poll_write_from(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        ready!(self.poll_op(cx))?;
        if !self.writing {
            // Read-ahead is dropped: the write goes at the cursor.
            let cursor = self.position();
            if let Some(buf) = self.buf.as_mut() {
                buf.clear();
            }
            self.buf_pos = cursor;
            self.start = 0;
            self.writing = true;
        }
        if self.buf.as_ref().is_some_and(|b| b.len() >= self.capacity) {
            ready!(self.poll_flush_buf(cx))?;
            self.writing = true;
        }
        let Some(buf) = self.buf.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        let n = data.len().min(self.capacity.saturating_sub(buf.len()));
        buf.extend_from_slice(&data[..n]);
        Poll::Ready(Ok(n))
    }

    /// Writes out the gathered bytes.
    pub(crate) fn poll_flush_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_flush_buf(cx)
    }

    /// Moves the cursor (writing out gathered bytes first). Called again with the same
    /// `pos` after `Pending`, as the seek traits require.
    pub(crate) fn poll_seek_to(
        &mut self,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        if matches!(self.op, Some(InFlight::Stat(_))) {
            // The file's size for a seek from the end, asked for by an earlier call.
            ready!(self.poll_op(cx))?;
            return Poll::Ready(Ok(self.position()));
        }
        ready!(self.poll_flush_buf(cx))?;
        let target = match pos {
            SeekFrom::Start(n) => n,
            SeekFrom::Current(d) => offset(self.position(), d)?,
            SeekFrom::End(d) => {
                self.seek_from_end = Some(d);
                let stat = Statx::fd(self.file.shared_fd(), libc::STATX_SIZE);
                self.op = Some(InFlight::Stat(Op::new(stat)));
                ready!(self.poll_op(cx))?;
                return Poll::Ready(Ok(self.position()));
            }
        };
        self.move_to(target);
        Poll::Ready(Ok(target))
    }
}

/// `base + delta` as a file offset.
fn offset(base: u64, delta: i64) -> io::Result<u64> {
    base.checked_add_signed(delta)
        .filter(|p| *p <= i64::MAX as u64)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative or overflowing position",
            )
        })
}

impl fmt::Debug for BufFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufFile")
            .field("file", &self.file)
            .field("position", &self.position())
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}
