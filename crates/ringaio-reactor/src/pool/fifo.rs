//! Ending an open blocked on a FIFO. `open(2)` of a FIFO for reading waits for a writer (and
//! for writing waits for a reader), and no signal-free way interrupts it; but opening the
//! other end does. A cancelled open that would otherwise hold its thread for good is ended
//! that way: its result (an fd) then reaches the released slot, and the reactor closes it.
//!
//! The other end stays open until the cancelled open returns: its thread may not have
//! reached `open(2)` yet when the cancel comes (it is listed as running just before), and an
//! end opened and closed at once would have come and gone before it looks.
//!
//! Other opens blocked on the same FIFO at that moment are woken too; the pool sends those
//! (not cancelled) back to `open(2)` (`pool::open`).

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use ringaio_core::{Iocb, Target};

/// Opens the other end of the FIFO `iocb` (an `Openat` a thread is running, or about to)
/// may be blocked on, and returns it, to be kept until that open returns. Says why when it
/// cannot: the open then keeps its thread until `open(2)` returns.
///
/// # Safety
/// - `iocb`'s path is a live NUL-terminated string for the length of this call.
pub(super) unsafe fn unblock(iocb: &Iocb) -> Option<OwnedFd> {
    let Target::Fd(dirfd) = iocb.fd else {
        return None;
    };
    let flags = iocb.flags as libc::c_int;
    // Non-blocking opens, and read-write opens of a FIFO, never wait for a peer.
    if flags & libc::O_NONBLOCK != 0 || flags & libc::O_ACCMODE == libc::O_RDWR {
        return None;
    }
    // O_PATH: naming the file opens nothing (a device's open could have effects).
    let follow = flags & libc::O_NOFOLLOW;
    // SAFETY: our caller keeps the path a valid C string for this call.
    let fd = unsafe { libc::openat(dirfd, iocb.path(), libc::O_PATH | libc::O_CLOEXEC | follow) };
    if fd < 0 {
        let e = std::io::Error::last_os_error();
        tracing::warn!(error = %e, "a cancelled open is still running and its file cannot be \
            looked at; its blocking-pool thread stays busy until open(2) returns");
        return None;
    }
    // SAFETY: a fresh fd that nobody else owns.
    let file = unsafe { OwnedFd::from_raw_fd(fd) };
    if !is_fifo(file.as_raw_fd()) {
        tracing::warn!(
            "a cancelled open is still running, and not on a FIFO (a device or a \
            slow filesystem?): it cannot be interrupted, so its blocking-pool thread stays busy \
            until open(2) returns"
        );
        return None;
    }
    // The FIFO itself, whatever its path names by now, through our O_PATH fd.
    let Ok(proc_path) = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())) else {
        return None;
    };
    // Read-write: on Linux that open of a FIFO never waits and never fails for want of a
    // peer (a write-only one fails with ENXIO while no reader has come yet), and it is both
    // ends at once, whichever the blocked open waits for.
    // SAFETY: `proc_path` is a live C string.
    let other = unsafe { libc::open(proc_path.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
    if other < 0 {
        let e = std::io::Error::last_os_error();
        tracing::warn!(error = %e, "a cancelled open of a FIFO could not be ended; its \
            blocking-pool thread stays busy until a peer opens the FIFO");
        return None;
    }
    // SAFETY: a fresh fd that nobody else owns.
    Some(unsafe { OwnedFd::from_raw_fd(other) })
}

/// Whether `fd` is open on a FIFO.
pub(super) fn is_fifo(fd: i32) -> bool {
    // SAFETY: fstat writes into a zeroed, live stat struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    unsafe { libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFIFO }
}

/// The device and inode `fd` is open on.
pub(super) fn file_id(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat writes into a zeroed stat we own; a bad fd only fails.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}
