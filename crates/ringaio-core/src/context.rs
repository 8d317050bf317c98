//! `Context`: the Linux AIO system calls (`io_setup`, `io_submit`, `io_getevents`,
//! `io_cancel`, `io_destroy`) as a synchronous API over one [`Ring`].

use std::io;
use std::time::{Duration, Instant};

use slab::Slab;

use crate::{to_sqe, Completion, Iocb, Ring, MAX_ENTRIES};

/// A completed request, as Linux AIO's `struct io_event`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// The [`Iocb::data`] the request was submitted with.
    pub data: u64,
    /// Bytes transferred (or the opcode's result), or `-errno`.
    pub res: i64,
    /// `IORING_CQE_F_*` flags of the completion.
    pub flags: u32,
}

/// Marks the user data of the context's own cancel requests.
const CANCEL_TAG: u64 = 1 << 63;
/// The low bits of a request's user data: its slot index.
const INDEX_MASK: u64 = 0xffff_ffff;

#[derive(Debug)]
struct InFlight {
    generation: u32,
    data: u64,
    cancelling: bool,
}

/// An AIO context: submit batches of [`Iocb`]s, reap [`Event`]s, cancel, destroy.
///
/// Up to `nr_events` requests are in flight at once, as with `io_setup(nr_events)`; the
/// completion queue is sized so that none of their completions can be lost.
///
/// Dropping a `Context` is `io_destroy`: it cancels what is in flight and waits until the
/// kernel has completed every request before the ring is unmapped.
#[derive(Debug)]
pub struct Context {
    ring: Option<Ring>,
    in_flight: Slab<InFlight>,
    nr_events: usize,
    generation: u32,
}

impl Context {
    /// `io_setup(nr_events)`.
    ///
    /// # Errors
    /// `EINVAL` for 0 or more than [`MAX_ENTRIES`]; the errors of [`Ring::builder`]'s
    /// `build`, including the `Unsupported` [`Unavailable`](crate::Unavailable) error.
    pub fn new(nr_events: usize) -> io::Result<Context> {
        if nr_events == 0 || nr_events > MAX_ENTRIES as usize {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // Each request may also have one cancel in flight: the CQ holds twice nr_events.
        let ring = Ring::builder()
            .entries(nr_events as u32)
            .cq_entries(2 * nr_events as u32)
            .build()?;
        Ok(Context {
            ring: Some(ring),
            in_flight: Slab::with_capacity(nr_events),
            nr_events,
            generation: 0,
        })
    }

    fn ring(&mut self) -> &mut Ring {
        // `ring` is only taken out in `drop`.
        self.ring.as_mut().expect("ring present until drop")
    }

    /// Requests submitted and not yet returned by [`get_events`](Context::get_events).
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// `io_submit`: queues `iocbs` in order with one `io_uring_enter`, stopping at the first
    /// that is invalid or finds the context full. Returns how many were queued.
    ///
    /// # Errors
    /// When not even the first could be queued: its validation error (`EINVAL`,
    /// see [`Iocb::validate`]) or `WouldBlock` (`EAGAIN`) when `nr_events` requests are in
    /// flight. An empty slice queues nothing and returns `Ok(0)`.
    ///
    /// # Safety
    /// - Every buffer, iovec array, path, timespec or statx buffer an iocb points at stays
    ///   valid, and is not otherwise accessed where the kernel writes, until the request's
    ///   event has been returned by [`get_events`](Context::get_events) or the context has
    ///   been dropped.
    /// - Fixed-file and fixed-buffer indexes refer to registrations of this context's ring.
    pub unsafe fn submit(&mut self, iocbs: &[&Iocb]) -> io::Result<usize> {
        let mut queued = 0;
        let mut first_error = None;
        for iocb in iocbs {
            if self.in_flight.len() >= self.nr_events {
                first_error = Some(io::Error::from_raw_os_error(libc::EAGAIN));
                break;
            }
            let sqe = match to_sqe(iocb) {
                Ok(sqe) => sqe,
                Err(e) => {
                    first_error = Some(e);
                    break;
                }
            };
            // 31 bits: the top bit of user data marks the context's own cancels.
            self.generation = self.generation.wrapping_add(1) & 0x7fff_ffff;
            let generation = self.generation;
            let entry = self.in_flight.vacant_entry();
            let user_data = (u64::from(generation) << 32) | entry.key() as u64;
            entry.insert(InFlight {
                generation,
                data: iocb.data,
                cancelling: false,
            });
            // SAFETY: the caller keeps the iocb's memory valid until its event is reaped or
            // the context dropped, and `drop` waits for every request's completion.
            if let Err(e) = unsafe { self.ring().push(&sqe.user_data(user_data)) } {
                self.in_flight.remove((user_data & INDEX_MASK) as usize);
                first_error = Some(e);
                break;
            }
            queued += 1;
        }
        if queued > 0 {
            // Whatever this says, the entries are in the SQ and go to the kernel with the next
            // enter: they count as queued.
            if let Err(e) = self.ring().submit() {
                tracing::warn!(error = %e, "io_submit: io_uring_enter failed; will retry");
            }
            return Ok(queued);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }

    /// `io_getevents`: fills `events` and returns how many, once at least `min_nr` are there
    /// or `timeout` (`None`, or one too long to represent such as `Duration::MAX`: no limit)
    /// has passed.
    ///
    /// # Errors
    /// `EINVAL` when `min_nr > events.len()`, or when there is no timeout and fewer than
    /// `min_nr` requests in flight (a wait that could never end). Errors of `io_uring_enter`.
    pub fn get_events(
        &mut self,
        min_nr: usize,
        events: &mut [Event],
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        // A timeout past what `Instant` can hold (`Duration::MAX`) waits without a bound.
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        if min_nr > events.len() || (deadline.is_none() && min_nr > self.in_flight.len()) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let mut n = 0;
        loop {
            while n < events.len() {
                let Some(cqe) = self.ring().pop() else { break };
                if let Some(event) = self.complete(cqe) {
                    events[n] = event;
                    n += 1;
                }
            }
            if n >= min_nr || n == events.len() {
                return Ok(n);
            }
            let wait = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return Ok(n),
                },
                None => None,
            };
            self.ring().submit_and_wait(1, wait)?;
        }
    }

    /// Turns a CQE into the user's event, or `None` for the context's own cancel requests.
    fn complete(&mut self, cqe: Completion) -> Option<Event> {
        if cqe.user_data & CANCEL_TAG != 0 {
            return None;
        }
        let index = (cqe.user_data & INDEX_MASK) as usize;
        let generation = (cqe.user_data >> 32) as u32;
        match self.in_flight.get(index) {
            Some(slot) if slot.generation == generation => {}
            _ => {
                tracing::error!(
                    user_data = cqe.user_data,
                    "completion for no request; ignored"
                );
                return None;
            }
        }
        let slot = self.in_flight.remove(index);
        Some(Event {
            data: slot.data,
            res: i64::from(cqe.result),
            flags: cqe.flags,
        })
    }

    /// `io_cancel`: asks the kernel to cancel the in-flight request submitted with `data`
    /// (the first such, if several share it). Its event still arrives through
    /// [`get_events`](Context::get_events): `-ECANCELED` if the cancel won, its real result if
    /// the request finished first.
    ///
    /// # Errors
    /// `EINVAL` when no request with that `data` is in flight (as `io_cancel`); errors of
    /// `io_uring_enter`.
    pub fn cancel(&mut self, data: u64) -> io::Result<()> {
        let found = self.in_flight.iter().find(|(_, s)| s.data == data);
        let Some((index, slot)) = found else {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        };
        if slot.cancelling {
            return Ok(());
        }
        let target = (u64::from(slot.generation) << 32) | index as u64;
        self.push_cancel(target)?;
        // Marked only once queued: a cancel that could not be queued may be tried again, and
        // `drop` still cancels the request.
        self.in_flight[index].cancelling = true;
        self.ring().submit()?;
        Ok(())
    }

    fn push_cancel(&mut self, target: u64) -> io::Result<()> {
        let sqe = to_sqe(&Iocb::async_cancel(target).with_data(CANCEL_TAG | target))?;
        // SAFETY: a cancel request points at no memory.
        unsafe { self.ring().push(&sqe) }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if self.ring.as_ref().is_some_and(Ring::forked) {
            // A forked child's copy: the requests are the parent's, to cancel and wait for.
            std::mem::forget(self.ring.take());
            return;
        }
        let targets: Vec<u64> = self
            .in_flight
            .iter()
            .filter(|(_, s)| !s.cancelling)
            .map(|(i, s)| (u64::from(s.generation) << 32) | i as u64)
            .collect();
        for target in targets {
            if let Err(e) = self.push_cancel(target) {
                tracing::warn!(error = %e, "io_destroy: could not queue a cancel");
            }
        }
        let mut waited = Duration::ZERO;
        while !self.in_flight.is_empty() {
            while let Some(cqe) = self.ring().pop() {
                let _ = self.complete(cqe);
            }
            if self.in_flight.is_empty() {
                break;
            }
            let step = Duration::from_secs(1);
            if let Err(e) = self.ring().submit_and_wait(1, Some(step)) {
                // The kernel may still write into the requests' memory: never unmap under it.
                tracing::error!(
                    error = %e,
                    in_flight = self.in_flight.len(),
                    "io_destroy: cannot wait for requests in flight; leaking the ring"
                );
                std::mem::forget(self.ring.take());
                return;
            }
            waited += step;
            if waited.as_secs() % 10 == 0 {
                tracing::warn!(
                    in_flight = self.in_flight.len(),
                    "io_destroy: still waiting for the kernel to complete requests"
                );
            }
        }
    }
}
