//! User-space timers for `Timeout` requests when the ring cannot run them (fallback mode).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::key::Id;

#[derive(Debug, Default)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u32, u32)>>,
}

impl Timers {
    pub(crate) fn insert(&mut self, deadline: Instant, key: Id) {
        self.heap
            .push(Reverse((deadline, key.index(), key.generation())));
    }

    /// Time until the earliest deadline (zero if one has passed).
    /// Reads the clock only when there is a timer (a `clock_gettime` per wait otherwise).
    pub(crate) fn next_in(&self, now: impl FnOnce() -> Instant) -> Option<Duration> {
        self.heap
            .peek()
            .map(|Reverse((d, _, _))| d.saturating_duration_since(now()))
    }

    /// Pops every timer due by `now`. Entries of requests already cancelled are popped too;
    /// the slots' generation check makes them no-ops.
    pub(crate) fn expired(&mut self, now: Instant, mut f: impl FnMut(Id)) {
        while let Some(Reverse((deadline, index, generation))) = self.heap.peek().copied() {
            if deadline > now {
                break;
            }
            self.heap.pop();
            f(Id::new(index, generation));
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.heap.clear();
    }
}

/// The relative duration in a `Timeout` request's timespec.
///
/// # Safety
/// - `addr` points at a live [`Timespec`](ringaio_core::Timespec) (the request's submitter
///   promised so).
pub(crate) unsafe fn timespec_duration(addr: u64) -> Duration {
    // SAFETY: the caller promises a live `Timespec`.
    let ts = unsafe { std::ptr::read_unaligned(addr as usize as *const ringaio_core::Timespec) };
    ts.to_duration()
}
