//! Request keys and their encoding into io_uring user data.

use std::num::NonZeroU64;

/// Names one request: its slot index and the generation the slot had when the request took
/// it. A stale key (the slot since freed and reused) never matches the new occupant.
///
/// Kept as its user data, one word: a key written as two halves and read back whole (it is
/// returned through memory on the submit path) would stall on store forwarding.
///
/// Never zero (generations start at 1), so `Option<Key>` is one word too.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(NonZeroU64);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("index", &self.index())
            .field("generation", &self.generation())
            .finish()
    }
}

/// User data with this bit set belongs to the reactor itself, not to a slot.
pub(crate) const INTERNAL: u64 = 1 << 63;
/// An internal cancel request; the low 63 bits are the target's user data.
pub(crate) const CANCEL: u64 = INTERNAL;
/// The reactor's own read of its wake-up eventfd.
pub(crate) const WAKE: u64 = INTERNAL | (1 << 62) | 1;
/// Generations use 31 bits so that user data never has `INTERNAL` set.
pub(crate) const GENERATION_MASK: u32 = 0x7fff_ffff;

impl Key {
    /// The key of slot `index` at `generation` (1 to `GENERATION_MASK`: slots never hand
    /// out generation 0).
    #[inline]
    pub(crate) fn new(index: u32, generation: u32) -> Key {
        debug_assert!(generation != 0 && generation <= GENERATION_MASK);
        let bits = (u64::from(generation & GENERATION_MASK) << 32) | u64::from(index);
        // Zero would need generation 0, which no slot has.
        Key(NonZeroU64::new(bits).unwrap_or(NonZeroU64::MAX))
    }

    /// The slot's index.
    #[inline]
    pub(crate) fn index(self) -> u32 {
        self.0.get() as u32
    }

    /// The slot's generation when the request took it.
    #[inline]
    pub(crate) fn generation(self) -> u32 {
        (self.0.get() >> 32) as u32
    }

    /// The user data the kernel carries for this request.
    #[inline]
    pub(crate) fn user_data(self) -> u64 {
        self.0.get()
    }

    /// The key `user_data` names, unless it is internal.
    #[inline]
    pub(crate) fn from_user_data(user_data: u64) -> Option<Key> {
        if user_data & INTERNAL != 0 {
            return None;
        }
        NonZeroU64::new(user_data).map(Key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips_and_never_looks_internal() {
        for (index, generation) in [(0, 1), (7, 2), (u32::MAX, GENERATION_MASK)] {
            let key = Key::new(index, generation);
            assert_eq!((key.index(), key.generation()), (index, generation));
            assert_eq!(key.user_data() & INTERNAL, 0);
            assert_eq!(Key::from_user_data(key.user_data()), Some(key));
        }
        assert_eq!(Key::from_user_data(WAKE), None);
        assert_eq!(Key::from_user_data(CANCEL | 5), None);
        assert_eq!(Key::from_user_data(0), None, "no slot has generation 0");
    }
}
