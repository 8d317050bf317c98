//! Whole-file helpers: `read`, `write`, `copy`.

use std::ffi::{CStr, CString};
use std::io;
use std::path::Path;
use std::rc::Rc;

use ringaio_core::{Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::context;
use crate::fd::SharedFd;
use crate::fs::{cstring, File, OpenOptions};
use crate::link::{link3, Step};
use crate::ops::{CloseSlot, OpenSlot, Read, ReservedSlot, Write};
use crate::unblock::unblock;

/// How much more room a plain read of [`read`] makes when the buffer is full.
const READ_CHUNK: usize = 64 * 1024;

/// The whole contents of the file at `path`.
///
/// For a regular file on the ring it is one batch of linked requests on a direct
/// descriptor (no fd in the process, no `io_uring_register` call): open into a lent slot of
/// the registered-file table → read the whole file → close (run whatever the read's
/// result). Its type and size come first from one `statx(2)` on the calling thread, as in
/// `std::fs::read` (`IORING_OP_STATX` always goes through a kernel worker thread, which
/// costs more than the call). Anything else (a FIFO, a `/proc` file, which says its size is
/// 0; a file that grew past its size meanwhile; the fallback backend; no free slot) is read
/// on a plain fd until a read returns 0.
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
/// As `statx(2)`, [`File::open`] and [`File::read_at`]; `OutOfMemory` when the file is
/// larger than memory can hold.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref();
    if let Some(slot) = lend_slot(&[Opcode::Openat, Opcode::Pread, Opcode::Close]) {
        let cpath = cstring(path)?;
        let size = match regular_size(&cpath)? {
            Some(size) if size > 0 && size < MAX_RW_COUNT => Some(size as usize),
            _ => None,
        };
        if let Some(size) = size {
            if let Some(contents) = read_linked(cpath, size, slot).await? {
                return Ok(contents);
            }
        }
    }
    read_plain(path).await
}

/// A slot of the ring's file table for one chain of `ops`, where the ring runs them.
fn lend_slot(ops: &[Opcode]) -> Option<(ReservedSlot, Rc<Reactor>)> {
    let reactor = context::reactor().ok()?;
    if !ops.iter().all(|op| reactor.runs_on_ring(*op)) {
        return None;
    }
    Some((ReservedSlot::take(&reactor)?, reactor))
}

/// The size of the regular file at `path` (following symlinks); `None` for anything else.
/// `NotFound` and the like as `statx(2)` says.
fn regular_size(path: &CStr) -> io::Result<Option<u64>> {
    // SAFETY: an all-zero statx is a valid value of the plain C struct.
    let mut st: libc::statx = unsafe { std::mem::zeroed() };
    let mask = libc::STATX_TYPE | libc::STATX_SIZE;
    // SAFETY: `path` is a C string and `st` a live statx, both only for the call.
    let ret = unsafe { libc::statx(libc::AT_FDCWD, path.as_ptr(), 0, mask, &mut st) };
    if ret != 0 {
        return Err(io::Error::last_os_error());
    }
    let regular = u32::from(st.stx_mode) & libc::S_IFMT == libc::S_IFREG;
    Ok(regular.then_some(st.stx_size))
}

/// `read` of a regular file of `size` bytes as one chain; `None` when it held more.
async fn read_linked(
    path: CString,
    size: usize,
    (slot, reactor): (ReservedSlot, Rc<Reactor>),
) -> io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    // One byte more than the size, so that growth shows.
    buf.try_reserve_exact(size + 1)
        .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
    let fd = SharedFd::lent_slot(slot.index(), &reactor);
    let open = Step::<io::Result<()>>::new(OpenSlot::new(path, libc::O_RDONLY, 0, &slot));
    let read = Step::<BufResult<usize, Vec<u8>>>::new(Read::new(&fd, buf, 0, 0));
    let close = Step::<io::Result<()>>::new(CloseSlot::new(slot));
    let (opened, (n, buf), _closed) = link3(open, read.always(), close).await;
    opened?;
    // A close error after a read says nothing about the bytes read (`std` ignores it).
    // A regular file's short read ends at its end; a full one may not have.
    if n? > size {
        return Ok(None);
    }
    Ok(Some(buf))
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
    Ok(buf)
}

/// Creates (or truncates) the file at `path` and writes `contents` to it.
///
/// For a new or regular file on the ring it is one batch of linked requests on a direct
/// descriptor: open into a lent slot → write → close (run whatever the write's result), each
/// result reported; a short write is finished on a plain fd. (A `statx(2)` on the calling
/// thread first tells a regular file from a FIFO, whose open could block.)
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
    if contents.len() as u64 <= MAX_RW_COUNT {
        if let Some(slot) = lend_slot(&[Opcode::Openat, Opcode::Pwrite, Opcode::Close]) {
            // A new file, or a regular one: not a FIFO, whose open and write may block.
            let plain = match regular_size(&cstring(path)?) {
                Ok(Some(_)) => false,
                Err(e) => e.kind() != io::ErrorKind::NotFound,
                Ok(None) => true,
            };
            if !plain {
                return write_linked(path, contents, slot).await;
            }
        }
    }
    let file = File::create(path).await?;
    let (res, _) = file.write_all_at(contents, 0).await;
    res?;
    file.close().await
}

/// `write` as one chain, a short write finished on a plain fd.
async fn write_linked(
    path: &Path,
    contents: Vec<u8>,
    (slot, reactor): (ReservedSlot, Rc<Reactor>),
) -> io::Result<()> {
    let fd = SharedFd::lent_slot(slot.index(), &reactor);
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    let open = Step::<io::Result<()>>::new(OpenSlot::new(cstring(path)?, flags, 0o666, &slot));
    let write = Step::<BufResult<usize, Vec<u8>>>::new(Write::new(&fd, contents, 0, 0));
    let close = Step::<io::Result<()>>::new(CloseSlot::new(slot));
    let (opened, (n, contents), closed) = link3(open, write.always(), close).await;
    opened?;
    let n = n?;
    closed?;
    if n < contents.len() {
        let file = OpenOptions::new().write(true).open(path).await?;
        let (res, _) = file.write_all_at(contents.slice(n..), n as u64).await;
        res?;
        file.close().await?;
    }
    Ok(())
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
