//! The tasks: a table of spawned futures indexed by token, polled when the run queue
//! (`schedule`) names them, and dropped all at once when the runtime shuts down.
//!
//! Single-threaded by design: futures need not be `Send`, and waking or running a task on
//! the runtime's thread costs no atomic operation (a task's waker is made once, at spawn).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ringaio_reactor::{Mailbox, Notifier, Reactor};

use crate::join::{Join, JoinHandle};
use crate::schedule::{Phase, Shared, TaskState, TaskWaker};
use crate::task::{self, Run};

/// The token of the future `block_on` runs.
pub(crate) const MAIN_TASK: u32 = u32::MAX - 1;

type BoxedTask = Pin<Box<dyn Run>>;

/// Runs tasks on the runtime's thread.
pub(crate) struct Executor {
    pub(crate) shared: Arc<Shared>,
    /// By token; `shared.states()` has the same length. A task is taken out while it is
    /// polled.
    tasks: RefCell<Vec<Option<BoxedTask>>>,
    /// Vacant tokens, most recently freed last.
    free: RefCell<Vec<u32>>,
}

impl fmt::Debug for Executor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tasks = match (self.tasks.try_borrow(), self.free.try_borrow()) {
            (Ok(tasks), Ok(free)) => Some(tasks.len() - free.len()),
            _ => None,
        };
        f.debug_struct("Executor")
            .field("tasks", &tasks)
            .finish_non_exhaustive()
    }
}

impl Executor {
    pub(crate) fn new(notifier: Notifier, mailbox: Mailbox) -> std::rc::Rc<Executor> {
        std::rc::Rc::new(Executor {
            shared: Shared::new(notifier, mailbox),
            tasks: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
        })
    }

    pub(crate) fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (token, name) = self.slot();
        let (task, handle) = task::new(future, name);
        self.install(token, Box::pin(task));
        handle
    }

    /// Spawns `future` reporting to `join`, a handle made on another thread
    /// ([`Join::pending`]); dropped unpolled if that handle was aborted meanwhile.
    pub(crate) fn spawn_joined<F>(&self, future: F, join: Arc<Join<F::Output>>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let (token, name) = self.slot();
        let aborted = !join.attach(name.clone());
        let task = task::joined(future, name, join);
        self.install(token, Box::pin(task));
        if aborted {
            let mut states = self.shared.states().borrow_mut();
            states[token as usize].aborted = true;
        }
    }

    /// Runs the spawns from other threads: each builds its future here and spawns it.
    fn take_spawns(&self) {
        for spawn in self.shared.take_spawns() {
            spawn(Some(self));
            self.shared.spawn_started();
        }
    }

    /// A vacant token, marked queued, and the task name (waker) for it.
    fn slot(&self) -> (u32, Arc<TaskWaker>) {
        let mut states = self.shared.states().borrow_mut();
        let token = match self.free.borrow_mut().pop() {
            Some(token) => token,
            None => {
                // Tokens stop short of MAIN_TASK; each task is a heap allocation, so 4
                // billion of them cannot exist.
                let token = u32::try_from(states.len())
                    .ok()
                    .filter(|&t| t < MAIN_TASK)
                    .expect("fewer than 2^32 - 2 live tasks");
                states.push(TaskState {
                    generation: 0,
                    phase: Phase::Vacant,
                    aborted: false,
                });
                self.tasks.borrow_mut().push(None);
                token
            }
        };
        let state = &mut states[token as usize];
        state.phase = Phase::Queued;
        state.aborted = false;
        self.shared.count_task(true);
        let name = Arc::new(TaskWaker {
            shared: self.shared.clone(),
            token,
            generation: state.generation,
        });
        (token, name)
    }

    /// Puts `task` in the slot of `token` (from [`slot`](Executor::slot)) and queues it.
    fn install(&self, token: u32, task: BoxedTask) {
        self.tasks.borrow_mut()[token as usize] = Some(task);
        self.shared.push(token);
    }

    /// Whether no task lives, none is queued and no spawn from another thread waits.
    pub(crate) fn is_idle(&self) -> bool {
        !self.has_work() && self.tasks.borrow().iter().all(Option::is_none)
    }

    /// Whether a task is queued.
    pub(crate) fn has_work(&self) -> bool {
        self.shared.has_work()
    }

    /// Runs up to `budget` queued tasks, each named to `reactor` as the current task;
    /// returns how many ran. Wakes from other threads join the queue first: every tick sees
    /// them, however busy the local queue is.
    pub(crate) fn run(&self, budget: usize, reactor: &Reactor) -> usize {
        self.take_spawns();
        self.shared.take_remote();
        let mut ran = 0;
        while ran < budget {
            let Some(token) = self.shared.pop() else {
                break;
            };
            let mut task = match self.take(token) {
                Some((task, false)) => task,
                Some((task, true)) => {
                    // Aborted: dropped without another poll.
                    self.vacate(token);
                    drop(task);
                    continue;
                }
                None => continue,
            };
            let ready = task.as_mut().run(reactor, token);
            ran += 1;
            if ready.is_ready() {
                self.vacate(token);
                // Dropped with no borrow held: a future's drop may spawn or wake.
                drop(task);
            } else {
                self.put_back(token, task);
            }
        }
        ran
    }

    /// Takes a queued task out of its slot to poll it, marking it running; with whether it
    /// was aborted (then it is to be dropped, not polled).
    fn take(&self, token: u32) -> Option<(BoxedTask, bool)> {
        let mut states = self.shared.states().borrow_mut();
        let state = states.get_mut(token as usize)?;
        if state.phase != Phase::Queued {
            return None;
        }
        let task = self.tasks.borrow_mut()[token as usize].take()?;
        state.phase = Phase::Running;
        Some((task, state.aborted))
    }

    /// A task returned `Pending`: back in its slot, and in the queue if woken meanwhile.
    fn put_back(&self, token: u32, task: BoxedTask) {
        self.tasks.borrow_mut()[token as usize] = Some(task);
        let mut states = self.shared.states().borrow_mut();
        let state = &mut states[token as usize];
        if state.phase == Phase::RunningWoken {
            state.phase = Phase::Queued;
            self.shared.push(token);
        } else {
            state.phase = Phase::Idle;
        }
    }

    /// Frees `token` for reuse; its old wakers no longer match it.
    fn vacate(&self, token: u32) {
        let mut states = self.shared.states().borrow_mut();
        vacate_in(&mut states, &mut self.free.borrow_mut(), token);
        self.shared.count_task(false);
    }

    /// Wakes the tasks named by `tokens` (completions came for them). Tokens of finished
    /// tasks wake nothing, or (reused) wake another task spuriously, which is harmless.
    pub(crate) fn wake_tasks(&self, tokens: &[u32]) {
        let Ok(mut states) = self.shared.states().try_borrow_mut() else {
            // Only a drain run from inside spawn could get here; none does.
            tracing::error!("ringaio: task wakes lost: task table busy");
            return;
        };
        for &token in tokens {
            if token == MAIN_TASK {
                // Only called by the reactor's drain on the runtime thread, which is awake.
                self.shared.main_woken.raise_awake();
            } else {
                self.shared.mark(&mut states, token, None, false);
            }
        }
    }

    /// Drops every task (their futures, and so their operations), until none is left: a
    /// future's drop may spawn another.
    pub(crate) fn shutdown(&self) {
        // Spawns from other threads that never started report `Cancelled`; later ones are
        // refused (their handles report `Cancelled` at once).
        for spawn in self.shared.close_spawns() {
            spawn(None);
        }
        loop {
            let futures: Vec<BoxedTask> = {
                let mut tasks = self.tasks.borrow_mut();
                let mut states = self.shared.states().borrow_mut();
                let mut free = self.free.borrow_mut();
                let mut taken = Vec::new();
                for (token, slot) in tasks.iter_mut().enumerate() {
                    if let Some(task) = slot.take() {
                        taken.push(task);
                        vacate_in(&mut states, &mut free, token as u32);
                        self.shared.count_task(false);
                    }
                }
                taken
            };
            if futures.is_empty() {
                break;
            }
            drop(futures);
        }
        self.shared.clear();
    }
}

/// Marks `token` vacant in `states`, bumping its generation so its old wakers no longer
/// match, and gives it to the `free` list.
fn vacate_in(states: &mut [TaskState], free: &mut Vec<u32>, token: u32) {
    let state = &mut states[token as usize];
    state.phase = Phase::Vacant;
    state.generation = state.generation.wrapping_add(1);
    free.push(token);
}
