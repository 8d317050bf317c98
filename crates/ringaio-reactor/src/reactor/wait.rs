//! Waiting: one `io_uring_enter` (or a poll of the eventfd in fallback mode) with the
//! eventfd read armed, so a notify from any thread ends the wait.

use std::io;
use std::time::{Duration, Instant};

use ringaio_core::{to_sqe, Iocb, Target};

use super::{Inner, Reactor};
use crate::key::WAKE;
use crate::Notifier;

impl Reactor {
    /// Submits what is pending and waits, in a single `io_uring_enter`, for at least one
    /// completion, a [`notify`](Notifier::notify), or `timeout` (`Some(ZERO)`: do not wait);
    /// then [`drain`](Reactor::drain)s. Returns how many completions were reaped.
    ///
    /// # Errors
    /// `io_uring_enter` errors other than interruptions and timeouts.
    pub fn park(&self, timeout: Option<Duration>) -> io::Result<usize> {
        self.wait(timeout)?;
        Ok(self.drain())
    }

    /// The first half of [`park`](Reactor::park): submit and wait, without draining, so the
    /// caller can note that it is awake before wakers run.
    ///
    /// # Errors
    /// As [`park`](Reactor::park).
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.borrow_mut().wait(timeout, &self.notifier)
    }
}

impl Inner {
    /// One wait: arm the wake read, then one enter (or a poll of the eventfd in fallback).
    pub(super) fn wait(
        &mut self,
        timeout: Option<Duration>,
        notifier: &Notifier,
    ) -> io::Result<()> {
        if self.forked() {
            return Err(ringaio_core::forked_error());
        }
        let timeout = match (timeout, self.timers.next_in(Instant::now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let has_local = !self.local_done.is_empty();
        self.reclaim_buffers();
        let Some(ring) = self.ring.as_mut() else {
            let wait = if has_local {
                Some(Duration::ZERO)
            } else {
                timeout
            };
            let parked = Instant::now();
            notifier.wait(wait);
            self.counters.parked(parked);
            return Ok(());
        };
        if !self.wake_armed && !self.shut {
            let read = Iocb::pread(
                Target::Fd(notifier.as_raw_fd()),
                (&mut *self.wake_buf as *mut u64).cast(),
                8,
                0,
            )
            .with_data(WAKE);
            let sqe = to_sqe(&read)?;
            // SAFETY: `wake_buf` is boxed, owned by the reactor, and freed only after this
            // read's final CQE (or leaked by shutdown).
            unsafe { ring.push(&sqe) }?;
            self.in_kernel += 1;
            self.wake_armed = true;
        }
        match timeout {
            Some(d) if d.is_zero() || has_local => {
                // Without deferred task work the CQ fills on its own: enter only to submit.
                // Messages from other reactors are deferred work too.
                let deferred = ring.mode().defer_taskrun
                    && (self.in_kernel > usize::from(self.wake_armed)
                        || self.mailbox.has_pending());
                if ring.sq_pending() > 0 || deferred {
                    ring.submit()?;
                }
            }
            t => {
                let parked = Instant::now();
                ring.submit_and_wait(1, t)?;
                self.counters.parked(parked);
            }
        }
        Ok(())
    }
}
