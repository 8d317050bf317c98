//! Waiting for a completion without holding the context's lock: one `io_uring_enter` with
//! `GETEVENTS`, a timeout and optionally a signal mask (`IORING_ENTER_EXT_ARG`, Linux 5.11).
//! `Ring`'s own waits take `&mut Ring`, which would keep submitters out for the whole wait.

use std::os::fd::RawFd;
use std::time::Duration;

use crate::abi::KERNEL_SIGSET_SIZE;

const IORING_ENTER_GETEVENTS: u32 = 1 << 0;
const IORING_ENTER_EXT_ARG: u32 = 1 << 3;

/// `struct io_uring_getevents_arg`.
#[repr(C)]
struct GeteventsArg {
    sigmask: u64,
    sigmask_sz: u32,
    min_wait_usec: u32,
    ts: u64,
}

/// `struct __kernel_timespec`.
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// A completion arrived, the timeout passed, or the kernel asked for a retry.
    Maybe,
    /// A signal arrived (`EINTR`).
    Interrupted,
}

/// Submits up to `to_submit` queued SQEs, then waits until the ring's CQ tail moves past
/// its head as of entry, `timeout` passes (`None`: no limit), or a signal arrives; with
/// `sigmask`, the thread's mask is that for the wait.
///
/// # Errors
/// The errno of `io_uring_enter` other than `ETIME`, `EINTR`, `EAGAIN` and `EBUSY`.
///
/// # Safety
/// - `sigmask`, when set, points at a readable kernel sigset (8 bytes).
/// - The queued SQEs were pushed under `Ring::push`'s contract.
pub(crate) unsafe fn wait(
    ring_fd: RawFd,
    to_submit: u32,
    timeout: Option<Duration>,
    sigmask: *const libc::sigset_t,
) -> Result<Woken, i32> {
    let ts = timeout.map(|d| KernelTimespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    });
    let arg = GeteventsArg {
        sigmask: sigmask as u64,
        sigmask_sz: if sigmask.is_null() {
            0
        } else {
            KERNEL_SIGSET_SIZE as u32
        },
        min_wait_usec: 0,
        ts: ts.as_ref().map_or(0, |t| t as *const KernelTimespec as u64),
    };
    // SAFETY: `arg` and the timespec it names live across the call; the kernel only reads
    // them and the sigmask the caller vouched for.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            ring_fd,
            to_submit,
            1u32,
            IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG,
            &arg as *const GeteventsArg,
            std::mem::size_of::<GeteventsArg>(),
        )
    };
    if ret >= 0 {
        return Ok(Woken::Maybe);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::ETIME | libc::EAGAIN | libc::EBUSY) => Ok(Woken::Maybe),
        Some(libc::EINTR) => Ok(Woken::Interrupted),
        Some(e) => Err(e),
        None => Err(libc::EIO),
    }
}
