//! ringaio-reactor: refcounted request slots between the ring and the futures layer.
//!
//! Its one promise: a request's resources (buffer, iovecs, fd, path strings, the slot itself)
//! live until the kernel's final completion for it, whatever its owner does — drops the
//! future, cancels, panics, drops the runtime. See `docs/design.md` for the slot lifecycle.
//!
//! ```
//! use std::task::{Context, Poll, Waker};
//! use ringaio_core::Iocb;
//! use ringaio_reactor::{Config, Reactor};
//!
//! # fn main() -> std::io::Result<()> {
//! let reactor = Reactor::new(&Config::default())?;
//! // SAFETY: a no-op points at no memory.
//! let key = unsafe { reactor.submit(&Iocb::noop())? };
//! let mut cx = Context::from_waker(Waker::noop());
//! let outcome = loop {
//!     if let Poll::Ready(outcome) = reactor.poll(key, &mut cx) {
//!         break outcome;
//!     }
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
pub use notifier::Notifier;
pub use pbuf::{BufRing, ProvidedBuf, CQE_F_BUFFER, MAX_RING_ENTRIES};
pub use reactor::{Reactor, Stats, TaskWaker};
pub use slots::{Outcome, Resources};
