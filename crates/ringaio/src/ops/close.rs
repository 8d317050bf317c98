//! `close`.

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use ringaio_core::{Iocb, Target};

use crate::op::Operation;

pub(crate) struct Close {
    fd: RawFd,
}

impl Close {
    /// Takes ownership of `fd`: the kernel closes it, whatever the result.
    pub(crate) fn new(fd: OwnedFd) -> Close {
        Close {
            fd: fd.into_raw_fd(),
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Close {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::close(Target::Fd(self.fd))
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
