//! Request keys and their encoding into io_uring user data.

/// Names one request: its slot index and the generation the slot had when the request took
/// it. A stale key (the slot since freed and reused) never matches the new occupant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub(crate) index: u32,
    pub(crate) generation: u32,
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
    /// The user data the kernel carries for this request.
    pub(crate) fn user_data(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }

    /// The key `user_data` names, unless it is internal.
    pub(crate) fn from_user_data(user_data: u64) -> Option<Key> {
        if user_data & INTERNAL != 0 {
            return None;
        }
        Some(Key {
            index: user_data as u32,
            generation: (user_data >> 32) as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips_and_never_looks_internal() {
        for (index, generation) in [(0, 0), (7, 1), (u32::MAX, GENERATION_MASK)] {
            let key = Key { index, generation };
            assert_eq!(key.user_data() & INTERNAL, 0);
            assert_eq!(Key::from_user_data(key.user_data()), Some(key));
        }
        assert_eq!(Key::from_user_data(WAKE), None);
        assert_eq!(Key::from_user_data(CANCEL | 5), None);
    }
}
