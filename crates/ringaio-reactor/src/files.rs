//! The registered-file table: which fds have a slot in the ring's fixed-file table, so that
//! requests on them skip the kernel's per-request fd lookup (`IOSQE_FIXED_FILE`), and which
//! slots are lent out for direct descriptors opened into a slot of our choosing (linked
//! open → read → close chains). The table's other part, the allocation range, is the
//! kernel's to manage (`IORING_FILE_INDEX_ALLOC`).
//! Bookkeeping only; the reactor makes the `io_uring_register` calls.

use std::os::fd::RawFd;

#[derive(Debug, Default)]
pub(crate) struct FixedFiles {
    /// `by_fd[fd]` is the slot index + 1, or 0 for an fd without a slot.
    by_fd: Vec<u32>,
    /// Free slot indexes, lowest last.
    free: Vec<u32>,
}

impl FixedFiles {
    pub(crate) fn new(slots: u32) -> FixedFiles {
        FixedFiles {
            by_fd: Vec::new(),
            free: (0..slots).rev().collect(),
        }
    }

    /// The slot of `fd`, if it has one.
    pub(crate) fn lookup(&self, fd: RawFd) -> Option<u32> {
        let index = *self.by_fd.get(usize::try_from(fd).ok()?)?;
        index.checked_sub(1)
    }

    /// A free slot for `fd` (not yet filled in the kernel's table).
    pub(crate) fn insert(&mut self, fd: RawFd) -> Option<u32> {
        let at = usize::try_from(fd).ok()?;
        if self.lookup(fd).is_some() {
            return None;
        }
        let slot = self.free.pop()?;
        if self.by_fd.len() <= at {
            self.by_fd.resize(at + 1, 0);
        }
        self.by_fd[at] = slot + 1;
        Some(slot)
    }

    /// How many slots are free.
    pub(crate) fn available(&self) -> usize {
        self.free.len()
    }

    /// A free slot lent out whole (no fd: a direct descriptor will be opened into it).
    pub(crate) fn reserve(&mut self) -> Option<u32> {
        self.free.pop()
    }

    /// Takes back a slot from [`reserve`](FixedFiles::reserve), empty again in the kernel's
    /// table.
    pub(crate) fn unreserve(&mut self, slot: u32) {
        debug_assert!(!self.free.contains(&slot), "slot {slot} given back twice");
        self.free.push(slot);
    }

    /// Forgets `fd`'s slot and returns it, to be emptied in the kernel's table.
    pub(crate) fn remove(&mut self, fd: RawFd) -> Option<u32> {
        let slot = self.lookup(fd)?;
        self.by_fd[fd as usize] = 0;
        self.free.push(slot);
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_handed_out_and_back() {
        let mut files = FixedFiles::new(2);
        assert_eq!(files.insert(7), Some(0));
        assert_eq!(files.insert(7), None, "already has one");
        assert_eq!(files.insert(3), Some(1));
        assert_eq!(files.insert(9), None, "table full");
        assert_eq!(files.lookup(7), Some(0));
        assert_eq!(files.lookup(100), None);
        assert_eq!(files.lookup(-1), None);
        assert_eq!(files.remove(7), Some(0));
        assert_eq!(files.lookup(7), None);
        assert_eq!(files.insert(9), Some(0));
    }

    #[test]
    fn reserved_slots_are_shared_with_registration() {
        let mut files = FixedFiles::new(2);
        let a = files.reserve().unwrap();
        assert_eq!(files.insert(5), Some(1 - a));
        assert_eq!(files.reserve(), None, "table full");
        assert_eq!(files.insert(6), None);
        files.unreserve(a);
        assert_eq!(files.insert(6), Some(a));
    }
}
