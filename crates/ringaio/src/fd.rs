//! `SharedFd`: a file descriptor that stays open while any operation on it is in flight, and
//! holds a registered-file slot in the ring while it lives.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::{Rc, Weak};

use ringaio_reactor::Reactor;

use crate::context;

/// An fd shared by a file and its operations. Every operation holds a clone, so the fd is
/// closed only when the file *and* every request still using it are gone: a request queued
/// in user space or on the blocking pool never finds its fd number reused by another file.
#[derive(Clone, Debug)]
pub(crate) struct SharedFd(Rc<Inner>);

#[derive(Debug)]
struct Inner {
    raw: RawFd,
    fd: Option<OwnedFd>,
    /// The reactor whose registered-file table has a slot for this fd.
    registered: Option<Weak<Reactor>>,
}

impl Inner {
    fn unregister(&mut self) {
        if let Some(reactor) = self.registered.take().and_then(|r| r.upgrade()) {
            reactor.unregister_file(self.raw);
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The slot must be emptied before the fd number can be reused.
        self.unregister();
    }
}

impl SharedFd {
    /// Takes `fd`, giving it a registered-file slot in the current runtime's ring if one is
    /// free.
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        let raw = fd.as_raw_fd();
        let registered = context::with_current(|h| {
            h.reactor
                .register_file(raw)
                .then(|| Rc::downgrade(&h.reactor))
        })
        .ok()
        .flatten();
        SharedFd(Rc::new(Inner {
            raw,
            fd: Some(fd),
            registered,
        }))
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.0.raw
    }

    /// The fd itself (its registered slot emptied), if nothing else holds it.
    pub(crate) fn try_unwrap(self) -> Result<OwnedFd, SharedFd> {
        let mut inner = Rc::try_unwrap(self.0).map_err(SharedFd)?;
        inner.unregister();
        // `fd` is only ever taken here, from the last reference.
        Ok(inner.fd.take().expect("fd present until taken"))
    }
}
