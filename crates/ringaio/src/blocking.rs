//! `spawn_blocking`: a closure on the runtime's blocking pool, awaited by an ordinary task.

use std::future::Future;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::thread;

use ringaio_core::cqe_result;
use ringaio_reactor::{BlockingCall, Key, Polled, Reactor};

use crate::{context, spawn, JoinHandle};

/// Runs `f` on the runtime's blocking pool, on threads apart from those that file I/O uses
/// (so closures that block for long never starve file I/O), and returns a handle to its
/// output: for blocking work with no io_uring operation (`read_dir`, `fchmod`, a checksum of
/// a large buffer, a C library call).
///
/// The handle is an ordinary [`JoinHandle`]: a panic in `f` is reported as a
/// [`JoinError`](crate::JoinError) whose [`is_panic`](crate::JoinError::is_panic) is true,
/// and the pool thread carries on. Dropping the handle does not cancel `f` (as with
/// [`spawn`]); [`abort`](JoinHandle::abort) cancels it if it has not started yet, and a
/// running `f` always runs to its end: the runtime's drop waits for it, up to its shutdown
/// timeout ([`Builder::shutdown_timeout`](crate::Builder::shutdown_timeout)). If the runtime
/// shuts down before `f` starts, `f` is dropped without running.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir();
/// let entries = ringaio::block_on(async move {
///     ringaio::spawn_blocking(move || std::fs::read_dir(dir).map(|d| d.count())).await
/// });
/// assert!(entries.expect("the closure did not panic")? > 0);
/// # Ok(())
/// # }
/// ```
///
/// # Panics
/// When no ringaio runtime runs on this thread (as [`spawn`]).
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let output: Arc<Mutex<Option<thread::Result<T>>>> = Arc::new(Mutex::new(None));
    let slot = output.clone();
    let call: BlockingCall = Box::new(move || {
        let out = panic::catch_unwind(AssertUnwindSafe(f));
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(out);
    });
    spawn(async move {
        let ran = Call::new(call).await;
        let out = output.lock().unwrap_or_else(PoisonError::into_inner).take();
        match (ran, out) {
            (_, Some(Ok(value))) => value,
            // The task's panic: the executor reports it as the handle's JoinError.
            (_, Some(Err(payload))) => panic::resume_unwind(payload),
            (Err(e), None) => panic::resume_unwind(Box::new(format!(
                "ringaio::spawn_blocking: the closure did not run: {e}"
            ))),
            (Ok(()), None) => panic::resume_unwind(Box::new("ringaio::spawn_blocking: no output")),
        }
    })
}

/// The request that runs a closure on the pool: submitted on its first poll, and cancelled
/// (if it has not started) when dropped before its result.
struct Call {
    call: Option<BlockingCall>,
    reactor: Option<Rc<Reactor>>,
    key: Option<Key>,
}

impl Call {
    fn new(call: BlockingCall) -> Call {
        Call {
            call: Some(call),
            reactor: None,
            key: None,
        }
    }
}

impl Future for Call {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let (Some(reactor), Some(key)) = (&this.reactor, this.key.take()) else {
            let Some(call) = this.call.take() else {
                return Poll::Ready(Err(io::Error::other("polled after completion")));
            };
            let reactor = context::reactor()?;
            this.key = Some(reactor.submit_blocking(call, cx)?);
            this.reactor = Some(reactor);
            return Poll::Pending;
        };
        match reactor.poll(key, cx) {
            Polled::Ready(outcome) => Poll::Ready(cqe_result(outcome.result).map(drop)),
            Polled::Pending(key) => {
                this.key = Some(key);
                Poll::Pending
            }
        }
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if let (Some(reactor), Some(key)) = (&self.reactor, self.key.take()) {
            // The closure is the pool's: nothing of ours for the reactor to keep.
            reactor.release(key, ());
        }
    }
}
