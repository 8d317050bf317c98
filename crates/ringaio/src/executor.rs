//! The task queue: async-task cells, a queue any thread can push to, and the registry of
//! live tasks that lets the runtime drop every task when it shuts down.

use std::cell::RefCell;
use std::cell::{Cell, UnsafeCell};
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

use ringaio_reactor::Reactor;

/// A runnable task; its metadata is its token (its index in the registry of live tasks).
type Runnable = async_task::Runnable<u32>;
use futures::FutureExt;
use ringaio_reactor::Notifier;
use slab::Slab;

use crate::join::JoinHandle;
use crate::park::Park;

thread_local! {
    /// The `Shared` whose runtime is running on this thread (inside `block_on`), if any.
    static RUNNING: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// The part of the executor other threads reach through wakers.
pub(crate) struct Shared {
    /// Tasks woken on the runtime's own thread while it runs: no lock, no atomics.
    local: UnsafeCell<VecDeque<Runnable>>,
    /// Tasks woken from other threads (or while the runtime is not running).
    remote: Mutex<VecDeque<Runnable>>,
    has_remote: AtomicBool,
    /// The future `block_on` runs was woken (it is no task: it lives on `block_on`'s stack).
    pub(crate) main_woken: AtomicBool,
    /// The runtime thread is (about to be) parked in the reactor: a wake must notify it.
    pub(crate) park: Park,
    notifier: Notifier,
    owner: ThreadId,
}

// SAFETY: `local` is only touched on the owner thread: by `schedule` when `RUNNING` (a
// thread-local) points at this `Shared`, which only the owner thread's `block_on` sets, and
// by the executor's methods, which run on the owner thread (`Executor` is `!Send`). The
// other fields are `Sync`.
unsafe impl Sync for Shared {}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("park", &self.park)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn remote(&self) -> MutexGuard<'_, VecDeque<Runnable>> {
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn schedule(&self, runnable: Runnable) {
        if std::ptr::eq(RUNNING.with(Cell::get), self) {
            // SAFETY: we are on the owner thread (see the `Sync` impl), and no reference
            // into `local` is held across a call that could get here.
            unsafe { (*self.local.get()).push_back(runnable) };
            return;
        }
        self.remote().push_back(runnable);
        self.has_remote.store(true, Ordering::SeqCst);
        self.unpark();
    }

    /// Ends a park in progress (from any thread).
    pub(crate) fn unpark(&self) {
        if self.park.must_notify() {
            self.notifier.notify();
        }
    }

    /// Marks this thread as running the runtime until the guard drops.
    pub(crate) fn enter(self: &Arc<Self>) -> RunningGuard {
        let previous = RUNNING.with(|r| r.replace(Arc::as_ptr(self)));
        RunningGuard { previous }
    }
}

/// Restores the previous `RUNNING` value.
pub(crate) struct RunningGuard {
    previous: *const Shared,
}

impl Drop for RunningGuard {
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|r| r.set(self.previous));
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last waker may die on another thread after the runtime is gone; a local task
        // must not be dropped there (async-task would panic): leak it instead.
        if thread::current().id() != self.owner {
            let remote = std::mem::take(self.remote.get_mut().unwrap_or_else(|e| e.into_inner()));
            let local = std::mem::take(self.local.get_mut());
            for runnable in remote.into_iter().chain(local) {
                std::mem::forget(runnable);
            }
        }
    }
}

/// The token of the future `block_on` runs.
pub(crate) const MAIN_TASK: u32 = u32::MAX - 1;

/// Names a task to the reactor as the one being polled, until dropped (also on unwind: a
/// stale name could steal another waker's wake-ups).
pub(crate) struct CurrentTask<'a> {
    reactor: &'a Reactor,
}

impl<'a> CurrentTask<'a> {
    pub(crate) fn enter(reactor: &'a Reactor, token: u32, waker: &Waker) -> CurrentTask<'a> {
        reactor.set_current_task(Some((token, waker)));
        CurrentTask { reactor }
    }
}

impl Drop for CurrentTask<'_> {
    fn drop(&mut self) {
        self.reactor.set_current_task(None);
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
                local: UnsafeCell::new(VecDeque::new()),
                remote: Mutex::new(VecDeque::new()),
                has_remote: AtomicBool::new(false),
                main_woken: AtomicBool::new(false),
                park: Park::new(),
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
        let mut active = self.active.borrow_mut();
        let entry = active.vacant_entry();
        let index = entry.key();
        let task: Registered<_> = Registered {
            future: AssertUnwindSafe(future).catch_unwind(),
            executor: self.this.clone(),
            index,
        };
        let shared = self.shared.clone();
        // A task past index MAIN_TASK (nobody has 4 billion tasks) gets u32::MAX, which the
        // reactor takes as "no token": its requests clone its waker instead.
        let token = u32::try_from(index)
            .ok()
            .filter(|&t| t < MAIN_TASK)
            .unwrap_or(u32::MAX);
        let (runnable, task) = async_task::Builder::new()
            .metadata(token)
            .spawn_local(move |_| task, move |runnable| shared.schedule(runnable));
        entry.insert(runnable.waker());
        drop(active);
        runnable.schedule();
        JoinHandle::new(task)
    }

    fn pop(&self) -> Option<Runnable> {
        // SAFETY: `Executor` is `!Send`: this runs on the owner thread, and the borrow ends
        // before anything that could schedule.
        if let Some(r) = unsafe { (*self.shared.local.get()).pop_front() } {
            return Some(r);
        }
        if !self.shared.has_remote.load(Ordering::SeqCst) {
            return None;
        }
        let mut remote = self.shared.remote();
        let r = remote.pop_front();
        if remote.is_empty() {
            self.shared.has_remote.store(false, Ordering::SeqCst);
        }
        r
    }

    /// Whether a task is queued.
    pub(crate) fn has_work(&self) -> bool {
        // SAFETY: as in `pop`.
        !unsafe { (*self.shared.local.get()).is_empty() }
            || self.shared.has_remote.load(Ordering::SeqCst)
    }

    /// Runs up to `budget` queued tasks, each named to `reactor` as the current task;
    /// returns how many ran.
    pub(crate) fn run(&self, budget: usize, reactor: &Reactor) -> usize {
        let mut ran = 0;
        while ran < budget {
            let Some(runnable) = self.pop() else {
                break;
            };
            let token = *runnable.metadata();
            let _current = self.active.try_borrow().ok().and_then(|active| {
                let waker = active.get(token as usize)?;
                Some(CurrentTask::enter(reactor, token, waker))
            });
            runnable.run();
            ran += 1;
        }
        ran
    }

    /// Wakes the tasks named by `tokens` (completions came for them). Tokens of finished
    /// tasks wake nothing, or (reused) wake another task spuriously, which is harmless.
    pub(crate) fn wake_tasks(&self, tokens: &[u32]) {
        // Nothing that runs under a mutable borrow of `active` drains the reactor; should
        // that change, this panics (the drain catches it and logs) rather than lose wakes
        // silently.
        let active = self.active.borrow();
        for &token in tokens {
            if token == MAIN_TASK {
                // Only called by the reactor's drain on the runtime thread, which is awake.
                self.shared.main_woken.store(true, Ordering::Relaxed);
            } else if let Some(waker) = active.get(token as usize) {
                waker.wake_by_ref();
            }
        }
    }

    fn take_all(&self) -> Vec<Runnable> {
        // SAFETY: as in `pop`.
        let local = std::mem::take(unsafe { &mut *self.shared.local.get() });
        let mut all: Vec<Runnable> = local.into();
        all.extend(self.shared.remote().drain(..));
        self.shared.has_remote.store(false, Ordering::SeqCst);
        all
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
            let queued = self.take_all();
            if queued.is_empty() {
                break;
            }
            drop(queued);
            if self.active.borrow().is_empty() {
                break;
            }
        }
        // Tasks woken while being dropped may have re-queued themselves.
        drop(self.take_all());
    }
}
