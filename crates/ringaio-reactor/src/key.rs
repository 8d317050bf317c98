//! Request keys: the move-only [`Key`] a submitter holds, and the [`Id`] it wraps, which is
//! what the kernel carries as user data.

use std::fmt;
use std::num::NonZeroU64;

use crate::mailbox::MESSAGE_MAX;

/// Names one request of one reactor: whoever submitted it holds it until the request ends.
///
/// A `Key` is move-only: it is consumed by the [`poll`](crate::Reactor::poll) that returns
/// the result ([`Polled::Ready`](crate::Polled::Ready)) and by
/// [`release`](crate::Reactor::release), so no second holder can let go of a request whose
/// memory the first one still keeps alive for the kernel. It also names its reactor: a key
/// handed to another reactor never touches that reactor's requests.
///
/// Dropping a `Key` without polling it to the end or releasing it leaves its slot occupied
/// for the life of the reactor; the memory the request points at must then be leaked (the
/// contract of [`submit`](crate::Reactor::submit)).
///
/// A key cannot be copied, so it cannot be released twice:
///
/// ```compile_fail
/// fn twice(key: ringaio_reactor::Key) -> (ringaio_reactor::Key, ringaio_reactor::Key) {
///     (key, key)
/// }
/// ```
#[must_use = "a request's key must be polled to the end or released"]
#[derive(PartialEq, Eq, Hash)]
pub struct Key {
    id: Id,
    /// The reactor that issued it (`Reactor::id`).
    owner: u64,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("index", &self.id.index())
            .field("generation", &self.id.generation())
            .field("reactor", &self.owner)
            .finish()
    }
}

impl Key {
    #[inline(always)]
    pub(crate) fn new(id: Id, owner: u64) -> Key {
        Key { id, owner }
    }

    /// The slot it names.
    #[inline(always)]
    pub(crate) fn id(&self) -> Id {
        self.id
    }

    /// The reactor that issued it.
    #[inline(always)]
    pub(crate) fn owner(&self) -> u64 {
        self.owner
    }
}

/// One slot at one generation, as the kernel carries it in user data. Inside the reactor
/// only: ids are copied freely there, where each state change checks the slot's state.
///
/// Kept as its user data, one word: an id written as two halves and read back whole (it is
/// returned through memory on the submit path) would stall on store forwarding. Never zero
/// (generations start at 1), so `Option<Id>` is one word too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(crate) struct Id(NonZeroU64);

/// User data with this bit set belongs to the reactor itself, not to a slot.
pub(crate) const INTERNAL: u64 = 1 << 63;
/// An internal cancel request; the low 63 bits are the target's user data.
pub(crate) const CANCEL: u64 = INTERNAL;
/// The reactor's own read of its wake-up eventfd. Bit 62 is above every generation (30
/// bits), so no cancel's user data is ever this.
pub(crate) const WAKE: u64 = INTERNAL | (1 << 62) | 1;
/// Bits of internal user data that tell messages apart from cancels (whose bits 32 to 62
/// hold a slot's generation, never 0) and from `WAKE`.
pub(crate) const MESSAGE_MASK: u64 = !(MESSAGE_MAX as u64);
/// A message from another reactor (`IORING_OP_MSG_RING`): the message is in the low 31 bits,
/// its data in the CQE's result.
pub(crate) const MESSAGE: u64 = INTERNAL;
/// This reactor's own message request came back: the low 31 bits name it in the outbox.
pub(crate) const MESSAGE_SENT: u64 = INTERNAL | (1 << 31);
/// Generations use 30 bits so that user data never has `INTERNAL` set, and a cancel's
/// (`CANCEL` | the target's user data) never has bit 62, which tells `WAKE` apart. With 31
/// bits, the cancel of slot 1 at a generation of 2^30 or more was `WAKE`.
pub(crate) const GENERATION_MASK: u32 = 0x3fff_ffff;

impl Id {
    /// The id of slot `index` at `generation` (1 to `GENERATION_MASK`: slots never hand
    /// out generation 0).
    #[inline]
    pub(crate) fn new(index: u32, generation: u32) -> Id {
        debug_assert!(generation != 0 && generation <= GENERATION_MASK);
        let bits = (u64::from(generation & GENERATION_MASK) << 32) | u64::from(index);
        // Zero would need generation 0, which no slot has.
        Id(NonZeroU64::new(bits).unwrap_or(NonZeroU64::MAX))
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

    /// The id `user_data` names, unless it is internal.
    #[inline]
    pub(crate) fn from_user_data(user_data: u64) -> Option<Id> {
        if user_data & INTERNAL != 0 {
            return None;
        }
        NonZeroU64::new(user_data).map(Id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips_and_never_looks_internal() {
        for (index, generation) in [(0, 1), (7, 2), (u32::MAX, GENERATION_MASK)] {
            let id = Id::new(index, generation);
            assert_eq!((id.index(), id.generation()), (index, generation));
            assert_eq!(id.user_data() & INTERNAL, 0);
            assert_eq!(Id::from_user_data(id.user_data()), Some(id));
        }
        assert_eq!(Id::from_user_data(WAKE), None);
        assert_eq!(Id::from_user_data(CANCEL | 5), None);
        assert_eq!(Id::from_user_data(0), None, "no slot has generation 0");
        // Messages never look like cancels (generation bits set) or the wake read.
        for cancel in [CANCEL | Id::new(5, 1).user_data(), WAKE] {
            assert_ne!(cancel & MESSAGE_MASK, MESSAGE);
            assert_ne!(cancel & MESSAGE_MASK, MESSAGE_SENT);
        }
        assert_eq!((MESSAGE | MESSAGE_MAX as u64) & MESSAGE_MASK, MESSAGE);
        // No cancel is the wake read, whatever the slot and generation.
        for index in [0, 1, u32::MAX] {
            for generation in [1, 1 << 29, GENERATION_MASK] {
                assert_ne!(CANCEL | Id::new(index, generation).user_data(), WAKE);
            }
        }
        assert_eq!((MESSAGE_SENT | 7) & MESSAGE_MASK, MESSAGE_SENT);
    }
}
