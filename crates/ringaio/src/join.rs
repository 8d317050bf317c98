//! `JoinHandle` and `JoinError`.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::{AbortHandle, Aborted};

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

pub(crate) type TaskOutput<T> = Result<Result<T, Box<dyn Any + Send>>, Aborted>;

/// Awaits a spawned task. Dropping it detaches the task, which keeps running;
/// [`abort`](JoinHandle::abort) cancels it.
pub struct JoinHandle<T> {
    task: Option<async_task::FallibleTask<TaskOutput<T>>>,
    abort: AbortHandle,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: async_task::Task<TaskOutput<T>>, abort: AbortHandle) -> Self {
        JoinHandle {
            task: Some(task.fallible()),
            abort,
        }
    }

    /// Cancels the task: its future is dropped at its next wake-up (dropping its operations,
    /// which cancels them), and awaiting this handle gives [`JoinError::Cancelled`].
    pub fn abort(&self) {
        self.abort.abort();
    }

    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
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

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(task) = self.task.as_mut() else {
            return Poll::Ready(Err(JoinError::Cancelled));
        };
        let out = match Pin::new(task).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(out) => out,
        };
        self.task = None;
        Poll::Ready(match out {
            Some(Ok(Ok(value))) => Ok(value),
            Some(Ok(Err(panic))) => Err(JoinError::Panic(panic)),
            Some(Err(Aborted)) | None => Err(JoinError::Cancelled),
        })
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}
