//! `JoinHandle` and `JoinError`.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

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

pub(crate) type TaskOutput<T> = Result<T, Box<dyn Any + Send>>;

/// Awaits a spawned task. Dropping it detaches the task, which keeps running;
/// [`abort`](JoinHandle::abort) cancels it.
pub struct JoinHandle<T> {
    task: RefCell<Option<async_task::FallibleTask<TaskOutput<T>, u32>>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<TaskOutput<T>, u32>) -> Self {
        JoinHandle {
            task: RefCell::new(Some(task.fallible())),
        }
    }

    /// Cancels the task: its future is dropped (dropping its operations, which cancels them)
    /// without being polled again, and awaiting this handle gives [`JoinError::Cancelled`].
    /// A task that already finished keeps its output.
    pub fn abort(&self) {
        let mut task = self.task.borrow_mut();
        if task.as_ref().is_some_and(|t| !t.is_finished()) {
            // Dropping an async-task handle cancels the task; the runtime drops its future.
            drop(task.take());
        }
    }

    /// Whether the task has finished (or was aborted).
    pub fn is_finished(&self) -> bool {
        self.task.borrow().as_ref().is_none_or(|t| t.is_finished())
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
        let mut slot = self.task.borrow_mut();
        let Some(task) = slot.as_mut() else {
            return Poll::Ready(Err(JoinError::Cancelled));
        };
        let out = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(out) => out,
        };
        *slot = None;
        Poll::Ready(match out {
            Some(Ok(value)) => Ok(value),
            Some(Err(panic)) => Err(JoinError::Panic(panic)),
            None => Err(JoinError::Cancelled),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().take() {
            task.detach();
        }
    }
}
