//! The task queue: async-task cells, a queue any thread can push to, and the registry of
//! live tasks that lets the runtime drop every task when it shuts down.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};

use async_task::Runnable;
use futures::future::{AbortHandle, Abortable};
use futures::FutureExt;
use ringaio_reactor::Notifier;
use slab::Slab;

use crate::join::{JoinHandle, TaskOutput};

/// The part of the executor other threads reach through wakers.
pub(crate) struct Shared {
    queue: Mutex<VecDeque<Runnable>>,
    /// The runtime thread is (about to be) parked in the reactor: a wake must notify it.
    pub(crate) parked: AtomicBool,
    notifier: Notifier,
    owner: ThreadId,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("parked", &self.parked)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, VecDeque<Runnable>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn schedule(&self, runnable: Runnable) {
        self.lock().push_back(runnable);
        self.unpark();
    }

    /// Ends a park in progress (from any thread).
    pub(crate) fn unpark(&self) {
        if self.parked.swap(false, Ordering::SeqCst) {
            self.notifier.notify();
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last waker may die on another thread after the runtime is gone; a local task
        // must not be dropped there (async-task would panic): leak it instead.
        if thread::current().id() != self.owner {
            let queue = std::mem::take(self.queue.get_mut().unwrap_or_else(|e| e.into_inner()));
            for runnable in queue {
                std::mem::forget(runnable);
            }
        }
    }
}

/// Runs tasks on the runtime's thread.
pub(crate) struct Executor {
    pub(crate) shared: Arc<Shared>,
    /// Wakers of the tasks alive, so shutdown can reach tasks that wait on something.
    active: RefCell<Slab<Waker>>,
    this: Weak<Executor>,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.active.borrow().len())
            .finish_non_exhaustive()
    }
}

/// Removes a task from the registry when its future is dropped (finished or cancelled).
struct Registered<F> {
    future: F,
    executor: Weak<Executor>,
    index: usize,
}

impl<F: Future> Future for Registered<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: never moved out, and `Registered` has no
        // `Unpin` impl of its own beyond what `F` allows.
        unsafe { self.map_unchecked_mut(|s| &mut s.future) }.poll(cx)
    }
}

impl<F> Drop for Registered<F> {
    fn drop(&mut self) {
        if let Some(executor) = self.executor.upgrade() {
            if let Ok(mut active) = executor.active.try_borrow_mut() {
                active.try_remove(self.index);
            }
        }
    }
}

impl Executor {
    pub(crate) fn new(notifier: Notifier) -> Rc<Executor> {
        Rc::new_cyclic(|this| Executor {
            shared: Arc::new(Shared {
                queue: Mutex::new(VecDeque::new()),
                parked: AtomicBool::new(false),
                notifier,
                owner: thread::current().id(),
            }),
            active: RefCell::new(Slab::new()),
            this: this.clone(),
        })
    }

    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (abort, registration) = AbortHandle::new_pair();
        let mut active = self.active.borrow_mut();
        let entry = active.vacant_entry();
        let task: Registered<_> = Registered {
            future: Abortable::new(AssertUnwindSafe(future).catch_unwind(), registration),
            executor: self.this.clone(),
            index: entry.key(),
        };
        let shared = self.shared.clone();
        let (runnable, task) = async_task::spawn_local::<_, _>(
            async move {
                let out: TaskOutput<F::Output> = task.await;
                out
            },
            move |runnable| shared.schedule(runnable),
        );
        entry.insert(runnable.waker());
        drop(active);
        runnable.schedule();
        JoinHandle::new(task, abort)
    }

    /// Whether a task is queued.
    pub(crate) fn has_work(&self) -> bool {
        !self.shared.lock().is_empty()
    }

    /// Runs up to `budget` queued tasks; returns how many ran.
    pub(crate) fn run(&self, budget: usize) -> usize {
        let mut ran = 0;
        while ran < budget {
            let Some(runnable) = self.shared.lock().pop_front() else {
                break;
            };
            runnable.run();
            ran += 1;
        }
        ran
    }

    /// Drops every task: wakes those that wait so they are queued, then drops what is
    /// queued (dropping a `Runnable` drops its future), until none is left.
    pub(crate) fn shutdown(&self) {
        loop {
            let wakers: Vec<Waker> = self
                .active
                .borrow()
                .iter()
                .map(|(_, w)| w.clone())
                .collect();
            for waker in wakers {
                waker.wake();
            }
            let queued: Vec<Runnable> = self.shared.lock().drain(..).collect();
            if queued.is_empty() {
                break;
            }
            drop(queued);
            if self.active.borrow().is_empty() {
                break;
            }
        }
        // Tasks woken while being dropped may have re-queued themselves.
        let rest: Vec<Runnable> = self.shared.lock().drain(..).collect();
        drop(rest);
    }
}
