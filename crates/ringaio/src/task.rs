//! A task: a spawned future with its waker (made once, at spawn) and the state it shares
//! with its `JoinHandle`, as the executor polls it.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures::future::CatchUnwind;
use futures::FutureExt;
use ringaio_reactor::Reactor;

use crate::join::{Join, JoinError, JoinHandle};
use crate::schedule::TaskWaker;

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

/// A task as the executor sees it: one poll with its own waker, named to the reactor as
/// the current task.
pub(crate) trait Run {
    fn run(self: Pin<&mut Self>, reactor: &Reactor, token: u32) -> Poll<()>;
}

pin_project_lite::pin_project! {
    /// A spawned future as the executor runs it, with its waker (made once, at spawn): its
    /// output (or panic) goes to the handle; dropped before it finishes (aborted, or the
    /// runtime shut down), it tells the handle it was cancelled.
    pub(crate) struct Task<F: Future> {
        #[pin]
        future: CatchUnwind<AssertUnwindSafe<F>>,
        join: Arc<Join<F::Output>>,
        waker: Waker,
    }

    impl<F: Future> PinnedDrop for Task<F> {
        fn drop(this: Pin<&mut Self>) {
            this.join.finish(Err(JoinError::Cancelled));
        }
    }
}

impl<F: Future> Run for Task<F> {
    fn run(self: Pin<&mut Self>, reactor: &Reactor, token: u32) -> Poll<()> {
        let this = self.project();
        let _current = CurrentTask::enter(reactor, token, this.waker);
        match this.future.poll(&mut Context::from_waker(this.waker)) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(out) => {
                this.join.finish(out.map_err(JoinError::Panic));
                Poll::Ready(())
            }
        }
    }
}

/// `future` as the task named `name`, and the handle to its output.
pub(crate) fn new<F: Future>(future: F, name: Arc<TaskWaker>) -> (Task<F>, JoinHandle<F::Output>) {
    let waker = Waker::from(name.clone());
    let join = Join::new(name);
    let task = Task {
        future: AssertUnwindSafe(future).catch_unwind(),
        join: join.clone(),
        waker,
    };
    (task, JoinHandle::new(join))
}
