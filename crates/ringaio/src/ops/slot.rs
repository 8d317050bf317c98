//! Requests on a slot of the ring's registered-file table that the runtime lent out for one
//! linked chain (`fs::read`, `fs::write`): the open into it and the close that empties it,
//! which gives the slot back.

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

/// The close that empties a lent slot (never cancelled by the reactor), then gives it back.
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
        // Whatever the result the slot is empty: closed, or (`ECANCELED`) never filled
        // because the open before it failed. `self.slot` goes back as `self` drops.
        match result {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => Ok(()),
            other => other.map(drop),
        }
    }

    fn not_submitted(self, error: io::Error) -> io::Result<()> {
        // The chain never reached the kernel: the slot was never filled.
        Err(error)
    }
}
