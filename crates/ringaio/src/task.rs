//! A task: a spawned future with its waker (made once, at spawn) and the state it shares
//! with its `JoinHandle`, as the executor polls it.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

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
/// the current task. Dropping it drops its future if it has not finished (abort, shutdown).
/// Neither a poll nor a drop lets a panic out: the handle reports it.
pub(crate) trait Run {
    /// Polls the future once; `Ready` when the task is over: its future dropped, then its
    /// output (or panic) handed to its handle.
    fn run(self: Pin<&mut Self>, reactor: &Reactor, token: u32) -> Poll<()>;
}

pin_project_lite::pin_project! {
    /// The future, until it is dropped (finished, aborted or shut down).
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] future: F },
        Dropped,
    }
}

pin_project_lite::pin_project! {
    /// A spawned future as the executor runs it, with its waker (made once, at spawn). Its
    /// handle hears the outcome only once the future is dropped, so whatever it captured is
    /// gone when `handle.await` returns (as in tokio).
    pub(crate) struct Task<F: Future> {
        #[pin]
        stage: Stage<F>,
        join: Arc<Join<F::Output>>,
        waker: Waker,
    }

    impl<F: Future> PinnedDrop for Task<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it finished: aborted, or its runtime shut down.
            let this = this.project();
            if matches!(*this.stage, Stage::Running { .. }) {
                let out = match drop_future(this.stage) {
                    Ok(()) => Err(JoinError::Cancelled),
                    Err(panic) => Err(JoinError::Panic(panic)),
                };
                this.join.finish(out);
            }
        }
    }
}

/// Drops the future in place, catching a panic in its `Drop` (the stage is `Dropped`
/// afterwards either way: an assignment stores the new value also when dropping the old one
/// unwinds).
fn drop_future<F>(mut stage: Pin<&mut Stage<F>>) -> std::thread::Result<()> {
    catch_unwind(AssertUnwindSafe(|| stage.set(Stage::Dropped)))
}

impl<F: Future> Run for Task<F> {
    fn run(self: Pin<&mut Self>, reactor: &Reactor, token: u32) -> Poll<()> {
        let mut this = self.project();
        let StageProj::Running { future } = this.stage.as_mut().project() else {
            return Poll::Ready(());
        };
        let polled = {
            let _current = CurrentTask::enter(reactor, token, this.waker);
            let mut cx = Context::from_waker(this.waker);
            catch_unwind(AssertUnwindSafe(|| future.poll(&mut cx)))
        };
        let out = match polled {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(panic) => Err(JoinError::Panic(panic)),
        };
        // The future (and what it captured) goes before the handle hears.
        let out = match drop_future(this.stage) {
            Ok(()) => out,
            Err(panic) => {
                // Its output is dropped unseen: the handle reports the panic instead.
                if catch_unwind(AssertUnwindSafe(move || drop(out))).is_err() {
                    tracing::error!("ringaio: dropping a task's output panicked");
                }
                Err(JoinError::Panic(panic))
            }
        };
        this.join.finish(out);
        Poll::Ready(())
    }
}

/// `future` as the task named `name`, and the handle to its output.
pub(crate) fn new<F: Future>(future: F, name: Arc<TaskWaker>) -> (Task<F>, JoinHandle<F::Output>) {
    let waker = Waker::from(name.clone());
    let join = Join::new(name);
    let task = Task {
        stage: Stage::Running { future },
        join: join.clone(),
        waker,
    };
    (task, JoinHandle::new(join))
}
