//! What a ring counts about itself: its `io_uring_enter` calls and the pushes that found the
//! SQ full. Plain integers bumped by the ring's single owner.

/// A ring's counters since it was built ([`Ring::counters`](super::Ring::counters)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RingCounters {
    /// `io_uring_enter` system calls made (to submit, to wait, or both); retries after
    /// EINTR or EBUSY count each time.
    pub enters: u64,
    /// Pushes that found the SQ full and had to submit (one more `io_uring_enter`) to make
    /// room.
    pub sq_full: u64,
}
