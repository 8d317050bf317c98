//! `close`.

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use ringaio_core::{Iocb, Target};

use crate::op::Operation;

pub(crate) struct Close {
    fd: RawFd,
}

impl Close {
    /// Takes ownership of `fd`: the kernel closes it, whatever the result. If the request is
    /// cancelled before it runs, its waiter closes it (`complete`), or, when nobody waits
    /// any more, the reactor does.
    pub(crate) fn new(fd: OwnedFd) -> Close {
        Close {
            fd: fd.into_raw_fd(),
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Close {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::close(Target::Fd(self.fd))
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        match result {
            // Cancelled before it ran (a timeout around it, or shutdown): the fd is still
            // ours, and closing it is what was asked.
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {
                // SAFETY: `Close` owns `fd`, and the kernel never closed it.
                if unsafe { libc::close(self.fd) } == 0 {
                    Ok(())
                } else {
                    Err(io::Error::last_os_error())
                }
            }
            // Otherwise the kernel has released the fd, whatever the result.
            other => other.map(drop),
        }
    }

    fn not_submitted(self, error: io::Error) -> io::Result<()> {
        // No ring to close it: close it here, so the fd is never leaked, and still say why
        // the close did not go through the runtime.
        // SAFETY: `Close` owns `fd` (taken from an `OwnedFd`) and the kernel never saw it.
        unsafe { libc::close(self.fd) };
        Err(error)
    }
}
