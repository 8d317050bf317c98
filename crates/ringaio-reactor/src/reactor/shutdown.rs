//! Shutdown: cancel everything, drain until the kernel has let go of every request, and
//! leak (never free) what it still holds past the bound.

use std::time::{Duration, Instant};

use ringaio_core::OpSet;

use super::Reactor;

impl Reactor {
    /// Shuts down: cancels everything in flight and drains until every request's final
    /// completion has arrived, at most for the configured bound; whatever the kernel still
    /// holds then is leaked on purpose (with a warning), never freed. Later submissions fail.
    /// Idempotent; also run by `Drop`.
    pub fn shutdown(&self) {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.shut {
                return;
            }
            inner.shut = true;
            // Other reactors' messages go the slow way from now on.
            inner.mailbox.close();
            if inner.forked() {
                // A forked child's copy: the ring, the pool's threads and every request are
                // the parent's. Cancel and wait for nothing, join nothing, leak it all.
                inner.leak_everything();
                std::mem::forget(inner.pool.take());
                std::mem::forget(inner.ring.take());
                self.ring_ops.set(OpSet::EMPTY);
                return;
            }
            inner.cancel_everything();
        }
        let start = Instant::now();
        let deadline = start.checked_add(self.shutdown_timeout);
        loop {
            self.drain();
            let mut inner = self.inner.borrow_mut();
            let held = inner.slots.held_by_kernel().count();
            // Messages this reactor sent are waited for too: one still in the SQ must reach
            // its (live) target.
            if held == 0 && !inner.wake_armed && inner.outbox.is_empty() {
                break;
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                let leaked = inner.leak_everything();
                tracing::warn!(
                    leaked,
                    "ringaio reactor shutdown: the kernel still holds requests after {:?}; \
                     their memory is leaked, not freed",
                    self.shutdown_timeout
                );
                break;
            }
            if let Err(e) = inner.wait(left, &self.notifier) {
                let leaked = inner.leak_everything();
                tracing::error!(error = %e, leaked, "ringaio reactor shutdown: wait failed; \
                    what the kernel still holds is leaked, not freed");
                break;
            }
        }
        let mut inner = self.inner.borrow_mut();
        self.ring_ops.set(OpSet::EMPTY);
        inner.timers.clear();
        if let Some(pool) = inner.pool.as_mut() {
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if !pool.shutdown(left.max(Duration::from_millis(100))) {
                tracing::warn!("ringaio blocking pool: threads still busy at shutdown, detached");
            }
        }
        inner.ring = None;
        let unsent = inner.outbox.take_all();
        drop(inner);
        for (to, msg, data) in unsent {
            to.deliver_slow(msg, data);
        }
    }
}
