//! `socket`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::Iocb;

use crate::op::Operation;

pub(crate) struct Socket {
    domain: i32,
    ty: i32,
}

impl Socket {
    /// A non-blocking, close-on-exec socket of `domain` and `ty` (default protocol).
    pub(crate) fn new(domain: i32, ty: i32) -> Socket {
        Socket {
            domain,
            ty: ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Socket {
    type Output = io::Result<OwnedFd>;

    fn iocb(&mut self) -> Iocb {
        Iocb::socket(self.domain, self.ty, 0)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<OwnedFd> {
        // SAFETY: a successful socket() returns a new fd that nobody else owns.
        result.map(|fd| unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}
