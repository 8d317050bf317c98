//! Letting go and cancelling: a waiter that leaves hands its resources to the slot, which
//! keeps them until the request's final completion.

use ringaio_core::{to_sqe, Iocb};

use super::{foreign_key, shut_down_error, Inner, Reactor};
use crate::key::{Id, Key, CANCEL, WAKE};
use crate::slots::{Release, Resources, Route};
use crate::state::QUEUED;

impl Reactor {
    /// The waiting side lets go of `key` before taking its result, handing over `resources`
    /// (whatever holds the memory the request points at). If the kernel is done they are
    /// dropped at once, outside any borrow. Otherwise they are held until the request's final
    /// completion, and the request is cancelled; if that result is an fd (openat), the
    /// reactor closes it. If shutdown gave up on the request, or `key` was issued by another
    /// reactor, they are leaked: the kernel may still write into them.
    pub fn release<T: 'static>(&self, key: Key, resources: T) {
        if key.owner() != self.id {
            tracing::error!(
                ?key,
                "a key was released on a reactor that did not issue it"
            );
            std::mem::forget(resources);
            return;
        }
        let mut resources = Some(resources);
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            // The pool and ring are the parent's: touch neither, and keep what was handed over.
            drop(inner);
            std::mem::forget(resources);
            return;
        }
        let keep = || -> Resources { Box::new(resources.take()) };
        let released = inner.slots.release(key.id(), keep);
        if released == (Release::Kept { cancel: true }) {
            inner.send_cancel(key.id());
        }
        drop(inner);
        match released {
            Release::Close(closing) => self.close_orphan(closing),
            // Shutdown gave up on the kernel: the memory may still be written. Leak it.
            Release::Leak => std::mem::forget(resources.take()),
            Release::Kept { .. } | Release::Done => {}
        }
        drop(resources);
    }

    /// Asks for `key`'s request to be cancelled; its result (`-ECANCELED`, or the real one if
    /// it won the race) still arrives through [`poll`](Reactor::poll). Nothing for a key of
    /// another reactor.
    pub fn cancel(&self, key: &Key) {
        if key.owner() != self.id {
            return;
        }
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            return;
        }
        if inner.slots.mark_cancelling(key.id()) {
            inner.send_cancel(key.id());
        }
    }

    #[inline(always)]
    pub(super) fn check_owner(&self, key: &Key) {
        if key.owner() != self.id {
            foreign_key(key);
        }
    }
}

impl Inner {
    pub(super) fn send_cancel(&mut self, key: Id) {
        let Some(slot) = self.slots.get(key) else {
            return;
        };
        let route = slot.route;
        if slot.state & QUEUED != 0 {
            self.local_done.push((key.user_data(), -libc::ECANCELED));
            return;
        }
        match route {
            Route::Ring => {
                let cancel =
                    Iocb::async_cancel(key.user_data()).with_data(CANCEL | key.user_data());
                let pushed = match (to_sqe(&cancel), self.ring.as_mut()) {
                    // SAFETY: a cancel request points at no memory.
                    (Ok(sqe), Some(ring)) => unsafe { ring.push(&sqe) },
                    (Err(e), _) => Err(e),
                    (_, None) => Err(shut_down_error()),
                };
                match pushed {
                    Ok(()) => self.in_kernel += 1,
                    Err(e) => tracing::warn!(error = %e, "could not queue a cancel"),
                }
            }
            Route::Pool => {
                if let Some(pool) = &self.pool {
                    pool.cancel(key.user_data());
                }
            }
            Route::Timer => self.local_done.push((key.user_data(), -libc::ECANCELED)),
        }
    }

    /// Gives up on every request the kernel still holds, and on the eventfd read: what they
    /// point at is leaked, never freed. Returns how many requests.
    pub(super) fn leak_everything(&mut self) -> usize {
        if self.wake_armed {
            std::mem::forget(std::mem::replace(&mut self.wake_buf, Box::new(0)));
        }
        self.slots.leak_all_held()
    }

    pub(super) fn cancel_everything(&mut self) {
        let held: Vec<Id> = self
            .slots
            .held_by_kernel()
            .map(|(k, _)| k)
            .chain(self.queue.iter().map(|(k, _, _)| *k))
            .collect();
        for key in held {
            if self.slots.mark_cancelling(key) {
                self.send_cancel(key);
            }
        }
        self.queue.clear();
        if self.wake_armed {
            let cancel = Iocb::async_cancel(WAKE).with_data(CANCEL | 1);
            if let (Ok(sqe), Some(ring)) = (to_sqe(&cancel), self.ring.as_mut()) {
                // SAFETY: a cancel request points at no memory.
                if unsafe { ring.push(&sqe) }.is_ok() {
                    self.in_kernel += 1;
                }
            }
        }
    }
}
