//! Closures on the blocking pool (`spawn_blocking`), completing through a slot as any
//! request does.

use std::io;
use std::task::Context;

use ringaio_core::Iocb;

use super::{shut_down_error, Inner, Reactor};
use crate::key::{Id, Key};
use crate::pool::{BlockingCall, Pool};
use crate::slots::{Route, NO_TASK};
use crate::state::KERNEL;

impl Reactor {
    /// Runs `call` on the blocking pool, on threads of its own (at most 64, apart from the
    /// threads file I/O uses, so closures that block for long cannot starve file I/O), with
    /// `cx`'s task as the waiter. The closure reports its output through what it captured;
    /// the request's result, through [`poll`](Reactor::poll), is 0 once it has returned,
    /// `-ECANCELED` if it was cancelled (or the reactor shut down) before it started, `-EIO`
    /// if it panicked. [`release`](Reactor::release) before the result cancels a closure that
    /// has not started (it is dropped); one that runs finishes.
    ///
    /// # Errors
    /// A shut-down reactor (`call` is dropped).
    pub fn submit_blocking(&self, call: BlockingCall, cx: &Context<'_>) -> io::Result<Key> {
        let task = self.task_of(cx.waker());
        let waker = (task == NO_TASK).then(|| cx.waker().clone());
        let mut inner = self.inner.borrow_mut();
        if inner.shut || inner.forked() {
            let error = if inner.shut {
                shut_down_error()
            } else {
                ringaio_core::forked_error()
            };
            drop(inner);
            // Dropped with no borrow held: its captures are user code.
            drop(call);
            return Err(error);
        }
        let id = inner.submit_call(call, task);
        if let Some(waker) = waker {
            inner.slots.set_waker(id, waker);
        }
        Ok(Key::new(id, self.id))
    }
}

impl Inner {
    fn submit_call(&mut self, call: BlockingCall, task: u32) -> Id {
        let threads = self.pool_threads;
        let notifier = &self.notifier;
        let pool = self
            .pool
            .get_or_insert_with(|| Pool::new(threads, notifier.clone()));
        // A slot like a NOP's: no memory, no fd to close if nobody takes the result.
        let key = self.slots.insert(&Iocb::noop(), KERNEL, Route::Pool, task);
        pool.submit_call(key.user_data(), call);
        self.via_pool += 1;
        key
    }
}
