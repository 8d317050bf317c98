//! Whole-file helpers: `read`, `write`, `copy`.

use std::io;
use std::path::Path;
use std::rc::Rc;

use ringaio_core::{Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{BufResult, IoBuf};
use crate::context;
use crate::fd::SharedFd;
use crate::fs::{cstring, File};
use crate::link::{link3, Step};
use crate::op::Op;
use crate::ops::{CloseOpened, OpenSlot, OpenedSlot, Read, ReservedSlot, Write};
use crate::unblock::unblock;

/// How much more room a read makes when the buffer is full and the file's size says nothing.
const READ_CHUNK: usize = 64 * 1024;

/// The room of `read`'s first read, before it knows the file's size: 16 KiB, so that the
/// common small file (source files, configuration, most files under `/usr/include`) is read
/// whole by one read, and its end seen by the next.
const FIRST_READ: usize = 16 * 1024;

/// The whole contents of the file at `path`, read until a read returns 0, as
/// `std::fs::read` (a file that grows while read, a FIFO, a `/proc` file).
///
/// Each step is a request of its own, on the ring or the fallback's pool, with nothing on
/// the calling thread for a file of up to 16 KiB: open (a plain fd, which never registers),
/// read up to 16 KiB at the file position, read again (0 at the end), close (its error
/// ignored, as std does). A larger file has its size asked once (`statx(2)` of the open fd, as
/// std's) to size the rest. A buffer more than half empty is shrunk in place. (One linked
/// chain on a direct descriptor costs more CPU per file than these separate requests on a
/// plain fd, which batch with other tasks' requests: docs/benchmarks.md.)
///
/// The open of a FIFO with no writer blocks (as std's does) in a kernel worker thread (a
/// blocking-pool thread on the fallback); dropping the future cancels it.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-fs-read-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::write(&path, b"whole file").await?;
///     assert_eq!(ringaio::fs::read(&path).await?, b"whole file");
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
///
/// # Errors
/// As [`File::open`] and its reads (`IsADirectory` for a directory, which opens but does
/// not read); `InvalidInput` for a path with a NUL byte; `OutOfMemory` when the file is
/// larger than memory can hold.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let file = File::open(path).await?;
    let fd = file.shared_fd();
    let mut buf = Vec::new();
    buf.try_reserve_exact(FIRST_READ).map_err(out_of_memory)?;
    let mut sized = false;
    loop {
        if buf.len() == buf.capacity() {
            // The file's size, asked once, sizes the rest (as std's); that of a FIFO or a
            // `/proc` file says nothing, and one that grows meanwhile takes more rounds.
            let rest = match std::mem::replace(&mut sized, true) {
                false => size_of(fd.raw()).saturating_sub(buf.len()),
                true => 0,
            };
            match rest {
                0 => buf.try_reserve(READ_CHUNK),
                rest => buf.try_reserve_exact(rest),
            }
            .map_err(out_of_memory)?;
        }
        let at = buf.len();
        let (res, back) = Op::new(Read::at_position(fd, buf, at)).await;
        buf = back;
        match res {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    // As std, which ignores it: a close error says nothing about the bytes read.
    let _ = file.close().await;
    if buf.capacity() / 2 > buf.len() {
        // Shrunk in place (a `realloc` to less): a small file keeps no 16 KiB buffer.
        buf.shrink_to_fit();
    }
    Ok(buf)
}

fn out_of_memory(e: std::collections::TryReserveError) -> io::Error {
    io::Error::new(io::ErrorKind::OutOfMemory, e)
}

/// The size of the regular file `fd` (a hint for the buffer, as std's); 0 for anything else.
fn size_of(fd: std::os::fd::RawFd) -> usize {
    // SAFETY: an all-zero statx is a valid value of the plain C struct.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let mask = libc::STATX_TYPE | libc::STATX_SIZE;
    // SAFETY: an empty C string path and a live statx, both only for the call.
    let ret = unsafe { libc::statx(fd, c"".as_ptr(), libc::AT_EMPTY_PATH, mask, &mut st) };
    let regular = ret == 0 && u32::from(st.stx_mode) & libc::S_IFMT == libc::S_IFREG;
    if regular {
        usize::try_from(st.stx_size).unwrap_or(usize::MAX)
    } else {
        0
    }
}

/// A slot of the ring's file table for one chain of `ops`, where the ring runs them.
fn lend_slot(ops: &[Opcode]) -> Option<(ReservedSlot, Rc<Reactor>)> {
    let reactor = context::reactor().ok()?;
    if !ops.iter().all(|op| reactor.runs_on_ring(*op)) {
        return None;
    }
    Some((ReservedSlot::take(&reactor)?, reactor))
}

/// Creates (or truncates) the file at `path` and writes `contents` to it.
///
/// On the ring it is one batch of linked requests on a direct descriptor (nothing on the
/// calling thread): open into a lent slot → write → close, each result reported. A write that
/// comes up short (to a FIFO whose reader is slow) is carried on in the same slot, then
/// closed. On the fallback backend, or with no free slot, it writes on a plain fd.
///
/// The open of a FIFO with no reader blocks (as std's does) in a kernel worker thread;
/// dropping the future cancels it.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-fs-write-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::write(&path, "text").await?;
///     assert_eq!(std::fs::read(&path)?, b"text");
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
///
/// # Errors
/// As [`File::create`], [`File::write_all_at`] and [`File::close`].
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref();
    // The bytes are copied into a buffer the kernel may own while the write is in flight.
    let contents = contents.as_ref().to_vec();
    // One write request moves at most `MAX_RW_COUNT` bytes, and the chain's close would run
    // after it: a larger file goes the plain way.
    if contents.len() as u64 <= MAX_RW_COUNT {
        if let Some(slot) = lend_slot(&[Opcode::Openat, Opcode::Pwrite, Opcode::Close]) {
            return write_linked(path, contents, slot).await;
        }
    }
    let file = File::create(path).await?;
    let (res, _) = file.write_all_at(contents, 0).await;
    res?;
    file.close().await
}

/// `write` as one chain; a write that failed or came up short leaves the slot open, to
/// finish the write in (or just close).
async fn write_linked(
    path: &Path,
    contents: Vec<u8>,
    (slot, reactor): (ReservedSlot, Rc<Reactor>),
) -> io::Result<()> {
    let fd = SharedFd::lent_slot(slot.index(), &reactor);
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    let open = Step::<io::Result<()>>::new(OpenSlot::new(cstring(path)?, flags, 0o666, &slot));
    let write = Step::<BufResult<usize, Vec<u8>>>::new(Write::new(&fd, contents, 0, 0));
    let close = Step::<(io::Result<()>, Option<OpenedSlot>)>::new(CloseOpened::new(slot));
    let (opened, (written, contents), (closed, open_still)) = link3(open, write, close).await;
    let Some(open_still) = open_still else {
        // The close ran: so did the open and the whole write.
        return closed;
    };
    if let Err(e) = opened {
        open_still.give_back_empty();
        return Err(e);
    }
    // Dropping `open_still` on an error closes the slot.
    let done = written?;
    if done < contents.len() {
        let file = File::from_shared(fd);
        let (res, _) = file.write_all_at(contents.slice(done..), done as u64).await;
        res?;
    }
    match open_still.into_close() {
        Some(close) => Op::new(close).await,
        None => Ok(()),
    }
}

/// Copies the contents and permission bits of the file `from` to `to` (created or
/// truncated), off the runtime thread (`std::fs::copy`, which lets the kernel copy with
/// `copy_file_range` where it can); returns the bytes copied.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("ringaio-doc-cp-a-{}", std::process::id())),
///               dir.join(format!("ringaio-doc-cp-b-{}", std::process::id())));
/// ringaio::block_on(async {
///     ringaio::fs::write(&a, b"copy me").await?;
///     assert_eq!(ringaio::fs::copy(&a, &b).await?, 7);
///     assert_eq!(ringaio::fs::read(&b).await?, b"copy me");
///     ringaio::fs::remove_file(&a).await?;
///     ringaio::fs::remove_file(&b).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `std::fs::copy` (NotFound, PermissionDenied, `InvalidInput` when `from` is not a
/// regular file).
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    unblock(move || std::fs::copy(from, to)).await
}
