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
        // The kernel has released the fd, whatever the result.
        result.map(drop)
    }

    fn not_submitted(self, error: io::Error) -> io::Result<()> {
        // No ring to close it: close it here, so the fd is never leaked, and still say why
        // the close did not go through the runtime.
        // SAFETY: `Close` owns `fd` (taken from an `OwnedFd`) and the kernel never saw it.
        unsafe { libc::close(self.fd) };
        Err(error)
    }
}
