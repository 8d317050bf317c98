//! `close`.

use std::io;
use std::os::fd::{IntoRawFd, OwnedFd, RawFd};

use ringaio_core::{Iocb, Target};

use crate::op::Operation;

pub(crate) struct Close {
    fd: RawFd,
    /// A direct descriptor's slot to empty instead of `fd`.
    slot: Option<u32>,
}

impl Close {
    /// Takes ownership of `fd`: the kernel closes it, whatever the result. If the request is
    /// cancelled before it runs, its waiter closes it (`complete`), or, when nobody waits
    /// any more, the reactor does.
    pub(crate) fn new(fd: OwnedFd) -> Close {
        Close {
            fd: fd.into_raw_fd(),
            slot: None,
        }
    }

    /// Takes registered-file slot `slot` (a direct descriptor): the kernel empties it. A
    /// close that never ran hands the slot to the reactor to empty.
    pub(crate) fn direct(slot: u32) -> Close {
        Close {
            fd: -1,
            slot: Some(slot),
        }
    }

    /// The slot was not emptied: let the reactor do it, with nobody waiting.
    fn close_slot_later(slot: u32) {
        let _ = crate::context::with_current(|h| h.reactor.close_direct(slot));
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Close {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        match self.slot {
            Some(slot) => Iocb::close(Target::Fixed(slot)),
            None => Iocb::close(Target::Fd(self.fd)),
        }
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        if let Some(slot) = self.slot {
            if matches!(&result, Err(e) if e.raw_os_error() == Some(libc::ECANCELED)) {
                Close::close_slot_later(slot);
                return Ok(());
            }
            return result.map(drop);
        }
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
        if let Some(slot) = self.slot {
            Close::close_slot_later(slot);
            return Err(error);
        }
        // No ring to close it: close it here, so the fd is never leaked, and still say why
        // the close did not go through the runtime.
        // SAFETY: `Close` owns `fd` (taken from an `OwnedFd`) and the kernel never saw it.
        unsafe { libc::close(self.fd) };
        Err(error)
    }
}
