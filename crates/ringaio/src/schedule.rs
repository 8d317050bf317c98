//! The run queue: which tasks are due to be polled, and the wakers that put them there.
//!
//! A task is named by a token (its index in the executor's table) and a generation (bumped
//! each time the index is reused). Wakes on the runtime's own thread (completions, channels
//! between tasks) mark the task and push its token: no lock, no atomic, no allocation.
//! Wakes from other threads go through a mutex-protected queue and the park handshake, and so
//! do spawns from other threads (`Handle::spawn`), in a queue of their own. From a thread
//! that runs a ringaio runtime of its own, the notification that ends a park is a message
//! from that runtime's ring to this one's (`IORING_OP_MSG_RING`, see
//! `ringaio_reactor::Mailbox`): a CQE on the parked ring, batched with the sender's next
//! submit, instead of an eventfd write. A message naming a task (token and generation)
//! wakes that task; the runtime takes those too, though it sends only notifications.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Wake;
use std::thread::{self, ThreadId};

use ringaio_reactor::{Mailbox, Notifier, MESSAGE_MAX};

use crate::context;
use crate::executor::Executor;
use crate::park::{Flag, Park};

/// The message that only ends a park (the work waits in a queue or a flag); smaller ones
/// wake the task with that token, the message's data being its generation.
pub(crate) const NOTIFY: u32 = MESSAGE_MAX;

/// A spawn from another thread: run on the runtime's thread with its executor, or with
/// `None` when the runtime is gone (then it reports `Cancelled`).
pub(crate) type RemoteSpawn = Box<dyn FnOnce(Option<&Executor>) + Send>;

/// Spawns from other threads, until the runtime is dropped.
#[derive(Default)]
struct Spawns {
    queue: Vec<RemoteSpawn>,
    /// The runtime is gone (or going): spawns are refused.
    closed: bool,
}

thread_local! {
    /// The `Shared` whose runtime is running on this thread (inside `block_on`), if any.
    static RUNNING: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No task at this index.
    Vacant,
    /// Waiting for a wake.
    Idle,
    /// In the run queue.
    Queued,
    /// Being polled.
    Running,
    /// Being polled, and woken meanwhile: queued again when the poll returns `Pending`.
    RunningWoken,
}

/// A task's scheduling state.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TaskState {
    pub(crate) generation: u32,
    pub(crate) phase: Phase,
    /// `JoinHandle::abort` was called: the executor drops the task instead of polling it.
    pub(crate) aborted: bool,
}

/// The part of the executor that wakers reach, from any thread.
pub(crate) struct Shared {
    /// Per token; touched only on the runtime's thread (see the `Sync` impl).
    states: RefCell<Vec<TaskState>>,
    /// Tokens due to run; touched only on the runtime's thread.
    local: RefCell<VecDeque<u32>>,
    /// Wakes from other threads (or from outside `block_on`): token, generation, abort.
    remote: Mutex<Vec<(u32, u32, bool)>>,
    has_remote: AtomicBool,
    /// Spawns from other threads, taken in at the start of every tick.
    spawns: Mutex<Spawns>,
    has_spawns: AtomicBool,
    /// Live tasks plus spawns from other threads waiting to start: the runtime's load, as
    /// other threads see it (`Handle::tasks`, least-loaded pool spawns).
    load: AtomicUsize,
    /// The future `block_on` runs was woken (it is no task: it lives on `block_on`'s stack).
    pub(crate) main_woken: Flag,
    /// The runtime thread is (about to be) parked in the reactor: a wake must notify it.
    pub(crate) park: Park,
    notifier: Notifier,
    /// Where other runtimes' rings send this one wakes.
    mailbox: Mailbox,
    owner: ThreadId,
}

// SAFETY: `states` and `local` are only touched on the owner thread: by `request` only when
// `RUNNING` (a thread-local) points at this `Shared`, which only the owner thread's
// `block_on` sets, or when the caller checked the thread's id against `owner`; by the
// executor's methods, which run on the owner thread (`Executor` is `!Send`). Both hold
// plain integers, so dropping them on another thread (the last waker may die there) is
// fine. The other fields are `Sync`.
unsafe impl Sync for Shared {}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("park", &self.park)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(notifier: Notifier, mailbox: Mailbox) -> Arc<Shared> {
        let shared = Arc::new(Shared {
            states: RefCell::new(Vec::new()),
            local: RefCell::new(VecDeque::new()),
            remote: Mutex::new(Vec::new()),
            has_remote: AtomicBool::new(false),
            spawns: Mutex::new(Spawns::default()),
            has_spawns: AtomicBool::new(false),
            load: AtomicUsize::new(0),
            main_woken: Flag::new(),
            park: Park::new(),
            notifier,
            mailbox,
            owner: thread::current().id(),
        });
        // A message the sender's ring could not deliver comes back to the sender's thread
        // and takes the queue and the eventfd.
        let weak = Arc::downgrade(&shared);
        shared.mailbox.set_slow_path(Box::new(move |msg, data| {
            if let Some(shared) = weak.upgrade() {
                shared.request_slow(msg, data);
            }
        }));
        shared
    }

    fn remote(&self) -> MutexGuard<'_, Vec<(u32, u32, bool)>> {
        self.remote.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The task states, for the executor (owner thread only).
    pub(crate) fn states(&self) -> &RefCell<Vec<TaskState>> {
        &self.states
    }

    /// Wakes the task `token` of `generation` (and marks it aborted if `abort`), from any
    /// thread. `owner` says the caller knows it is on the owner thread.
    fn request(&self, token: u32, generation: u32, abort: bool, owner: bool) {
        if owner || std::ptr::eq(RUNNING.with(Cell::get), self) {
            if let Ok(mut states) = self.states.try_borrow_mut() {
                self.mark(&mut states, token, Some(generation), abort);
                return;
            }
        }
        // The wake itself goes through the queue, and only the park's notification by ring
        // (`unpark`): a message per wake costs the kernel a CQE post each and reaches the
        // target only with the sender's next submit, which measured 7-10x slower than the
        // queue in a ping-pong between two runtimes (docs/benchmarks.md, "Many cores").
        self.queue_remote(token, generation, abort);
        self.unpark();
    }

    fn queue_remote(&self, token: u32, generation: u32, abort: bool) {
        self.remote().push((token, generation, abort));
        self.has_remote.store(true, Ordering::SeqCst);
    }

    /// A message another ring could not deliver (`msg` a token, or `NOTIFY`): the queue and
    /// the eventfd, never a message again.
    fn request_slow(&self, msg: u32, data: u32) {
        if msg == NOTIFY {
            // The sender consumed the park's announcement when it chose to notify.
            self.notifier.notify();
            return;
        }
        self.queue_remote(msg, data, false);
        if self.park.must_notify() {
            self.notifier.notify();
        }
    }

    /// Wakes taken from messages other rings sent: `(token, generation)`, or `NOTIFY`.
    /// Owner thread only.
    pub(crate) fn take_messages(&self, messages: &[(u32, u32)]) {
        let Ok(mut states) = self.states.try_borrow_mut() else {
            // The drain that hands messages over runs with no borrow held; keep them anyway.
            for &(token, generation) in messages.iter().filter(|m| m.0 != NOTIFY) {
                self.queue_remote(token, generation, false);
            }
            return;
        };
        for &(token, generation) in messages {
            if token != NOTIFY {
                self.mark(&mut states, token, Some(generation), false);
            }
        }
    }

    /// Queues task `token` (of `generation`, when given) unless it is queued already, marking
    /// it aborted if `abort`; a task being polled is queued again after the poll. Owner
    /// thread only.
    pub(crate) fn mark(
        &self,
        states: &mut [TaskState],
        token: u32,
        generation: Option<u32>,
        abort: bool,
    ) {
        let Some(state) = states.get_mut(token as usize) else {
            return;
        };
        if generation.is_some_and(|g| g != state.generation) {
            return;
        }
        state.aborted |= abort;
        match state.phase {
            Phase::Idle => {
                state.phase = Phase::Queued;
                self.local.borrow_mut().push_back(token);
            }
            Phase::Running => state.phase = Phase::RunningWoken,
            Phase::Vacant | Phase::Queued | Phase::RunningWoken => {}
        }
    }

    /// Puts `token` in the run queue (its state says `Queued` already). Owner thread only.
    pub(crate) fn push(&self, token: u32) {
        self.local.borrow_mut().push_back(token);
    }

    /// The next token to run, taking in the wakes from other threads first when the local
    /// queue is empty. Owner thread only.
    pub(crate) fn pop(&self) -> Option<u32> {
        let next = self.local.borrow_mut().pop_front();
        if next.is_some() {
            return next;
        }
        self.take_remote();
        self.local.borrow_mut().pop_front()
    }

    /// Moves the wakes (and aborts) from other threads into the local run queue, behind
    /// what is there. The executor calls it at the start of every tick, so tasks that keep
    /// the local queue busy cannot starve wakes from other threads. Owner thread only.
    pub(crate) fn take_remote(&self) {
        if !self.has_remote.load(Ordering::SeqCst) {
            return;
        }
        // The executor holds no borrow of the states when it asks for the next task.
        let Ok(mut states) = self.states.try_borrow_mut() else {
            return;
        };
        let remote = {
            // The flag is cleared under the lock: a waker that pushed after the take must
            // find it set again, or its wake sits unseen while the runtime parks.
            let mut queue = self.remote();
            let remote = std::mem::take(&mut *queue);
            self.has_remote.store(false, Ordering::SeqCst);
            remote
        };
        for (token, generation, abort) in remote {
            self.mark(&mut states, token, Some(generation), abort);
        }
    }

    /// Whether a task is due (or a spawn from another thread waits). Owner thread only.
    pub(crate) fn has_work(&self) -> bool {
        !self.local.borrow().is_empty()
            || self.has_remote.load(Ordering::SeqCst)
            || self.has_spawns.load(Ordering::SeqCst)
    }

    fn spawns(&self) -> MutexGuard<'_, Spawns> {
        self.spawns.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a spawn from any thread and wakes the runtime; gives it back if the runtime
    /// is gone.
    pub(crate) fn push_spawn(&self, spawn: RemoteSpawn) -> Result<(), RemoteSpawn> {
        {
            let mut spawns = self.spawns();
            if spawns.closed {
                return Err(spawn);
            }
            spawns.queue.push(spawn);
            self.load.fetch_add(1, Ordering::Relaxed);
            // Set under the lock, as `has_remote` is: `take_spawns` clears it under the lock.
            self.has_spawns.store(true, Ordering::SeqCst);
        }
        self.unpark();
        Ok(())
    }

    /// The spawns from other threads, oldest first. Owner thread only.
    pub(crate) fn take_spawns(&self) -> Vec<RemoteSpawn> {
        if !self.has_spawns.load(Ordering::SeqCst) {
            return Vec::new();
        }
        let mut spawns = self.spawns();
        self.has_spawns.store(false, Ordering::SeqCst);
        // Each stays in the load until it has started (`spawn_started`): taking them all off
        // here, before their tasks were counted, showed a busy runtime as idle meanwhile.
        std::mem::take(&mut spawns.queue)
    }

    /// A spawn taken by `take_spawns` has run (its task, if any, is counted). Owner thread
    /// only.
    pub(crate) fn spawn_started(&self) {
        self.load.fetch_sub(1, Ordering::Relaxed);
    }

    /// The runtime's load: live tasks plus spawns waiting to start (a snapshot).
    pub(crate) fn load(&self) -> usize {
        self.load.load(Ordering::Relaxed)
    }

    /// A task took a slot (`up`) or left it. Owner thread only.
    pub(crate) fn count_task(&self, up: bool) {
        if up {
            self.load.fetch_add(1, Ordering::Relaxed);
        } else {
            self.load.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Refuses further spawns from other threads (the runtime is being dropped) and returns
    /// those still queued.
    pub(crate) fn close_spawns(&self) -> Vec<RemoteSpawn> {
        let mut spawns = self.spawns();
        spawns.closed = true;
        self.has_spawns.store(false, Ordering::SeqCst);
        self.load.fetch_sub(spawns.queue.len(), Ordering::Relaxed);
        std::mem::take(&mut spawns.queue)
    }

    /// Forgets every queued wake (shutdown). Owner thread only.
    pub(crate) fn clear(&self) {
        self.local.borrow_mut().clear();
        let mut queue = self.remote();
        queue.clear();
        self.has_remote.store(false, Ordering::SeqCst);
    }

    /// Ends a park in progress (from any thread).
    pub(crate) fn unpark(&self) {
        if self.park.must_notify() && !context::send_msg(&self.mailbox, NOTIFY, 0) {
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

/// A task's waker: its token and generation. Made once per task; the reactor names tasks by
/// token, so I/O never clones it.
pub(crate) struct TaskWaker {
    pub(crate) shared: Arc<Shared>,
    pub(crate) token: u32,
    pub(crate) generation: u32,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared
            .request(self.token, self.generation, false, false);
    }
}

impl TaskWaker {
    /// Has the runtime drop the task without polling it again (`JoinHandle::abort`, from any
    /// thread). On the runtime's own thread this takes effect at once, also outside
    /// `block_on`, so a task aborted before it first ran never runs.
    pub(crate) fn abort(&self) {
        let owner = thread::current().id() == self.shared.owner;
        self.shared
            .request(self.token, self.generation, true, owner);
    }
}
