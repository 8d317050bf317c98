//! `Timed`: an operation with a deadline that, when the deadline passes, cancels the request
//! and still waits for it, so the operation's buffer comes back with the error.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::op::{Op, Operation};
use crate::ops;

/// An output that can say "timed out": a cancelled request's `ECANCELED` becomes `TimedOut`.
pub(crate) trait TimedOutput {
    fn timed_out(self) -> Self;
}

impl<B> TimedOutput for (io::Result<usize>, B) {
    fn timed_out(self) -> Self {
        match self {
            (Err(e), buf) if e.raw_os_error() == Some(libc::ECANCELED) => {
                let e = io::Error::new(io::ErrorKind::TimedOut, "operation timed out");
                (Err(e), buf)
            }
            done => done,
        }
    }
}

/// `op` with a timer beside it (both submitted on the first poll). When the timer fires
/// first, `op`'s request is cancelled (`ASYNC_CANCEL` on the ring, taken off the pool's queue
/// on the fallback) and `op` is polled on to its end, which gives its memory back.
pub(crate) struct Timed<T: Operation> {
    op: Op<T>,
    timer: Option<Op<ops::Timeout>>,
    expired: bool,
}

impl<T: Operation> Timed<T>
where
    T::Output: TimedOutput,
{
    pub(crate) fn new(op: T, after: Duration) -> Timed<T> {
        Timed {
            op: Op::new(op),
            timer: Some(Op::new(ops::Timeout::new(after))),
            expired: false,
        }
    }
}

impl<T: Operation> Future for Timed<T>
where
    T::Output: TimedOutput,
{
    type Output = T::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        let this = &mut *self;
        if let Poll::Ready(out) = Pin::new(&mut this.op).poll(cx) {
            // The timer (if still running) is cancelled when it drops.
            this.timer = None;
            return Poll::Ready(if this.expired { out.timed_out() } else { out });
        }
        if let Some(timer) = this.timer.as_mut() {
            match Pin::new(timer).poll(cx) {
                Poll::Ready(Ok(())) => {
                    this.timer = None;
                    this.expired = true;
                    this.op.cancel();
                }
                Poll::Ready(Err(e)) => {
                    // A timer that cannot run must not end the operation early.
                    tracing::warn!(error = %e, "ringaio: operation timer failed; no deadline");
                    this.timer = None;
                }
                Poll::Pending => {}
            }
        }
        Poll::Pending
    }
}
