//! ringaio-reactor: refcounted request slots between the ring and the futures layer.
//!
//! Its one promise: a request's resources (buffer, iovecs, fd, path strings, the slot itself)
//! live until the kernel's final completion for it, whatever its owner does — drops the
//! future, cancels, panics, drops the runtime. See `docs/design.md` for the slot lifecycle.
//!
//! ```
//! use std::task::{Context, Waker};
//! use ringaio_core::Iocb;
//! use ringaio_reactor::{Config, Polled, Reactor};
//!
//! # fn main() -> std::io::Result<()> {
//! let reactor = Reactor::new(&Config::default())?;
//! // SAFETY: a no-op points at no memory.
//! let mut key = unsafe { reactor.submit(&Iocb::noop())? };
//! let mut cx = Context::from_waker(Waker::noop());
//! let outcome = loop {
//!     key = match reactor.poll(key, &mut cx) {
//!         Polled::Ready(outcome) => break outcome,
//!         Polled::Pending(key) => key,
//!     };
//!     reactor.park(None)?;
//! };
//! assert_eq!(outcome.result, 0);
//! # Ok(())
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod buffers;
mod config;
mod files;
mod key;
mod mailbox;
mod metrics;
mod notifier;
mod pbuf;
mod pool;
mod reactor;
mod slots;
mod state;
mod timers;

pub use buffers::BufferSlot;
pub use config::{Backend, Config};
pub use key::Key;
pub use mailbox::{Mailbox, SlowPath, MESSAGE_MAX};
pub use metrics::RuntimeMetrics;
pub use notifier::Notifier;
pub use pbuf::{BufRing, ProvidedBuf, CQE_F_BUFFER, MAX_RING_ENTRIES};
pub use pool::BlockingCall;
pub use reactor::{Link, MessageHandler, Polled, Reactor, Stats, TaskWaker, MIN_CQ_ENTRIES};
pub use slots::Outcome;
