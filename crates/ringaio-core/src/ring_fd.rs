//! A ring's own fd registered in the calling thread's io_uring table
//! (`IORING_REGISTER_RING_FDS`, Linux 5.18): `io_uring_enter` then names the ring by index
//! and the kernel skips its fd lookup and reference count (measured in docs/benchmarks.md
//! with `nop_count raw-nosqarray` against `raw-regring`).
//!
//! The table is per thread, so the index is used only on the thread that registered it. The
//! raw calls pass every integer as a `c_long`, as `syscall(2)` takes them.

use std::cell::Cell;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

/// `IORING_REGISTER_RING_FDS`.
const REGISTER_RING_FDS: libc::c_uint = 20;
/// `IORING_UNREGISTER_RING_FDS`.
const UNREGISTER_RING_FDS: libc::c_uint = 21;
/// `IORING_ENTER_REGISTERED_RING`: the fd argument of `io_uring_enter` is a table index.
const ENTER_REGISTERED_RING: libc::c_uint = 1 << 4;

/// `struct io_uring_rsrc_update`.
#[repr(C)]
struct RsrcUpdate {
    offset: u32,
    resv: u32,
    data: u64,
}

thread_local! {
    /// The calling thread's number, 0 until it needs one.
    static TOKEN: Cell<u64> = const { Cell::new(0) };
}

/// A number for the calling thread, unique for the life of the process (thread ids and TLS
/// addresses are reused after a thread exits), and not shared with a forked child: the
/// child's thread starts with an empty registered-ring table of its own.
fn thread_token() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    static AT_FORK: Once = Once::new();
    TOKEN.with(|token| match token.get() {
        0 => {
            AT_FORK.call_once(|| {
                // SAFETY: registers a handler that only writes a thread-local `Cell`.
                let r = unsafe { libc::pthread_atfork(None, None, Some(forget_token_in_child)) };
                if r != 0 {
                    tracing::debug!(error = r, "pthread_atfork failed");
                }
            });
            let new = NEXT.fetch_add(1, Ordering::Relaxed);
            token.set(new);
            new
        }
        known => known,
    })
}

/// In a forked child, the forking thread's token no longer names the parent's table.
extern "C" fn forget_token_in_child() {
    let _ = TOKEN.try_with(|token| token.set(0));
}

/// A ring fd's slot in one thread's registered-ring table.
#[derive(Debug)]
pub(crate) struct RegisteredRing {
    index: u32,
    thread: u64,
}

impl RegisteredRing {
    /// Registers `ring_fd` in the calling thread's table.
    ///
    /// # Errors
    /// EINVAL before Linux 5.18, EBUSY when the thread's 16 slots are taken.
    pub(crate) fn register(ring_fd: RawFd) -> io::Result<RegisteredRing> {
        let mut update = RsrcUpdate {
            // Any free slot.
            offset: u32::MAX,
            resv: 0,
            data: ring_fd as u64,
        };
        // SAFETY: one `io_uring_rsrc_update` the call reads and writes, and its count.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                libc::c_long::from(ring_fd),
                libc::c_long::from(REGISTER_RING_FDS),
                &mut update as *mut RsrcUpdate,
                1 as libc::c_long,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RegisteredRing {
            index: update.offset,
            thread: thread_token(),
        })
    }

    /// The slot's index, if the calling thread is the one whose table holds it.
    #[inline]
    pub(crate) fn index_here(&self) -> Option<u32> {
        (self.thread == thread_token()).then_some(self.index)
    }

    /// Empties the slot. Only the registering thread can: elsewhere the slot (and with it a
    /// reference to the ring) stays until that thread exits.
    pub(crate) fn unregister(&self, ring_fd: RawFd) {
        let Some(index) = self.index_here() else {
            tracing::debug!(
                ring_fd,
                "ring dropped off the thread that registered its fd; the registration lasts \
                 until that thread exits"
            );
            return;
        };
        let update = RsrcUpdate {
            offset: index,
            resv: 0,
            data: 0,
        };
        // SAFETY: one `io_uring_rsrc_update` the call reads, and its count.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                libc::c_long::from(ring_fd),
                libc::c_long::from(UNREGISTER_RING_FDS),
                &update as *const RsrcUpdate,
                1 as libc::c_long,
            )
        };
        if r < 0 {
            tracing::warn!(error = %io::Error::last_os_error(), "could not unregister a ring fd");
        }
    }
}

/// `io_uring_enter(2)` on the ring in slot `index` of this thread's table, with no argument.
///
/// # Errors
/// As `io_uring_enter`.
///
/// # Safety
/// The SQEs it submits are valid requests whose memory outlives them (the `Ring::push`
/// contract), and `index` is this thread's slot for the ring they were pushed to.
#[inline]
pub(crate) unsafe fn enter(
    index: u32,
    to_submit: u32,
    min_complete: u32,
    flags: u32,
) -> io::Result<usize> {
    // SAFETY: no argument pointer (size 0); the caller vouches for what gets submitted.
    let r = unsafe {
        libc::syscall(
            libc::SYS_io_uring_enter,
            libc::c_long::from(index),
            libc::c_long::from(to_submit),
            libc::c_long::from(min_complete),
            libc::c_long::from(flags | ENTER_REGISTERED_RING),
            std::ptr::null::<libc::c_void>(),
            0 as libc::c_long,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as usize)
}
