//! Runtime metrics: plain counters that the reactor's own thread bumps as requests go in and
//! out and as it parks, and the [`RuntimeMetrics`] snapshot assembled from them on demand.
//!
//! No atomics: a reactor is `!Send`, so its counters are written and read on one thread. What
//! is derived from live state (in-flight by opcode, queued) is computed when a snapshot is
//! taken, so it costs nothing per request.

use std::time::{Duration, Instant};

use ringaio_core::Opcode;

use crate::config::Backend;

/// The reactor's running totals (`Inner::counters`).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) submitted: u64,
    pub(crate) cq_room_waits: u64,
    pub(crate) parks: u64,
    pub(crate) park_time: Duration,
}

impl Counters {
    /// A park that began at `since` has ended.
    #[inline]
    pub(crate) fn parked(&mut self, since: Instant) {
        self.parks += 1;
        self.park_time += since.elapsed();
    }
}

/// A snapshot of a reactor's (a runtime's) counters and of the requests it holds, from
/// `Reactor::metrics` (or `ringaio::Runtime::metrics`).
///
/// Totals count from the reactor's start. Take two snapshots and subtract to measure a
/// stretch of work.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeMetrics {
    /// The backend in use when the snapshot was taken.
    pub backend: Backend,
    /// Requests accepted by `submit` (each gets exactly one final result).
    pub submitted: u64,
    /// Requests whose final result came in: from the kernel, the blocking pool, the timer
    /// list, or a cancel that caught them before they ran.
    pub completed: u64,
    /// Requests handed to the ring (SQEs pushed).
    pub via_ring: u64,
    /// Requests run on the blocking pool (the fallback): every request on the fallback
    /// backend, and those whose opcode the ring lacks.
    pub via_pool: u64,
    /// Requests the kernel, pool or timer list holds right now.
    pub in_flight: usize,
    /// `in_flight` by opcode, in [`Opcode::ALL`] order, opcodes with none left out.
    pub in_flight_by_opcode: Vec<(Opcode, usize)>,
    /// Requests waiting in user space for CQ room right now.
    pub queued: usize,
    /// Requests that had to wait in user space for CQ room (the in-flight budget, half the
    /// CQ, was used up) before reaching the ring.
    pub cq_room_waits: u64,
    /// Pushes that found the SQ full and flushed it with an extra `io_uring_enter`.
    pub sq_full: u64,
    /// `io_uring_enter` system calls, to submit, to wait, or both (0 on the fallback
    /// backend).
    pub submit_syscalls: u64,
    /// Times the runtime's thread blocked waiting for completions (on the fallback
    /// backend: for the pool's eventfd). Non-blocking polls of the ring are not parks.
    pub parks: u64,
    /// Time spent in those parks: waiting in the kernel rather than running tasks.
    pub park_time: Duration,
    /// The ring's CQ overflow counter (0 when nothing was dropped, as the in-flight budget
    /// intends).
    pub cq_overflow: u32,
}

impl RuntimeMetrics {
    /// How many requests of `op` are in flight.
    pub fn in_flight_of(&self, op: Opcode) -> usize {
        self.in_flight_by_opcode
            .iter()
            .find(|(o, _)| *o == op)
            .map_or(0, |(_, n)| *n)
    }

    /// A snapshot with the in-flight requests counted from their opcodes and every total
    /// zero (the reactor fills them in).
    pub(crate) fn from_in_flight(
        backend: Backend,
        in_flight: impl Iterator<Item = Opcode>,
    ) -> RuntimeMetrics {
        let mut by_op = [0usize; 64];
        let mut total = 0;
        for op in in_flight {
            by_op[usize::from(op as u16 & 63)] += 1;
            total += 1;
        }
        RuntimeMetrics {
            backend,
            submitted: 0,
            completed: 0,
            via_ring: 0,
            via_pool: 0,
            in_flight: total,
            in_flight_by_opcode: Opcode::ALL
                .iter()
                .map(|&op| (op, by_op[usize::from(op as u16 & 63)]))
                .filter(|(_, n)| *n > 0)
                .collect(),
            queued: 0,
            cq_room_waits: 0,
            sq_full: 0,
            submit_syscalls: 0,
            parks: 0,
            park_time: Duration::ZERO,
            cq_overflow: 0,
        }
    }
}
