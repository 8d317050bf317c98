//! Completion: results reaped into their slots (ring, pool, timers), then, with no borrow
//! held, orphaned fds closed, orphaned resources dropped and waiters woken.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::{Context, Poll};
use std::time::Instant;

use ringaio_core::Completion;

use super::messages::{internal, Outbox};
use super::{Deferred, Inner, Polled, Reactor};
use crate::key::{Id, Key};
use crate::slots::{Finished, Outcome, Slots};

impl Reactor {
    /// The request's final result, once it is in: [`Polled::Ready`] ends the request and
    /// consumes its key. Until then registers the task's waker and hands the key back
    /// ([`Polled::Pending`]).
    ///
    /// # Panics
    /// If `key` was issued by another reactor (its request is still that reactor's; the
    /// caller must keep its memory alive).
    #[inline(always)]
    pub fn poll(&self, key: Key, cx: &mut Context<'_>) -> Polled {
        self.check_owner(&key);
        let waker = cx.waker();
        let mut inner = self.inner.borrow_mut();
        match inner.slots.poll(key.id(), waker, || self.task_of(waker)) {
            Poll::Ready(outcome) => Polled::Ready(outcome),
            Poll::Pending if inner.forked() => {
                // The request is the parent's, running on the parent's memory: this copy of
                // it never completes here, and nothing will write into the child's copy.
                inner.slots.remove(key.id());
                Polled::Ready(Outcome {
                    result: -libc::ECANCELED,
                    flags: 0,
                })
            }
            Poll::Pending => Polled::Pending(key),
        }
    }

    /// The next non-final completion of a multishot request, if one is queued.
    ///
    /// # Panics
    /// If `key` was issued by another reactor.
    pub fn poll_shot(&self, key: &Key, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.check_owner(key);
        let task = self.task_of(cx.waker());
        let shot = self
            .inner
            .borrow_mut()
            .slots
            .poll_shot(key.id(), cx.waker(), task);
        match shot {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }

    /// Reaps every available completion (ring, pool, timers) into its slot, admits queued
    /// requests into the room that freed, then — with no borrow held — closes orphaned fds,
    /// drops orphaned resources and wakes waiters, each wake guarded against panics.
    /// Returns how many completions were reaped.
    pub fn drain(&self) -> usize {
        let mut out = std::mem::take(&mut *self.deferred.borrow_mut());
        let n = self.inner.borrow_mut().collect(&mut out);
        for closing in out.close.drain(..) {
            self.close_orphan(closing);
        }
        for garbage in out.garbage.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| drop(garbage))).is_err() {
                tracing::error!("dropping an orphaned request's resources panicked");
            }
        }
        for waker in out.wakers.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| waker.wake())).is_err() {
                tracing::error!("a waker panicked; the reactor carries on");
            }
        }
        if !out.tasks.is_empty() {
            if let Some(wake) = self.task_waker.get() {
                if catch_unwind(AssertUnwindSafe(|| wake(&out.tasks))).is_err() {
                    tracing::error!("waking tasks panicked; the reactor carries on");
                }
            }
            out.tasks.clear();
        }
        if !out.messages.is_empty() {
            if let Some(handle) = self.message_handler.get() {
                if catch_unwind(AssertUnwindSafe(|| handle(&out.messages))).is_err() {
                    tracing::error!("taking messages panicked; the reactor carries on");
                }
            }
            out.messages.clear();
        }
        for (to, msg, data) in out.failed.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| to.deliver_slow(msg, data))).is_err() {
                tracing::error!("a message's slow path panicked; the reactor carries on");
            }
        }
        *self.deferred.borrow_mut() = out;
        n
    }
}

impl Inner {
    /// Reaps completions into slots and collects the follow-up work into `out`.
    pub(super) fn collect(&mut self, out: &mut Deferred) -> usize {
        let mut n = 0;
        if let Some(ring) = self.ring.as_mut() {
            let slots = &mut self.slots;
            let in_kernel = &mut self.in_kernel;
            let wake_armed = &mut self.wake_armed;
            let outbox = &mut self.outbox;
            let (received, refused) = (out.messages.len(), out.failed.len());
            for c in ring.completions() {
                reap(c, slots, in_kernel, wake_armed, outbox, out);
                n += 1;
            }
            let received = out.messages.len() - received;
            self.mailbox.return_credits(received as u32);
            self.messages.received += received as u64;
            self.messages.refused += (out.failed.len() - refused) as u64;
        }
        if let Some(pool) = self
            .pool
            .as_ref()
            .filter(|_| !ringaio_core::is_forked_since(self.born))
        {
            pool.take_done(&mut out.pool_done);
        }
        std::mem::swap(&mut self.local_done, &mut out.local_done);
        let (mut pool_done, mut local_done) = (
            std::mem::take(&mut out.pool_done),
            std::mem::take(&mut out.local_done),
        );
        for (user_data, result) in pool_done.drain(..).chain(local_done.drain(..)) {
            if let Some(key) = Id::from_user_data(user_data) {
                let finished = self.slots.finish(key, Outcome { result, flags: 0 });
                defer(finished, out);
                n += 1;
            }
        }
        (out.pool_done, out.local_done) = (pool_done, local_done);
        if !self.timers.is_empty() {
            let slots = &mut self.slots;
            self.timers.expired(Instant::now(), |key| {
                let finished = slots.finish(
                    key,
                    Outcome {
                        result: -libc::ETIME,
                        flags: 0,
                    },
                );
                n += 1;
                defer(finished, out);
            });
        }
        self.admit();
        n
    }
}

/// One CQE into its slot. Inlined into the ring's drain loop: a call per CQE would cost
/// more than the work.
#[inline(always)]
pub(super) fn reap(
    c: Completion,
    slots: &mut Slots,
    in_kernel: &mut usize,
    wake_armed: &mut bool,
    outbox: &mut Outbox,
    out: &mut Deferred,
) {
    let outcome = Outcome {
        result: c.result,
        flags: c.flags,
    };
    let Some(key) = Id::from_user_data(c.user_data) else {
        internal(&c, in_kernel, wake_armed, outbox, out);
        return;
    };
    let finished = if c.more() {
        slots.more(key, outcome)
    } else {
        *in_kernel -= 1;
        slots.finish(key, outcome)
    };
    defer(finished, out);
}

#[inline(always)]
pub(super) fn defer(finished: Finished, out: &mut Deferred) {
    match finished {
        Finished::Wake(Some(waker)) => out.wakers.push(waker),
        Finished::Wake(None) => {}
        Finished::Task(token) => {
            if out.tasks.last() != Some(&token) {
                out.tasks.push(token);
            }
        }
        Finished::Orphan { close, garbage } => {
            out.close.extend(close);
            out.garbage.extend(garbage);
        }
        Finished::Stale => tracing::trace!("completion for a finished request ignored"),
    }
}
