//! Whole-file helpers: `read`, `write`, `copy`.

use std::io;
use std::path::Path;
use std::rc::Rc;

use ringaio_core::{Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::context;
use crate::fd::SharedFd;
use crate::fs::{cstring, File};
use crate::link::{link, link3, Step};
use crate::op::Op;
use crate::ops::{CloseOpened, OpenInto, OpenSlot, OpenedSlot, Read, ReservedSlot, Write};
use crate::unblock::unblock;

/// How much more room a plain read of [`read`] makes when the buffer is full.
const READ_CHUNK: usize = 64 * 1024;

/// The room of [`read`]'s first read, before it knows the file's size: 16 KiB, so that the
/// common small file (source files, configuration, most files under `/usr/include`) is read
/// whole by the one chain. A file that fits is left with at most half its buffer unused
/// (the buffer is shrunk, in place, when more than half is).
const FIRST_READ: usize = 16 * 1024;

/// The room of the read after each read that tells whether the file ended there (a result of
/// 0), as `std::fs::read`'s probe.
const PROBE: usize = 32;

/// The whole contents of the file at `path`, read until a read returns 0, as
/// `std::fs::read` (a file that grows while read, a FIFO, a `/proc` file).
///
/// On the ring it is one batch of linked requests on a direct descriptor (no fd in the
/// process, no `io_uring_register` call, nothing on the calling thread): open into a lent
/// slot of the registered-file table → read up to 16 KiB → read up to 32 bytes more (run
/// whatever the read's result), which returns 0 at the end of the file. A file that does not
/// end there is read on in the same slot, its size asked once (`statx(2)` of the path: a
/// hint for the buffer, as std's), until a read returns 0. The slot is then emptied by a
/// close nobody waits for, which goes out with the next batch of requests. On the fallback
/// backend, or with no free slot, it reads on a plain fd until a read returns 0.
///
/// The open of a FIFO with no writer blocks (as std's does) in a kernel worker thread;
/// dropping the future cancels it.
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
    let path = path.as_ref();
    match lend_slot(&[Opcode::Openat, Opcode::Pread, Opcode::Close]) {
        Some(slot) => read_linked(path, slot).await,
        None => read_plain(path).await,
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

/// The size of the regular file at `path` (following symlinks); `None` for anything else,
/// or when it cannot be asked.
fn regular_size(path: &Path) -> Option<u64> {
    let path = cstring(path).ok()?;
    // SAFETY: an all-zero statx is a valid value of the plain C struct.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let mask = libc::STATX_TYPE | libc::STATX_SIZE;
    // SAFETY: `path` is a C string and `st` a live statx, both only for the call.
    let ret = unsafe { libc::statx(libc::AT_FDCWD, path.as_ptr(), 0, mask, &mut st) };
    let regular = ret == 0 && u32::from(st.stx_mode) & libc::S_IFMT == libc::S_IFREG;
    regular.then_some(st.stx_size)
}

fn out_of_memory(e: std::collections::TryReserveError) -> io::Error {
    io::Error::new(io::ErrorKind::OutOfMemory, e)
}

/// A read at the file position of `fd` into `buf`'s room, linked to the probe after it
/// whatever its result.
fn read_on(fd: &SharedFd, buf: Vec<u8>) -> Step<BufResult<usize, Vec<u8>>> {
    let at = buf.len();
    Step::new(Read::at_position(fd, buf, at)).always()
}

/// The probe: a read of up to `PROBE` bytes at the file position of `fd`.
fn probe_on(fd: &SharedFd) -> Step<BufResult<usize, Vec<u8>>> {
    Step::new(Read::at_position(fd, Vec::with_capacity(PROBE), 0))
}

/// `read` on a lent slot: the chain, then more reads and probes until a probe returns 0.
async fn read_linked(
    path: &Path,
    (slot, reactor): (ReservedSlot, Rc<Reactor>),
) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(FIRST_READ).map_err(out_of_memory)?;
    let fd = SharedFd::lent_slot(slot.index(), &reactor);
    let open =
        Step::<io::Result<OpenedSlot>>::new(OpenInto::new(cstring(path)?, libc::O_RDONLY, 0, slot));
    let (opened, read, probe) = link3(open, read_on(&fd, buf), probe_on(&fd)).await;
    // Held to the end: its drop empties the slot, after the last read on it.
    let _opened = opened?;
    let (mut buf, mut ended) = settle(read, probe)?;
    if !ended {
        // The file's size, asked once, sizes the rest (as std's): an underestimate only
        // costs more reads, and the size of a FIFO or a `/proc` file says nothing.
        let size = regular_size(path).map_or(0, |size| usize::try_from(size).unwrap_or(usize::MAX));
        let rest = size.saturating_sub(buf.len());
        if rest > buf.capacity() - buf.len() {
            buf.try_reserve_exact(rest).map_err(out_of_memory)?;
        }
    }
    while !ended {
        if buf.len() == buf.capacity() {
            buf.try_reserve(READ_CHUNK).map_err(out_of_memory)?;
        }
        let (read, probe) = link(read_on(&fd, buf), probe_on(&fd)).await;
        (buf, ended) = settle(read, probe)?;
    }
    Ok(fit(buf))
}

/// `buf`, shrunk (in place: a `realloc` to less) when more than half of it is unused.
fn fit(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.capacity() / 2 > buf.len() {
        buf.shrink_to_fit();
    }
    buf
}

/// The bytes after a read and its probe (the probe's appended), and whether the probe saw the
/// end of the file; the first error but `Interrupted` (after which the loop reads again).
fn settle(
    (read, mut buf): BufResult<usize, Vec<u8>>,
    (probed, probe): BufResult<usize, Vec<u8>>,
) -> io::Result<(Vec<u8>, bool)> {
    let interrupted = |e: &io::Error| e.kind() == io::ErrorKind::Interrupted;
    match read {
        Err(e) if !interrupted(&e) => return Err(e),
        _ => {}
    }
    let ended = match probed {
        Ok(0) => true,
        Ok(_) => {
            buf.try_reserve(probe.len()).map_err(out_of_memory)?;
            buf.extend_from_slice(&probe);
            false
        }
        Err(e) if interrupted(&e) => false,
        Err(e) => return Err(e),
    };
    Ok((buf, ended))
}

/// `read` on a plain fd: reads until one returns 0.
async fn read_plain(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path).await?;
    let mut buf = Vec::new();
    loop {
        if buf.len() == buf.capacity() {
            buf.try_reserve(READ_CHUNK)
                .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
        }
        let at = buf.len();
        let (res, slice) = file.read_at(buf.slice_mut(at..), at as u64).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.close().await?;
    Ok(fit(buf))
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
