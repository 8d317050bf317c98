//! The registered-buffer table: slots of the ring's fixed-buffer table handed out to buffers
//! that are used again and again, so reads and writes into them skip the kernel's
//! per-request mapping of user pages (`READ_FIXED` / `WRITE_FIXED`). Bookkeeping and the
//! slot handles; the reactor makes the `io_uring_register` calls.
//!
//! A slot goes back to the reactor when its [`BufferSlot`] is dropped, from any thread: it
//! is queued, and the reactor empties it in the kernel's table at its next wait. Until then
//! the kernel still maps the old pages, which may belong to a new allocation by then; that
//! is harmless only because nobody issues a request naming the slot: only the dropped
//! handle knew the index, and holders use it only on the ring that owns the slot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where slots come back to.
#[derive(Debug, Default)]
pub(crate) struct Home {
    returned: Mutex<Vec<u16>>,
    pending: AtomicBool,
}

impl Home {
    fn give_back(&self, index: u16) {
        self.returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(index);
        self.pending.store(true, Ordering::Release);
    }
}

/// One slot of a reactor's registered-buffer table, held by the buffer registered there
/// (see [`Reactor::register_buffer`](crate::Reactor::register_buffer)). Dropping it gives
/// the slot back, from any thread.
#[derive(Debug)]
pub struct BufferSlot {
    index: u16,
    home: Arc<Home>,
}

impl BufferSlot {
    /// The slot's index: the `buf_index` of `READ_FIXED` / `WRITE_FIXED`.
    pub fn index(&self) -> u16 {
        self.index
    }

    /// Whether the slot comes back to `home`.
    pub(crate) fn is_from(&self, home: &Arc<Home>) -> bool {
        Arc::ptr_eq(&self.home, home)
    }
}

impl Drop for BufferSlot {
    fn drop(&mut self) {
        self.home.give_back(self.index);
    }
}

/// The reactor's side: which slots are free, and the queue of slots given back.
#[derive(Debug)]
pub(crate) struct FixedBuffers {
    /// Free slot indexes, lowest last.
    free: Vec<u16>,
    len: usize,
    home: Arc<Home>,
    /// Whether the kernel has refused a registration for the memlock limit yet.
    refused: bool,
}

impl FixedBuffers {
    /// A table of `slots` slots (0: none).
    pub(crate) fn new(slots: u16) -> FixedBuffers {
        FixedBuffers {
            free: (0..slots).rev().collect(),
            len: slots.into(),
            home: Arc::default(),
            refused: false,
        }
    }

    /// A free slot, not yet filled in the kernel's table.
    pub(crate) fn take(&mut self) -> Option<BufferSlot> {
        let index = self.free.pop()?;
        Some(BufferSlot {
            index,
            home: self.home.clone(),
        })
    }

    /// Puts back a slot that was taken but could not be filled (no queue round trip).
    pub(crate) fn untake(&mut self, slot: BufferSlot) {
        self.free.push(slot.index);
        std::mem::forget(slot);
    }

    /// Where this table's slots come back to (`BufferSlot::is_from` it: one of ours).
    pub(crate) fn home(&self) -> &Arc<Home> {
        &self.home
    }

    /// Slots given back since the last call, which the caller must empty in the kernel's
    /// table and then [`free`](FixedBuffers::free).
    pub(crate) fn returned(&self) -> Vec<u16> {
        if !self.home.pending.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *self.home.returned.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Makes an emptied slot available again.
    pub(crate) fn free(&mut self, index: u16) {
        self.free.push(index);
    }

    /// True the first time it is called: say once that the memlock limit was hit.
    pub(crate) fn first_refusal(&mut self) -> bool {
        !std::mem::replace(&mut self.refused, true)
    }

    /// How many slots the table has.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// How many slots are free.
    pub(crate) fn available(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_come_back_through_the_queue_from_any_thread() {
        let mut table = FixedBuffers::new(2);
        let a = table.take().expect("slot");
        let b = table.take().expect("slot");
        assert_eq!((a.index(), b.index()), (0, 1));
        assert!(table.take().is_none(), "table full");
        assert!(a.is_from(table.home()));
        assert!(!a.is_from(FixedBuffers::new(1).home()));
        std::thread::spawn(move || drop(b)).join().expect("thread");
        let back = table.returned();
        assert_eq!(back, vec![1]);
        assert!(table.returned().is_empty(), "each slot comes back once");
        for i in back {
            table.free(i);
        }
        let c = table.take().expect("slot 1 again");
        assert_eq!(c.index(), 1);
        table.untake(c);
        table.untake(a);
        assert_eq!(table.available(), 2);
        assert!(table.returned().is_empty(), "untake does not queue");
    }
}
