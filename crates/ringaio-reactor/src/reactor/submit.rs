//! Submission: a slot for every request before any SQE exists, then the ring's SQ, the
//! user-space queue while the CQ has no room, the blocking pool, or the timer list.

use std::io;
use std::task::Context;

use ringaio_core::{Iocb, Opcode, Target};

use super::registry::fixed_target;
use super::{shut_down_error, Inner, Link, Reactor};
use crate::key::{Id, Key};
use crate::pool::Pool;
use crate::slots::{Route, NO_TASK};
use crate::state::{KERNEL, QUEUED};

impl Reactor {
    /// Gives `iocb` a slot and sends it on its way: to the ring's SQ (flushed at the next
    /// [`park`](Reactor::park)), to a user-space queue while the CQ has no room, or to the
    /// blocking pool when the ring cannot run it. Its `data` field is replaced by the key.
    ///
    /// # Errors
    /// The iocb's validation error; a shut-down reactor; a reactor inherited across `fork`
    /// (it belongs to the parent); a failed SQ flush.
    ///
    /// # Safety
    /// - Every buffer, iovec array, path, timespec or statx buffer `iocb` points at stays
    ///   valid, and unaliased where the kernel writes, until either [`poll`](Reactor::poll)
    ///   has returned the request's result or [`release`](Reactor::release) has been called
    ///   for it (handing that memory to the reactor); if neither ever happens, the memory
    ///   must be leaked.
    pub unsafe fn submit(&self, iocb: &Iocb) -> io::Result<Key> {
        let id = self.inner.borrow_mut().submit(iocb, NO_TASK)?;
        Ok(Key::new(id, self.id))
    }

    /// [`submit`](Reactor::submit), with `cx`'s task registered as the waiter at once (as a
    /// [`poll`](Reactor::poll) returning `Pending` would), saving the first poll's lookup.
    ///
    /// # Errors
    /// As [`submit`](Reactor::submit).
    ///
    /// # Safety
    /// As [`submit`](Reactor::submit).
    #[inline(always)]
    pub unsafe fn submit_waiting(&self, iocb: &Iocb, cx: &Context<'_>) -> io::Result<Key> {
        let task = self.task_of(cx.waker());
        // A waker clone runs user code and may panic: before the request reaches the
        // kernel, while the caller can still free its memory safely.
        let waker = (task == NO_TASK).then(|| cx.waker().clone());
        let mut inner = self.inner.borrow_mut();
        let id = inner.submit(iocb, task)?;
        if let Some(waker) = waker {
            inner.slots.set_waker(id, waker);
        }
        Ok(Key::new(id, self.id))
    }
}

impl Inner {
    pub(super) fn route(&self, iocb: &Iocb) -> Route {
        match &self.ring {
            Some(ring) if ring.supports(iocb.opcode) => Route::Ring,
            _ if iocb.opcode == Opcode::Timeout => Route::Timer,
            _ => Route::Pool,
        }
    }

    /// Submits `iocb` with the executor task `task` (or `NO_TASK`) as its waiter.
    #[inline(always)]
    pub(super) fn submit(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        // The fast path: a request the ring runs, with CQ room and nobody queued ahead.
        let fast = !self.shut
            && self.in_kernel < self.budget
            && self.queue.is_empty()
            && iocb.opcode != Opcode::AsyncCancel
            && self.ring.as_ref().is_some_and(|r| r.supports(iocb.opcode));
        let id = if fast {
            self.submit_to_ring(iocb, task)
        } else {
            self.submit_slow(*iocb, task)
        }?;
        self.counters.submitted += 1;
        Ok(id)
    }

    /// Validates `iocb`, gives it a slot the kernel holds and pushes its SQE; the slot goes
    /// again if the push fails.
    #[inline(always)]
    pub(super) fn submit_to_ring(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        iocb.validate()?;
        let key = self.slots.insert(iocb, KERNEL, Route::Ring, task);
        if let Err(e) = self.push(key, iocb) {
            self.slots.remove(key);
            return Err(e);
        }
        Ok(key)
    }

    /// Every other case. The iocb comes by value: only this path needs it in memory, so the
    /// fast path keeps the request an operation built in registers.
    #[inline(never)]
    pub(super) fn submit_slow(&mut self, iocb: Iocb, task: u32) -> io::Result<Id> {
        let iocb = &iocb;
        if self.shut {
            return Err(shut_down_error());
        }
        if self.forked() {
            return Err(ringaio_core::forked_error());
        }
        if iocb.opcode == Opcode::AsyncCancel {
            // Cancellation goes through `Reactor::cancel`, which knows the request's route.
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        match self.route(iocb) {
            // Timers and fd installs skip the queue into their own reserve: a ring full of
            // requests that never finish (pipe reads) must not stop a timeout from firing,
            // nor hang a direct file's `as_fd` (whose install waits on the ring).
            Route::Ring
                if (self.in_kernel < self.budget && self.queue.is_empty())
                    || (takes_reserve(iocb.opcode) && self.in_kernel < self.reserve_limit()) =>
            {
                self.submit_to_ring(iocb, task)
            }
            // With the reserve full too, a timer goes to the timer list, never to the queue.
            Route::Ring if Inner::is_plain_timeout(iocb) => self.submit_user_timer(iocb, task),
            Route::Ring => {
                iocb.validate()?;
                let key = self.slots.insert(iocb, QUEUED, Route::Ring, task);
                self.queue.push_back((key, *iocb, Link::End));
                self.counters.cq_room_waits += 1;
                Ok(key)
            }
            Route::Pool => {
                iocb.validate()?;
                if matches!(iocb.fd, Target::Fixed(_))
                    || iocb.direct_index().is_some()
                    || iocb.opcode.ring_only()
                {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "registered files need io_uring; this request would run on the pool",
                    ));
                }
                if self.pool.is_none() {
                    self.pool = Some(Pool::new(self.pool_threads, self.notifier.clone()));
                }
                let key = self.slots.insert(iocb, KERNEL, Route::Pool, task);
                let Some(pool) = self.pool.as_mut() else {
                    return Err(io::Error::other("blocking pool missing"));
                };
                // SAFETY: `Reactor::submit`'s caller keeps the memory valid until the slot's
                // final result is taken or released to the reactor.
                unsafe { pool.submit(key.user_data(), *iocb) };
                self.via_pool += 1;
                Ok(key)
            }
            Route::Timer => self.submit_user_timer(iocb, task),
        }
    }

    /// Most requests in the ring when the new one is a timer or an fd install: the budget
    /// plus the reserve.
    pub(super) fn reserve_limit(&self) -> usize {
        let half = self.ring.as_ref().map_or(0, |r| r.cq_entries() / 2);
        half.saturating_sub(1).max(self.budget)
    }

    /// Pushes `key`'s request (validated) to the ring, on its registered file where it has
    /// one.
    #[inline(always)]
    pub(super) fn push(&mut self, key: Id, iocb: &Iocb) -> io::Result<()> {
        let ring = self.ring.as_mut().ok_or_else(shut_down_error)?;
        let target = fixed_target(&self.files, iocb);
        // SAFETY: the slot keeps the request alive until its final CQE, and the memory it
        // points at is kept by the waiter or by the slot (`Reactor::submit`'s contract).
        unsafe { ring.push_request(iocb, target, key.user_data()) }?;
        self.in_kernel += 1;
        self.via_ring += 1;
        Ok(())
    }

    /// Moves queued requests into the ring while there is CQ room.
    pub(super) fn admit(&mut self) {
        while self.in_kernel < self.budget {
            let Some(&(key, iocb, link)) = self.queue.front() else {
                return;
            };
            if link != Link::End {
                if self.admit_chain() {
                    continue;
                }
                return;
            }
            self.queue.pop_front();
            let Some(slot) = self.slots.get(key) else {
                continue;
            };
            if slot.state & QUEUED == 0 {
                continue;
            }
            self.slots.mark_submitted(key);
            if let Err(e) = self.push(key, &iocb) {
                tracing::warn!(error = %e, "queued request could not be submitted");
                self.local_done
                    .push((key.user_data(), -e.raw_os_error().unwrap_or(libc::EIO)));
            }
        }
    }
}

/// Whether `op` may go past the budget into the reserve: requests that finish promptly
/// whatever else is in flight, and that something waits on to make progress.
fn takes_reserve(op: Opcode) -> bool {
    matches!(op, Opcode::Timeout | Opcode::FixedFdInstall)
}
