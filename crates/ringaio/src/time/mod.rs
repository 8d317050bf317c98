//! Timers on `IORING_OP_TIMEOUT` (or the reactor's timer list in fallback mode).

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::op::Op;
use crate::ops;

mod deadline;
mod interval;

pub use deadline::{sleep_until, timeout_at};
pub use interval::{interval, interval_at, Interval};

/// The clock deadlines are measured on: `std::time::Instant` (`CLOCK_MONOTONIC`, the clock
/// the kernel's timers count on), re-exported so code can name one `ringaio::time`.
pub use std::time::Instant;

/// Completes after `duration`. Dropping it early cancels the kernel timer.
///
/// It returns `io::Result` rather than `()` because a timer is a request to the kernel (an
/// `IORING_OP_TIMEOUT`, or the reactor's timer list on the fallback backend), and a request
/// can fail to be made: called outside a runtime, or on a runtime shutting down. Completing
/// at once would turn a retry loop around it into a busy loop, and a panic would take the
/// caller's task with it; the error says which happened. On a running runtime it does not
/// fail.
///
/// ```
/// use std::time::Duration;
///
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let start = ringaio::time::Instant::now();
///     ringaio::time::sleep(Duration::from_millis(2)).await?;
///     assert!(start.elapsed() >= Duration::from_millis(2));
///     Ok(())
/// })
/// # }
/// ```
///
/// # Errors
/// An error when no runtime runs on this thread.
pub async fn sleep(duration: Duration) -> io::Result<()> {
    Op::new(ops::Timeout::new(duration)).await
}

/// The inner future did not finish in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    fn from(e: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, e)
    }
}

/// Runs `future` for at most `duration`. On expiry the future is dropped — which cancels its
/// operations through the reactor — and `Err(Elapsed)` is returned.
///
/// The deadline counts from this call when a runtime runs on this thread; made outside one,
/// it counts from the first poll.
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    Timeout {
        future,
        timer: Some(Op::start(ops::Timeout::new(duration))),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`].
    pub struct Timeout<F> {
        #[pin]
        future: F,
        timer: Option<Op<ops::Timeout>>,
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout").finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let Some(timer) = this.timer.as_mut() else {
            return Poll::Pending;
        };
        match Pin::new(timer).poll(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Err(Elapsed(()))),
            Poll::Ready(Err(e)) => {
                // A timer that cannot run (no runtime) must not end the future early.
                tracing::warn!(error = %e, "ringaio::time::timeout: timer failed; no deadline");
                *this.timer = None;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
