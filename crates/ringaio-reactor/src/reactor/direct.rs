//! Direct descriptors: files opened straight into the ring's registered-file table, with no
//! fd in the process's table and no `io_uring_register` call per file. The table is made
//! once at ring setup: its first `Config::fixed_files` slots are the reactor's to hand out
//! (registered fds, and slots lent to linked chains), the next `Config::direct_files` the
//! kernel's allocation range for `IORING_FILE_INDEX_ALLOC` opens.

use ringaio_core::{Iocb, Opcode, Target};

use super::{Inner, Reactor};
use crate::slots::{Closing, NO_TASK};

impl Reactor {
    /// A hook for `ringaio`'s files, not a promise to other callers.
    ///
    /// Whether requests may open direct descriptors into the allocation range
    /// (`Iocb::openat_direct` with `FILE_INDEX_ALLOC`): the ring has the range, and it runs
    /// `FixedFdInstall` (Linux 6.8), so a direct file can always be given a real fd, and
    /// `Openat` and `Close` (not forbidden: the pool has no registered-file table).
    #[doc(hidden)]
    #[inline]
    pub fn direct_files(&self) -> bool {
        self.direct.get()
            && [Opcode::FixedFdInstall, Opcode::Openat, Opcode::Close]
                .iter()
                .all(|op| self.runs_on_ring(*op))
    }

    /// A hook for `ringaio`'s files, not a promise to other callers.
    ///
    /// Lends out a free slot of the reactor's part of the table, for a direct descriptor
    /// opened into it by a linked chain. `None` without a ring, without a free slot, or in a
    /// forked child. Give it back with [`unreserve_slot`](Reactor::unreserve_slot) once the
    /// slot is empty again (its close has completed, or its open never ran or failed).
    #[doc(hidden)]
    pub fn reserve_slot(&self) -> Option<u32> {
        let mut inner = self.inner.try_borrow_mut().ok()?;
        if inner.ring.is_none() || inner.shut || inner.forked() {
            return None;
        }
        inner.files.reserve()
    }

    /// A hook for `ringaio`'s files, not a promise to other callers.
    ///
    /// Takes back a slot [`reserve_slot`](Reactor::reserve_slot) lent out; it must be empty
    /// in the kernel's table.
    #[doc(hidden)]
    pub fn unreserve_slot(&self, slot: u32) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.files.unreserve(slot);
        }
    }

    /// A hook for `ringaio`'s files, not a promise to other callers.
    ///
    /// Empties registered-file slot `slot` (a direct descriptor nobody uses any more) with an
    /// `IORING_OP_CLOSE` that nobody waits for and that is never cancelled. Nothing after
    /// shutdown or in a forked child: the table goes with the ring.
    #[doc(hidden)]
    pub fn close_direct(&self, slot: u32) {
        let Ok(mut inner) = self.inner.try_borrow_mut() else {
            // Only reachable from inside the reactor's own borrow (never from user code):
            // the slot stays full until the ring goes.
            tracing::warn!(slot, "a direct-descriptor slot could not be emptied");
            return;
        };
        let Some(id) = inner.close_direct(slot) else {
            return;
        };
        drop(inner);
        self.release(super::Key::new(id, self.id), ());
    }

    /// Closes what a request produced (or owned) that nobody will take.
    pub(super) fn close_orphan(&self, closing: Closing) {
        match closing {
            Closing::Fd(fd) => {
                // SAFETY: an fd nobody will receive (an openat's result) or that a close that
                // never ran still owned: the reactor is its owner now.
                unsafe { libc::close(fd) };
            }
            Closing::Slot(slot) => self.close_direct(slot),
        }
    }
}

impl Inner {
    /// Submits the close of `slot`; its id, to release at once.
    fn close_direct(&mut self, slot: u32) -> Option<crate::key::Id> {
        if self.ring.is_none() || self.shut || self.forked() {
            return None;
        }
        match self.submit(&Iocb::close(Target::Fixed(slot)), NO_TASK) {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!(error = %e, slot, "could not empty a direct-descriptor slot");
                None
            }
        }
    }
}
