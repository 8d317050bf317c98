//! Multishot `accept4`: one completion per connection.

use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::Iocb;
use ringaio_reactor::Outcome;

use crate::fd::SharedFd;
use crate::multi::Multishot;
use crate::ops::ACCEPT_FLAGS;

pub(crate) struct AcceptMulti {
    fd: SharedFd,
}

impl AcceptMulti {
    pub(crate) fn new(fd: &SharedFd) -> AcceptMulti {
        AcceptMulti { fd: fd.clone() }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Multishot for AcceptMulti {
    fn iocb(&mut self) -> Iocb {
        Iocb::accept_multi(self.fd.target(), ACCEPT_FLAGS)
    }

    fn discard(&mut self, outcome: Outcome) {
        if outcome.result >= 0 {
            // SAFETY: an accepted fd nobody else has seen: ours to close.
            drop(unsafe { OwnedFd::from_raw_fd(outcome.result) });
        }
    }
}
