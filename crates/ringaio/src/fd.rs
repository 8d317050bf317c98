//! `SharedFd`: a file descriptor that stays open while any operation on it is in flight.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;

/// An fd shared by a file and its operations. Every operation holds a clone, so the fd is
/// closed only when the file *and* every request still using it are gone: a request queued
/// in user space or on the blocking pool never finds its fd number reused by another file.
#[derive(Clone, Debug)]
pub(crate) struct SharedFd(Rc<OwnedFd>);

impl SharedFd {
    pub(crate) fn new(fd: OwnedFd) -> SharedFd {
        SharedFd(Rc::new(fd))
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.0.as_raw_fd()
    }

    /// The fd itself, if nothing else holds it.
    pub(crate) fn try_unwrap(self) -> Result<OwnedFd, SharedFd> {
        Rc::try_unwrap(self.0).map_err(SharedFd)
    }
}
