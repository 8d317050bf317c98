//! `JoinHandle` and `JoinError`, and the state a task shares with its handle.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::schedule::TaskWaker;

/// Why a task gave no value.
pub enum JoinError {
    /// The task was aborted, or its runtime dropped it.
    Cancelled,
    /// The task panicked; the payload is inside.
    Panic(Box<dyn Any + Send + 'static>),
}

impl JoinError {
    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(self, JoinError::Panic(_))
    }

    /// Whether the task was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, JoinError::Cancelled)
    }

    /// The panic payload, if the task panicked.
    pub fn into_panic(self) -> Option<Box<dyn Any + Send + 'static>> {
        match self {
            JoinError::Panic(p) => Some(p),
            JoinError::Cancelled => None,
        }
    }
}

fn panic_message(p: &(dyn Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>")
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("JoinError::Cancelled"),
            JoinError::Panic(p) => write!(f, "JoinError::Panic({:?})", panic_message(&**p)),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::Cancelled => f.write_str("task was cancelled"),
            JoinError::Panic(p) => write!(f, "task panicked: {}", panic_message(&**p)),
        }
    }
}

impl std::error::Error for JoinError {}

/// What the task and its handle share.
pub(crate) struct Join<T> {
    state: Mutex<JoinState<T>>,
}

struct JoinState<T> {
    /// The task's end, until the handle takes it.
    output: Option<Result<T, JoinError>>,
    /// The task has ended (output given, or cancelled).
    finished: bool,
    /// Who awaits the handle.
    waiter: Option<Waker>,
    /// The task's name in its runtime, so `abort` can have the runtime drop its future.
    task: Option<Arc<TaskWaker>>,
}

impl<T> Join<T> {
    /// The state of a task named `name` that has not finished.
    pub(crate) fn new(name: Arc<TaskWaker>) -> Arc<Join<T>> {
        Arc::new(Join {
            state: Mutex::new(JoinState {
                output: None,
                finished: false,
                waiter: None,
                task: Some(name),
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, JoinState<T>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the task's end (its future is dropped by now), unless it has one, and wakes
    /// the handle's waiter, with no lock held and guarded against a panicking waker.
    pub(crate) fn finish(&self, output: Result<T, JoinError>) {
        let waiter = {
            let mut state = self.lock();
            if state.finished {
                return;
            }
            state.finished = true;
            state.output = Some(output);
            state.task = None;
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            if catch_unwind(AssertUnwindSafe(|| waiter.wake())).is_err() {
                tracing::error!("ringaio: the waker of a JoinHandle's awaiter panicked");
            }
        }
    }
}

/// Awaits a spawned task. Dropping it detaches the task, which keeps running;
/// [`abort`](JoinHandle::abort) cancels it. It can be moved to (and awaited or aborted on)
/// another thread when the output can.
pub struct JoinHandle<T> {
    join: Arc<Join<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(join: Arc<Join<T>>) -> JoinHandle<T> {
        JoinHandle { join }
    }

    /// Cancels the task: its runtime drops its future (dropping its operations, which
    /// cancels them) without polling it again, and then wakes whoever awaits this handle,
    /// which gives [`JoinError::Cancelled`] (or [`JoinError::Panic`] if the future's `Drop`
    /// panicked). A task that already finished keeps its output. The handle resolves only
    /// once the future and everything it captured are dropped: on the runtime's thread, when
    /// the runtime next runs (or is dropped).
    pub fn abort(&self) {
        let task = self.join.lock().task.clone();
        if let Some(task) = task {
            task.abort();
        }
    }

    /// Whether the task has finished: its output (or panic, or cancellation) is in and its
    /// future dropped. After [`abort`](JoinHandle::abort), false until the runtime has
    /// dropped the future.
    pub fn is_finished(&self) -> bool {
        self.join.lock().finished
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.join.lock();
        if state.finished {
            // Taken already: the handle was polled after it gave its output.
            return Poll::Ready(state.output.take().unwrap_or(Err(JoinError::Cancelled)));
        }
        match &state.waiter {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waiter = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}
