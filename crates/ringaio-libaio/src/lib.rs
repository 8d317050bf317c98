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
#![doc(test(attr(deny(warnings))))]

mod abi;
mod aio_ring;
mod context;
mod exports;
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
