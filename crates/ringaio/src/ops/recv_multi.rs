//! Multishot `recv` into buffers the kernel picks from a provided buffer ring.

use ringaio_core::Iocb;
use ringaio_reactor::{BufRing, Outcome};

use crate::fd::SharedFd;
use crate::multi::Multishot;

pub(crate) struct RecvMulti {
    fd: SharedFd,
    /// Kept until the final completion: the kernel picks from it while the request runs.
    ring: BufRing,
}

impl RecvMulti {
    pub(crate) fn new(fd: &SharedFd, ring: BufRing) -> RecvMulti {
        RecvMulti {
            fd: fd.clone(),
            ring,
        }
    }

    pub(crate) fn ring(&self) -> &BufRing {
        &self.ring
    }
}

// SAFETY: the request names a buffer group, whose ring (owned by self, shared with the
// buffers handed out) stays registered while self lives.
unsafe impl Multishot for RecvMulti {
    fn iocb(&mut self) -> Iocb {
        Iocb::recv_multi(self.fd.target(), self.ring.group(), 0)
    }

    fn discard(&mut self, outcome: Outcome) {
        // Dropping the buffer pushes it back into the ring.
        drop(self.ring.take(outcome.flags, outcome.result));
    }
}
