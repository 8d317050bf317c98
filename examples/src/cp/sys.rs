//! The system calls std does not wrap: `ioctl(FICLONE)`, `copy_file_range` with offsets,
//! `sendfile`,
//! `lseek(SEEK_DATA / SEEK_HOLE)`, `mknod`, `mkfifo`, `utimensat` on a link. All blocking:
//! they run on [`crate::blocking`]'s threads.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::preserve::{timespec, Times};

/// `FICLONE` (`_IOW(0x94, 9, int)`), not in every libc version.
const FICLONE: libc::c_ulong = 0x4004_9409;

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn cstring(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Makes `dst` share `src`'s blocks (a reflink), replacing all of `dst`'s contents.
///
/// # Errors
/// `EOPNOTSUPP`, `EINVAL` or `EXDEV` where the filesystems cannot; I/O errors.
pub(crate) fn ficlone(dst: &fs::File, src: &fs::File) -> io::Result<()> {
    // SAFETY: FICLONE takes the source fd as its integer argument and reads no memory.
    check(unsafe { libc::ioctl(dst.as_raw_fd(), FICLONE as _, src.as_raw_fd()) })
}

/// Copies up to `len` bytes from `src` at `from` to `dst` at `to` in the kernel; returns how
/// many (0 at the source's end).
///
/// # Errors
/// `EXDEV`, `EINVAL`, `EOPNOTSUPP`, `ENOSYS` where the kernel cannot; I/O errors.
pub(crate) fn copy_file_range(
    src: &fs::File,
    from: u64,
    dst: &fs::File,
    to: u64,
    len: usize,
) -> io::Result<usize> {
    let mut off_in = from as libc::loff_t;
    let mut off_out = to as libc::loff_t;
    // SAFETY: the offsets are live locals the kernel updates; the fds are open.
    let n = unsafe {
        libc::copy_file_range(
            src.as_raw_fd(),
            &mut off_in,
            dst.as_raw_fd(),
            &mut off_out,
            len,
            0,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Copies up to `len` bytes from `src` at `from` to `dst` at its file position (which moves)
/// in the kernel, between any two filesystems (`sendfile`); returns how many (0 at the
/// source's end).
///
/// # Errors
/// `EINVAL` where the kernel cannot; I/O errors.
pub(crate) fn sendfile(dst: &fs::File, src: &fs::File, from: u64, len: usize) -> io::Result<usize> {
    let mut off = from as libc::off_t;
    // SAFETY: `off` is a live local the kernel updates; the fds are open.
    let n = unsafe { libc::sendfile(dst.as_raw_fd(), src.as_raw_fd(), &mut off, len) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// `lseek(fd, pos, whence)`, `None` for `ENXIO` (no data from `pos` on).
fn seek(file: &fs::File, pos: u64, whence: libc::c_int) -> io::Result<Option<u64>> {
    // SAFETY: lseek reads no memory of ours; the fd is open.
    let at = unsafe { libc::lseek(file.as_raw_fd(), pos as libc::off_t, whence) };
    if at >= 0 {
        return Ok(Some(at as u64));
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ENXIO) {
        Ok(None)
    } else {
        Err(e)
    }
}

/// The data extents of `file` below `size`, from `SEEK_DATA` / `SEEK_HOLE`: `[start, end)`
/// pairs in order. A filesystem without the two (`EINVAL`) reports one extent, the whole file.
///
/// # Errors
/// `lseek`'s other errors.
pub(crate) fn data_extents(file: &fs::File, size: u64) -> io::Result<Vec<(u64, u64)>> {
    let mut extents = Vec::new();
    let mut pos = 0;
    while pos < size {
        let start = match seek(file, pos, libc::SEEK_DATA) {
            Ok(Some(start)) => start,
            Ok(None) => break,
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(vec![(0, size)]),
            Err(e) => return Err(e),
        };
        if start >= size {
            break;
        }
        let end = seek(file, start, libc::SEEK_HOLE)?
            .unwrap_or(size)
            .min(size);
        extents.push((start, end));
        pos = end;
    }
    Ok(extents)
}

/// `mknod(path, mode, rdev)`: a device node, socket or FIFO (`mode` carries the type).
///
/// # Errors
/// `mknod`'s error.
pub(crate) fn mknod(path: &Path, mode: u32, rdev: u64) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    check(unsafe { libc::mknod(path.as_ptr(), mode as libc::mode_t, rdev as libc::dev_t) })
}

/// `mkfifo(path, mode)`.
///
/// # Errors
/// `mkfifo`'s error.
pub(crate) fn mkfifo(path: &Path, mode: u32) -> io::Result<()> {
    let path = cstring(path)?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    check(unsafe { libc::mkfifo(path.as_ptr(), mode as libc::mode_t) })
}

/// Sets the access and modification times of `path` itself, a symbolic link or not.
///
/// # Errors
/// `utimensat`'s error.
pub(crate) fn set_link_times(path: &Path, (atime, mtime): Times) -> io::Result<()> {
    let path = cstring(path)?;
    let ts = [timespec(atime), timespec(mtime)];
    // SAFETY: `path` is NUL-terminated and `ts` holds the two timespecs utimensat reads.
    check(unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            path.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    })
}
