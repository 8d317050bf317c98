//! The ring's registered-file and registered-buffer tables: slots handed to files and
//! buffers that are used often, and emptied before their fd or memory can be reused.

use std::io;
use std::os::fd::RawFd;

use ringaio_core::{Iocb, Opcode, Target};

use super::{Inner, Reactor};
use crate::buffers::BufferSlot;
use crate::files::FixedFiles;

impl Reactor {
    /// The io_uring's fd, for the registrations made outside this module (provided buffer
    /// rings, `pbuf.rs`); `None` in fallback mode or after shutdown.
    pub(crate) fn ring_fd(&self) -> Option<RawFd> {
        self.inner
            .borrow()
            .ring
            .as_ref()
            .map(|ring| ring.as_raw_fd())
    }

    /// Registers `bufs` as the ring's whole registered-buffer table (`buf_index` i is
    /// `bufs[i]`), for a reactor built without a table of slots (`Config::fixed_buffers` 0).
    /// Returns false in fallback mode (no ring: the buffers do plain I/O).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS`: EBUSY when the ring has a table already (a table of
    /// slots, or an earlier call), ENOMEM over the locked-memory limit (`RLIMIT_MEMLOCK`).
    ///
    /// # Safety
    /// The memory of every iovec stays allocated until
    /// [`unregister_buffers`](Reactor::unregister_buffers) has returned or the reactor is
    /// dropped, and requests name a `buf_index` of the table only while the caller keeps it.
    pub unsafe fn register_buffers(&self, bufs: &[libc::iovec]) -> io::Result<bool> {
        let mut inner = self.inner.borrow_mut();
        if inner.buffers.len() > 0 {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let Some(ring) = inner.ring.as_mut() else {
            return Ok(false);
        };
        // SAFETY: forwarded from the caller.
        unsafe { ring.register_buffers(bufs) }.map(|()| true)
    }

    /// Drops the table [`register_buffers`](Reactor::register_buffers) installed (requests
    /// in flight keep the pages they were issued with). Nothing when there is none, or when
    /// the ring's table is the reactor's own table of slots.
    ///
    /// # Safety
    /// The caller installed the table, and no request names one of its indexes from now on
    /// (a later table would give the same indexes other memory).
    pub unsafe fn unregister_buffers(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.buffers.len() > 0 {
            return;
        }
        if let Some(ring) = inner.ring.as_mut() {
            if let Err(e) = ring.unregister_buffers() {
                tracing::debug!(error = %e, "no registered buffers to drop");
            }
        }
    }

    /// A hook for `ringaio`'s files and buffers, not a promise to other callers.
    ///
    /// Gives `fd` a slot in the ring's registered-file table, if there is a free one: from
    /// then on requests on `fd` that go to the ring use the slot (`IOSQE_FIXED_FILE`) and skip
    /// the kernel's fd lookup. Returns whether it did. One `io_uring_register` call.
    ///
    /// Call [`unregister_file`](Reactor::unregister_file) before closing `fd`, or a later file
    /// given the same fd number would be confused with this one.
    #[doc(hidden)]
    pub fn register_file(&self, fd: RawFd) -> bool {
        let mut inner = self.inner.borrow_mut();
        let Some(slot) = inner.files.insert(fd) else {
            return false;
        };
        let registered = inner
            .ring
            .as_mut()
            .is_some_and(|ring| ring.update_files(slot, &[fd]).is_ok());
        if !registered {
            inner.files.remove(fd);
        }
        registered
    }

    /// A hook for `ringaio`'s files and buffers, not a promise to other callers.
    ///
    /// Empties `fd`'s registered-file slot (requests in flight keep their own reference to
    /// the file). One `io_uring_register` call; nothing if `fd` has no slot.
    #[doc(hidden)]
    pub fn unregister_file(&self, fd: RawFd) {
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            return;
        }
        let Some(slot) = inner.files.remove(fd) else {
            return;
        };
        if let Some(ring) = inner.ring.as_mut() {
            if let Err(e) = ring.update_files(slot, &[-1]) {
                tracing::warn!(error = %e, fd, "could not empty a registered-file slot");
            }
        }
    }

    /// Registers the `len` bytes at `ptr` in a free slot of the ring's registered-buffer
    /// table (one `io_uring_register` call), so that `ReadFixed` / `WriteFixed` requests with
    /// the slot's index can use any range inside them. `None` with no ring, no table, no
    /// free slot, or when the kernel refuses (over the memlock limit, more than 1 GiB).
    ///
    /// # Safety
    /// The memory stays allocated (not freed, unmapped or remapped) until the returned slot is
    /// dropped, and requests name the slot's index only while the caller holds the slot, and
    /// only on this reactor (check with [`owns_buffer`](Reactor::owns_buffer)).
    pub unsafe fn register_buffer(&self, ptr: *mut u8, len: usize) -> Option<BufferSlot> {
        let mut guard = self.inner.try_borrow_mut().ok()?;
        let inner = &mut *guard;
        if inner.buffers.available() == 0 {
            inner.reclaim_buffers();
        }
        let ring = inner.ring.as_mut()?;
        let slot = inner.buffers.take()?;
        let iov = libc::iovec {
            iov_base: ptr.cast(),
            iov_len: len,
        };
        // SAFETY: our caller keeps the memory until the slot is dropped and names the index
        // only while it holds the slot; a dropped slot is emptied in the kernel's table
        // before it is handed out again.
        match unsafe { ring.update_buffers(slot.index().into(), &[iov]) } {
            Ok(()) => Some(slot),
            Err(e) => {
                if e.raw_os_error() == Some(libc::ENOMEM) && inner.buffers.first_refusal() {
                    tracing::warn!(
                        len,
                        "registering a buffer hit the locked-memory limit; such buffers do \
                         plain I/O (raise RLIMIT_MEMLOCK, `ulimit -l`, to register them)"
                    );
                } else {
                    tracing::debug!(error = %e, len, "buffer not registered");
                }
                inner.buffers.untake(slot);
                None
            }
        }
    }

    /// A hook for `ringaio`'s files and buffers, not a promise to other callers.
    ///
    /// Empties the registered-buffer slots given back since the last wait and makes them
    /// available again (every wait does this too).
    #[doc(hidden)]
    pub fn reclaim_buffers(&self) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.reclaim_buffers();
        }
    }

    /// A hook for `ringaio`'s files and buffers, not a promise to other callers.
    ///
    /// Whether `slot` belongs to this reactor's ring (a buffer registered with one runtime
    /// and used on another does plain reads and writes there).
    #[inline]
    #[doc(hidden)]
    pub fn owns_buffer(&self, slot: &BufferSlot) -> bool {
        slot.is_from(&self.buffer_home)
    }
}

impl Inner {
    /// Empties, in the kernel's table, the registered-buffer slots given back since the last
    /// wait, and makes them available again.
    pub(super) fn reclaim_buffers(&mut self) {
        let mut returned = self.buffers.returned();
        if returned.is_empty() {
            return;
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        let empty = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        // One update per run of consecutive slots (a dropped pool gives back whole runs).
        returned.sort_unstable();
        let empties = vec![empty; returned.len()];
        for run in returned.chunk_by(|a, b| b.checked_sub(*a) == Some(1)) {
            // SAFETY: an empty slot points at no memory.
            match unsafe { ring.update_buffers(run[0].into(), &empties[..run.len()]) } {
                Ok(()) => run.iter().for_each(|&index| self.buffers.free(index)),
                // Left out of the free list: never handed out while it may hold old pages.
                Err(e) => tracing::warn!(error = %e, first = run[0], n = run.len(),
                    "could not empty buffer slots"),
            }
        }
    }
}

/// The file `iocb` runs on: its registered-file slot where its fd has one.
#[inline]
pub(super) fn fixed_target(files: &FixedFiles, iocb: &Iocb) -> Target {
    if let Target::Fd(fd) = iocb.fd {
        // Close on a slot would close the slot, not the fd: leave it alone.
        if iocb.opcode != Opcode::Close && iocb.opcode.takes_fixed_file() {
            if let Some(slot) = files.lookup(fd) {
                return Target::Fixed(slot);
            }
        }
    }
    iocb.fd
}
