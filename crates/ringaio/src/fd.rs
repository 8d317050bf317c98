//! `SharedFd`: a file that stays open while any operation on it is in flight. Either a plain
//! fd, given a registered-file slot once it has been used often enough, or a direct
//! descriptor: a slot of the ring's registered-file table with no fd in the process.

use std::cell::{Cell, OnceCell};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::{Rc, Weak};
use std::task::{Context, Waker};

use ringaio_core::{Iocb, Opcode, Target};
use ringaio_reactor::{Polled, Reactor};

use crate::context;

/// Requests on a plain fd before it asks for a registered-file slot: one
/// `io_uring_register` call to fill the slot and one to empty it pay for themselves only
/// over many requests (a short-lived file opened, read once and closed never registers).
pub(crate) const REGISTER_AFTER: u32 = 64;

/// A file shared by a `File` (or socket, or directory) and its operations. Every operation
/// holds a clone, so the file is closed only when its owner *and* every request still using
/// it are gone: a request queued in user space or on the blocking pool never finds its fd
/// number (or slot) reused by another file.
#[derive(Clone, Debug)]
pub(crate) struct SharedFd(Rc<Inner>);

#[derive(Debug)]
enum Inner {
    Plain(Plain),
    Direct(Direct),
}

#[derive(Debug)]
struct Plain {
    raw: RawFd,
    fd: Option<OwnedFd>,
    /// Requests made on it so far, up to `REGISTER_AFTER`.
    uses: Cell<u32>,
    /// The reactor whose registered-file table has a slot for this fd.
    registered: OnceCell<Weak<Reactor>>,
}

/// A direct descriptor: slot `slot` of `reactor`'s registered-file table. Requests name the
/// slot (`IOSQE_FIXED_FILE`); what needs a real fd (`as_fd`, `statx`, `into_std`, a request
/// the ring cannot run) gets one installed once (`IORING_OP_FIXED_FD_INSTALL`) and kept.
#[derive(Debug)]
struct Direct {
    slot: u32,
    reactor: Weak<Reactor>,
    /// The real fd, once one was needed; `None` inside when it could not be installed.
    installed: OnceCell<Option<OwnedFd>>,
    /// Whether the slot is still the file's (false once `take_slot` handed it to a close).
    owns_slot: Cell<bool>,
}

impl Plain {
    fn unregister(&mut self) {
        if let Some(reactor) = self.registered.take().and_then(|r| r.upgrade()) {
            reactor.unregister_file(self.raw);
        }
    }
}

impl Drop for Plain {
    fn drop(&mut self) {
        // The slot must be emptied before the fd number can be reused.
        self.unregister();
    }
}

impl Drop for Direct {
    fn drop(&mut self) {
        if !self.owns_slot.get() {
            return;
        }
        // A dropped runtime took its table, and with it the file, along: nothing to do.
        if let Some(reactor) = self.reactor.upgrade() {
            reactor.close_direct(self.slot);
        }
    }
}

impl SharedFd {
    /// Takes a plain `fd`.
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        SharedFd(Rc::new(Inner::Plain(Plain {
            raw: fd.as_raw_fd(),
            fd: Some(fd),
            uses: Cell::new(0),
            registered: OnceCell::new(),
        })))
    }

    /// Takes slot `slot` of `reactor`'s registered-file table, which holds an open file.
    pub(crate) fn direct(slot: u32, reactor: &Rc<Reactor>) -> SharedFd {
        SharedFd(Rc::new(Inner::Direct(Direct {
            slot,
            reactor: Rc::downgrade(reactor),
            installed: OnceCell::new(),
            owns_slot: Cell::new(true),
        })))
    }

    /// Slot `slot` of `reactor`'s table, lent to one linked chain, which opens and closes
    /// it: this handle names the slot for the requests between, and closes nothing.
    pub(crate) fn lent_slot(slot: u32, reactor: &Rc<Reactor>) -> SharedFd {
        SharedFd(Rc::new(Inner::Direct(Direct {
            slot,
            reactor: Rc::downgrade(reactor),
            installed: OnceCell::new(),
            owns_slot: Cell::new(false),
        })))
    }

    /// Whether it is a direct descriptor.
    pub(crate) fn is_direct(&self) -> bool {
        matches!(*self.0, Inner::Direct(_))
    }

    /// The file a request on it names, counted as a use. A plain fd asks for a
    /// registered-file slot at its `REGISTER_AFTER`th request (the reactor then maps the fd
    /// to its slot at every push). A direct descriptor names its slot, on its own
    /// runtime only: anywhere else the slot would name another ring's file, so the request
    /// gets an fd of -1 and fails with `EBADF`.
    #[inline]
    pub(crate) fn target(&self) -> Target {
        match &*self.0 {
            Inner::Plain(plain) => {
                let uses = plain.uses.get();
                if uses < REGISTER_AFTER {
                    plain.uses.set(uses + 1);
                } else if uses == REGISTER_AFTER {
                    plain.uses.set(uses + 1);
                    self.register(plain);
                }
                Target::Fd(plain.raw)
            }
            Inner::Direct(direct) => {
                if std::ptr::eq(direct.reactor.as_ptr(), context::reactor_ptr()) {
                    Target::Fixed(direct.slot)
                } else {
                    Target::Fd(-1)
                }
            }
        }
    }

    /// [`target`](SharedFd::target) for a request of `op`: a direct descriptor's real fd
    /// (installed once) where the ring does not run `op` (the blocking pool has no
    /// registered-file table), say `Ftruncate` before Linux 6.9.
    #[inline]
    pub(crate) fn target_for(&self, op: Opcode) -> Target {
        match &*self.0 {
            Inner::Direct(direct) if !direct.on_ring(op) => Target::Fd(self.raw()),
            _ => self.target(),
        }
    }

    #[cold]
    fn register(&self, plain: &Plain) {
        let _ = context::with_current(|h| {
            if h.reactor.register_file(plain.raw) {
                let _ = plain.registered.set(Rc::downgrade(&h.reactor));
            }
        });
    }

    /// A real fd for the file: a plain fd itself; for a direct descriptor, an fd installed
    /// once (a ring round trip) and kept. -1 when none can be had (the direct descriptor's
    /// runtime is gone, or the process is out of fds): requests on it fail with `EBADF`.
    pub(crate) fn raw(&self) -> RawFd {
        match &*self.0 {
            Inner::Plain(plain) => plain.raw,
            Inner::Direct(direct) => direct
                .installed
                .get_or_init(|| direct.install().ok())
                .as_ref()
                .map_or(-1, AsRawFd::as_raw_fd),
        }
    }

    /// For `Debug`: the fd, or the direct slot, without installing anything.
    pub(crate) fn describe(&self) -> String {
        match &*self.0 {
            Inner::Plain(plain) => plain.raw.to_string(),
            Inner::Direct(direct) => format!("direct slot {}", direct.slot),
        }
    }

    /// The plain fd itself (its registered slot emptied), if nothing else holds it; for a
    /// direct descriptor, its installed fd (the slot closed), installing one if need be.
    pub(crate) fn try_unwrap(self) -> Result<OwnedFd, SharedFd> {
        let inner = Rc::try_unwrap(self.0).map_err(SharedFd)?;
        match inner {
            Inner::Plain(mut plain) => {
                plain.unregister();
                // `fd` is only ever taken here, from the last reference.
                Ok(plain.fd.take().expect("fd present until taken"))
            }
            Inner::Direct(mut direct) => {
                let fd = direct
                    .installed
                    .take()
                    .unwrap_or_else(|| direct.install().ok());
                match fd {
                    // The slot closes when `direct` drops.
                    Some(fd) => Ok(fd),
                    None => Err(SharedFd(Rc::new(Inner::Direct(direct)))),
                }
            }
        }
    }

    /// A direct descriptor's slot, handed to a close, if nothing else holds the file (an
    /// installed fd is closed here); `Err` with the file back otherwise, or for a plain fd.
    pub(crate) fn try_take_slot(self) -> Result<u32, SharedFd> {
        match &*self.0 {
            Inner::Direct(direct) if Rc::strong_count(&self.0) == 1 => {
                direct.owns_slot.set(false);
                Ok(direct.slot)
            }
            _ => Err(self),
        }
    }
}

impl Direct {
    /// Whether its runtime's ring runs `op` (where it is not its runtime, `target` refuses
    /// the slot anyway).
    fn on_ring(&self, op: Opcode) -> bool {
        self.reactor.upgrade().is_none_or(|r| r.runs_on_ring(op))
    }

    /// A real fd for the slot, now: one `IORING_OP_FIXED_FD_INSTALL` and a wait on the ring
    /// for its completion (other completions that come in meanwhile reach their requests
    /// as usual).
    fn install(&self) -> io::Result<OwnedFd> {
        let reactor = self
            .reactor
            .upgrade()
            .ok_or_else(|| io::Error::other("the direct descriptor's runtime is gone"))?;
        if !std::ptr::eq(Rc::as_ptr(&reactor), context::reactor_ptr()) {
            return Err(io::Error::other(
                "a direct descriptor can only be used on the runtime that opened it",
            ));
        }
        let install = Iocb::fixed_fd_install(self.slot);
        // SAFETY: the request points at no memory.
        let mut key = unsafe { reactor.submit(&install) }?;
        let mut cx = Context::from_waker(Waker::noop());
        let result = loop {
            match reactor.poll(key, &mut cx) {
                Polled::Ready(outcome) => break outcome.result,
                Polled::Pending(k) => key = k,
            }
            if let Err(e) = reactor.park(None) {
                reactor.release(key, ());
                return Err(e);
            }
        };
        let fd = ringaio_core::cqe_result(result)?;
        // SAFETY: a successful install returns a new fd that nobody else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
    }
}
