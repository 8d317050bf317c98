//! FIFOs, devices and sockets at either end of a copy: streamed in the kernel with `splice`
//! through the runtime (`IORING_OP_SPLICE`), where `copy_file_range` has nothing to offer
//! (it needs two regular files). A pipe at either end is spliced to or from directly;
//! otherwise (a character device into a regular file) the data passes through a pipe of our
//! own, in one `splice` in and one out. Where the kernel cannot splice (a device without
//! `splice_read`, a destination without `splice_write`: `EINVAL` before a byte moved), the
//! caller copies through the ring's reads and writes instead.

use std::fs;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;

use ringaio::fs::File;

use crate::ctx::Ctx;

/// Most bytes one `splice` request moves (a pipe holds 64 KiB unless resized).
const CHUNK: u32 = 1 << 20;

/// Bytes our own pipe is asked to hold (`F_SETPIPE_SZ`; the default stays if refused).
const PIPE_SIZE: libc::c_int = 1 << 20;

/// What kind of file one end is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A regular file: spliced at explicit offsets.
    Regular,
    /// A pipe or FIFO: `splice`'s natural end.
    Pipe,
    /// A character or block device, or a socket: read or written at its own position.
    Other,
}

impl Kind {
    pub(crate) fn of(kind: fs::FileType) -> Kind {
        if kind.is_file() {
            Kind::Regular
        } else if kind.is_fifo() {
            Kind::Pipe
        } else {
            Kind::Other
        }
    }

    /// The offset `splice` is given at `pos`: none on a file without one.
    fn at(self, pos: u64) -> Option<u64> {
        (self == Kind::Regular).then_some(pos)
    }
}

/// Why a stream stopped.
#[derive(Debug)]
pub(crate) enum StreamError {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `src` (of kind `from`) to `dst` (of kind `to`) to the end of `src` with `splice`;
/// returns the bytes copied, or `None` when the kernel cannot splice between them (nothing
/// was moved: copy another way).
///
/// # Errors
/// A failed read or write after the first byte moved, or one that is not `EINVAL`.
pub(crate) async fn splice_all(
    ctx: &Ctx,
    src: &File,
    from: Kind,
    dst: &File,
    to: Kind,
) -> Result<Option<u64>, StreamError> {
    if from == Kind::Pipe || to == Kind::Pipe {
        return direct(ctx, src, from, dst, to).await;
    }
    if to != Kind::Regular {
        // Device to device: a pipe between them could be left holding data the destination
        // refuses; reads and writes do it.
        return Ok(None);
    }
    let (read_end, write_end) = pipe().map_err(StreamError::Read)?;
    let copied = through_pipe(ctx, src, from, &read_end, &write_end, dst, to).await;
    let _ = read_end.close().await;
    let _ = write_end.close().await;
    copied
}

/// One end is a pipe: each `splice` moves data straight from `src` to `dst`.
async fn direct(
    ctx: &Ctx,
    src: &File,
    from: Kind,
    dst: &File,
    to: Kind,
) -> Result<Option<u64>, StreamError> {
    let mut pos = 0u64;
    loop {
        match src.splice_to(from.at(pos), dst, to.at(pos), CHUNK).await {
            Ok(0) => return Ok(Some(pos)),
            Ok(n) => {
                pos += n as u64;
                ctx.progress.advance(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if pos == 0 && e.raw_os_error() == Some(libc::EINVAL) => return Ok(None),
            // Which end failed is not said; a full disk or a closed reader is the writer's.
            Err(e) if is_write_error(&e) => return Err(StreamError::Write(e)),
            Err(e) => return Err(StreamError::Read(e)),
        }
    }
}

/// Neither end is a pipe: `src` into our pipe, then the pipe into `dst`, in turn.
async fn through_pipe(
    ctx: &Ctx,
    src: &File,
    from: Kind,
    read_end: &File,
    write_end: &File,
    dst: &File,
    to: Kind,
) -> Result<Option<u64>, StreamError> {
    let mut pos = 0u64;
    loop {
        let n = match src.splice_to(from.at(pos), write_end, None, CHUNK).await {
            Ok(0) => return Ok(Some(pos)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if pos == 0 && e.raw_os_error() == Some(libc::EINVAL) => return Ok(None),
            Err(e) => return Err(StreamError::Read(e)),
        };
        let mut left = n;
        while left > 0 {
            let want = u32::try_from(left).unwrap_or(CHUNK);
            match read_end.splice_to(None, dst, to.at(pos), want).await {
                Ok(0) => return Err(StreamError::Write(io::ErrorKind::WriteZero.into())),
                Ok(m) => {
                    left -= m;
                    pos += m as u64;
                    ctx.progress.advance(m as u64);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(StreamError::Write(e)),
            }
        }
    }
}

/// Errors that come from the writing end of a splice.
fn is_write_error(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG | libc::EPIPE)
    )
}

/// A pipe of our own (close-on-exec), enlarged where the system allows.
fn pipe() -> io::Result<(File, File)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both descriptors are open and owned by nobody else.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: F_SETPIPE_SZ reads no memory; a refusal (over the limit) leaves the default.
    unsafe { libc::fcntl(fds[1], libc::F_SETPIPE_SZ, PIPE_SIZE) };
    Ok((
        File::from_std(fs::File::from(read_end)),
        File::from_std(fs::File::from(write_end)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_only_on_regular_files() {
        assert_eq!(Kind::Regular.at(5), Some(5));
        assert_eq!(Kind::Pipe.at(5), None);
        assert_eq!(Kind::Other.at(5), None);
    }
}
