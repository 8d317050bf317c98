//! Requests on a slot of the ring's registered-file table that the runtime lent out for one
//! linked chain (`fs::read`, `fs::write`): the open into it and the close that empties it,
//! which gives the slot back. A slot goes back to the reactor only once it is empty in the
//! kernel's table and no open into it can still run: never while the kernel may fill it.

use std::ffi::CString;
use std::io;
use std::rc::{Rc, Weak};

use ringaio_core::{Iocb, Target};
use ringaio_reactor::Reactor;

use crate::op::Operation;

/// A registered-file slot lent out by the reactor (`Reactor::reserve_slot`), empty when
/// lent and given back when dropped: only once it is empty again (its close has completed,
/// or its open never ran or failed).
#[derive(Debug)]
pub(crate) struct ReservedSlot {
    index: u32,
    reactor: Weak<Reactor>,
}

impl ReservedSlot {
    /// A free slot of `reactor`'s table, if it has one.
    pub(crate) fn take(reactor: &Rc<Reactor>) -> Option<ReservedSlot> {
        Some(ReservedSlot {
            index: reactor.reserve_slot()?,
            reactor: Rc::downgrade(reactor),
        })
    }

    pub(crate) fn index(&self) -> u32 {
        self.index
    }
}

impl ReservedSlot {
    /// Empties the slot, which may hold a file, with a close nobody waits for: the reactor
    /// runs it uncancelled and keeps `self` until it completes, so the slot goes back empty.
    fn close_and_give_back(self) {
        let Some(reactor) = self.reactor.upgrade() else {
            // A dropped runtime took its table, and the file in it, along.
            return;
        };
        let mut close = CloseSlot::new(self);
        let iocb = close.iocb();
        // SAFETY: a close points at no memory.
        match unsafe { reactor.submit(&iocb) } {
            Ok(key) => reactor.release(key, close),
            Err(e) => {
                // Only a shut-down reactor, or one in a forked child, refuses a close; it
                // lends no slot again, but the slot may be full: keep it out of use.
                tracing::debug!(error = %e, slot = close.slot.index, "lent slot not emptied");
                std::mem::forget(close);
            }
        }
    }
}

impl Drop for ReservedSlot {
    fn drop(&mut self) {
        // A dropped runtime took its table along.
        if let Some(reactor) = self.reactor.upgrade() {
            reactor.unreserve_slot(self.index);
        }
    }
}

/// `openat` into slot `slot` (a direct descriptor of our choosing); output `Ok(())`.
pub(crate) struct OpenSlot {
    path: CString,
    flags: i32,
    mode: u32,
    slot: u32,
}

impl OpenSlot {
    /// Opens `path` with `flags` (no `O_CLOEXEC`: a direct open refuses it) and `mode`.
    pub(crate) fn new(path: CString, flags: i32, mode: u32, slot: &ReservedSlot) -> OpenSlot {
        OpenSlot {
            path,
            flags: flags & !libc::O_CLOEXEC,
            mode,
            slot: slot.index(),
        }
    }
}

// SAFETY: the path is a CString: heap memory owned by self.
unsafe impl Operation for OpenSlot {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::openat_direct(libc::AT_FDCWD, &self.path, self.flags, self.mode, self.slot)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}

/// A lent slot an open has filled (requests name it through a `SharedFd::lent_slot`).
/// Dropping it empties the slot with a close that nobody waits for (it goes out with the next
/// batch of requests; as `std`'s `File` drop, its result is not reported), and the slot goes
/// back when that close has completed.
#[derive(Debug)]
pub(crate) struct OpenedSlot(Option<ReservedSlot>);

impl OpenedSlot {
    /// Gives the slot back at once: its open failed, or never ran, so it is empty.
    pub(crate) fn give_back_empty(mut self) {
        drop(self.0.take());
    }

    /// The close that empties the slot and gives it back, to await.
    pub(crate) fn into_close(mut self) -> Option<CloseSlot> {
        self.0.take().map(CloseSlot::new)
    }
}

impl Drop for OpenedSlot {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.close_and_give_back();
        }
    }
}

/// The close that empties a lent slot (never cancelled by the reactor), then gives it back.
/// Never linked after requests that can fail: it runs whatever came before it.
pub(crate) struct CloseSlot {
    slot: ReservedSlot,
}

impl CloseSlot {
    pub(crate) fn new(slot: ReservedSlot) -> CloseSlot {
        CloseSlot { slot }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for CloseSlot {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::close(Target::Fixed(self.slot.index()))
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        // Whatever the result the slot is empty. `self.slot` goes back as `self` drops.
        result.map(drop)
    }
}

/// The close linked after an open into a lent slot and the requests on it (`fs::write`'s
/// chain), which keeps the slot. When every request before it succeeded it runs: its output
/// is its result, the slot given back empty. When it was cancelled (`ECANCELED`: a request
/// before it failed or came up short) the slot may hold the file: it comes back in the output,
/// as an [`OpenedSlot`] to carry on with or to drop. Dropped without output (its waiter left,
/// and the reactor dropped it at its completion), it empties the slot as an `OpenedSlot`
/// would (when it had run, that second close fails, harmlessly).
pub(crate) struct CloseOpened {
    slot: OpenedSlot,
}

impl CloseOpened {
    pub(crate) fn new(slot: ReservedSlot) -> CloseOpened {
        CloseOpened {
            slot: OpenedSlot(Some(slot)),
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for CloseOpened {
    type Output = (io::Result<()>, Option<OpenedSlot>);

    // Leaks the slot (its table goes with the ring), and gives no slot back.
    fn abandoned(self, error: io::Error) -> Result<Self::Output, Self> {
        std::mem::forget(self);
        Ok((Err(error), None))
    }

    fn iocb(&mut self) -> Iocb {
        match &self.slot.0 {
            Some(slot) => Iocb::close(Target::Fixed(slot.index())),
            None => Iocb::close(Target::Fd(-1)),
        }
    }

    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        let slot = OpenedSlot(self.slot.0.take());
        match result {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => (Err(e), Some(slot)),
            other => {
                slot.give_back_empty();
                (other.map(drop), None)
            }
        }
    }

    fn not_submitted(mut self, error: io::Error) -> Self::Output {
        // The chain never reached the kernel: the slot was never filled.
        OpenedSlot(self.slot.0.take()).give_back_empty();
        (Err(error), None)
    }
}
