//! ringaio-libaio: a drop-in `libaio.so.1` that runs Linux AIO programs' requests on
//! io_uring, through ringaio-core.
//!
//! Built as a cdylib with libaio's soname and symbol versions, it replaces the system's
//! libaio for existing binaries (`LD_LIBRARY_PATH=dir-with-libaio.so.1 fio
//! --ioengine=libaio ...`). Each `io_context_t` is the address of a real `struct aio_ring`
//! that the library keeps filled, so programs that reap in user space work too. Buffered
//! reads, which the kernel's AIO performs synchronously inside `io_submit`, are
//! asynchronous here.
//!
//! The rlib exposes the same functions for Rust callers and tests:
//!
//! ```
//! use ringaio_libaio::{io_destroy, io_getevents, io_setup, io_submit, IoContext, IoEvent, Iocb};
//! use ringaio_libaio::IO_CMD_NOOP;
//!
//! let mut ctx: IoContext = std::ptr::null_mut();
//! // SAFETY: `ctx` is a writable, zeroed io_context_t.
//! let rc = unsafe { io_setup(4, &mut ctx) };
//! if rc == -libc::ENOSYS {
//!     return; // no io_uring here
//! }
//! assert_eq!(rc, 0);
//! let mut iocb = Iocb { aio_lio_opcode: IO_CMD_NOOP, aio_fildes: -1, data: 7, ..Iocb::default() };
//! let mut list = [&mut iocb as *mut Iocb];
//! // SAFETY: one valid iocb; a NOOP points at no memory.
//! assert_eq!(unsafe { io_submit(ctx, 1, list.as_mut_ptr()) }, 1);
//! let mut events = [IoEvent::default(); 1];
//! // SAFETY: one writable event; no timeout.
//! let n = unsafe { io_getevents(ctx, 1, 1, events.as_mut_ptr(), std::ptr::null_mut()) };
//! assert_eq!(n, 1);
//! assert_eq!((events[0].data, events[0].obj, events[0].res), (7, list[0] as u64, 0));
//! // SAFETY: `ctx` came from io_setup.
//! assert_eq!(unsafe { io_destroy(ctx) }, 0);
//! ```
//!
//! # How it works
//!
//! - `io_setup` sets up one io_uring (SQ up to 1024 entries, CQ twice `nr_events` so
//!   cancels fit) and maps a `struct aio_ring` (magic `0xa10a10a1`, `nr`, `head`, `tail`,
//!   the events after a 32-byte header) whose address is the `io_context_t`. A registry of
//!   live contexts makes a bad handle `EINVAL` rather than a wild pointer.
//! - `io_submit` checks each iocb as the kernel's `io_submit_one` does, maps it onto a
//!   ringaio-core `Iocb` and pushes the batch with one `io_uring_enter`. A bad fd (not
//!   open, or not open for the direction) is `EBADF` at submission: each fd is checked with
//!   `fcntl(F_GETFL)` the first time a context sees it, then against the open flags the
//!   context remembers (no system call per request).
//! - Completions go CQE → `aio_ring` → the program. `io_getevents` moves them and takes
//!   them from the ring; at most one thread waits in `io_uring_enter` at a time, the others
//!   on a condition variable it signals, so one thread can submit while others wait.
//!   Programs that never call `io_getevents` while they wait (user-space reapers,
//!   eventfd waiters) get a per-context reaper thread that does the moving for them; it
//!   parks once the program reaps through `io_getevents`.
//! - The rings are set up without `COOP_TASKRUN`, so completions are posted even while the
//!   submitting thread spins in user space.
//!
//! # Where it differs from the kernel's AIO
//!
//! - Every request is asynchronous: buffered reads do not block `io_submit`.
//! - `IO_CMD_NOOP` completes with `res` 0 (the kernel refuses it with `EINVAL`).
//! - An fd the program closed after a context checked it: io_uring fails the request with
//!   `-EBADF`; `io_submit` returns `EBADF` for it when it was submitted alone, but in a
//!   batch (or while another thread waits on the context) the error is the request's
//!   event instead. The fd is checked afresh next time. Likewise an fd number reopened with
//!   less access (a read-only file where a read-write one was).
//! - Faults found only when the request runs (an unreadable iovec array, a `resfd` that is
//!   open but not an eventfd) show in the event (`-EFAULT`) or are ignored, where the
//!   kernel refuses them at submission. Bad `RWF_*` bits are `EOPNOTSUPP` at submission
//!   only if no kernel defines them; the rest is io_uring's to answer, in the event.
//! - `io_cancel` cancels reads and writes too, where io_uring can (a read of an empty pipe,
//!   a request waiting for a worker): `-EINPROGRESS`, the event carrying `-ECANCELED`.
//!   `-EAGAIN` when io_uring could not stop it. The `result` argument is never written, as
//!   in the kernel since 4.19.
//! - `io_destroy` cancels what it can and waits for the rest.
//! - `nr_events` is limited per context by `fs.aio-max-nr` and by 32760 (io_uring's CQ
//!   size), not system-wide; `nr_events` requests in flight or completed and unreaped
//!   fill a context (`EAGAIN`), where the kernel rounds the limit up.
//! - A signal interrupts (`EINTR`) only the thread waiting in the kernel; threads waiting
//!   behind it on the same context keep waiting.
//! - Waits need `IORING_ENTER_EXT_ARG` (Linux 5.11).
//! - After `fork`, the child's calls on inherited contexts fail with `EINVAL`, as the
//!   kernel's do; their memory stays mapped (and the ring fds open until `exec`).
#![doc(test(attr(deny(warnings))))]

mod abi;
mod aio_ring;
mod context;
mod exports;
mod fd_cache;
mod prepare;
mod reaper;
mod registry;
mod wait;

pub use abi::{
    AioRingHeader, IoCallback, IoContext, IoEvent, Iocb, AIO_RING_MAGIC, IOCB_FLAG_IOPRIO,
    IOCB_FLAG_RESFD, IO_CMD_FDSYNC, IO_CMD_FSYNC, IO_CMD_NOOP, IO_CMD_POLL, IO_CMD_PREAD,
    IO_CMD_PREADV, IO_CMD_PWRITE, IO_CMD_PWRITEV, KIOCB_KEY,
};
pub use exports::{
    io_cancel, io_cancel_0_1, io_destroy, io_getevents, io_getevents_0_1, io_pgetevents,
    io_queue_init, io_queue_release, io_queue_run, io_queue_wait, io_queue_wait_0_1, io_setup,
    io_submit,
};
