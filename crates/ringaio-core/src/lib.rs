//! ringaio-core: kiocb-style I/O requests, their mapping onto io_uring, and a synchronous
//! Linux-AIO-style context.
//!
//! This crate knows nothing of futures or wakers. It provides:
//! - [`Iocb`]: a flat, plain request (opcode, fd, buffer, offset, flags, token), checked by
//!   [`Iocb::validate`] before any SQE exists and mapped by the pure [`to_sqe`];
//! - [`Ring`]: one io_uring instance with batched submission, completion reaping, the opcode
//!   probe, registered files and buffers, and a distinct [`Unavailable`] error when io_uring
//!   cannot be used;
//! - [`Context`]: `io_setup` / `io_submit` / `io_getevents` / `io_cancel` / `io_destroy`.
//!
//! ```
//! use std::io::{Read, Seek};
//! use ringaio_core::{Context, Event, Iocb, Target};
//! use std::os::fd::AsRawFd;
//!
//! # fn main() -> std::io::Result<()> {
//! let mut ctx = match Context::new(8) {
//!     Ok(ctx) => ctx,
//!     Err(e) if ringaio_core::is_unavailable(&e) => return Ok(()), // no io_uring here
//!     Err(e) => return Err(e),
//! };
//! let mut file = tempfile_in_tmp()?;
//! let data = b"hello, ring";
//! let write = Iocb::pwrite(Target::Fd(file.as_raw_fd()), data.as_ptr(), data.len(), 0)
//!     .with_data(1);
//! // SAFETY: `data` outlives the request: the event is reaped before it goes out of scope.
//! assert_eq!(unsafe { ctx.submit(&[&write])? }, 1);
//! let mut events = [Event::default(); 1];
//! assert_eq!(ctx.get_events(1, &mut events, None)?, 1);
//! assert_eq!(events[0].data, 1);
//! assert_eq!(events[0].res, data.len() as i64);
//!
//! let mut back = String::new();
//! file.rewind()?;
//! file.read_to_string(&mut back)?;
//! assert_eq!(back, "hello, ring");
//! # Ok(())
//! # }
//! # fn tempfile_in_tmp() -> std::io::Result<std::fs::File> {
//! #     let path = std::env::temp_dir().join(format!("ringaio-doc-{}", std::process::id()));
//! #     let f = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
//! #     std::fs::remove_file(&path)?;
//! #     Ok(f)
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod blocking;
mod blocking_net;
mod context;
mod error;
mod fork;
mod iocb;
mod memlock;
mod opcode;
mod ring;
mod ring_fd;
mod sqe;
mod timespec;

pub use blocking::execute;
pub use context::{Context, Event};
pub use error::{cqe_result, is_unavailable, unavailable_reason, Unavailable};
pub use fork::{fork_generation, forked_error, is_forked_since};
pub use iocb::{Iocb, Target, AT_FILE_POSITION, FILE_INDEX_ALLOC, IOV_MAX, MAX_RW_COUNT};
pub use memlock::memlock_limit;
pub use opcode::{OpSet, Opcode};
pub use ring::{
    Completion, Completions, Ring, RingBuilder, RingCounters, SetupMode, MAX_ENTRIES, WAIT_TIMEOUT,
};
pub use sqe::{build_sqe, cold_sqe, hot_sqe, to_sqe, RawSqe, Sqe};
pub use timespec::Timespec;
