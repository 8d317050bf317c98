//! Timers named by a deadline: `sleep_until`, `timeout_at`.

use std::future::Future;
use std::io;
use std::time::Instant;

use super::{sleep, timeout, Timeout};

/// Completes at `deadline` (at once if it has passed). The time left is measured when the
/// future is first polled.
///
/// ```
/// use std::time::Duration;
/// use ringaio::time::{sleep_until, Instant};
///
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(3);
///     sleep_until(deadline).await?;
///     assert!(Instant::now() >= deadline);
///     Ok(())
/// })
/// # }
/// ```
///
/// # Errors
/// As [`sleep`]: an error when no runtime runs on this thread.
pub async fn sleep_until(deadline: Instant) -> io::Result<()> {
    sleep(deadline.saturating_duration_since(Instant::now())).await
}

/// Runs `future` until `deadline` at the latest: as [`timeout`], with the time left measured
/// now.
///
/// ```
/// use std::time::Duration;
/// use ringaio::time::{sleep, timeout_at, Instant};
///
/// ringaio::block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let late = timeout_at(deadline, sleep(Duration::from_secs(60))).await;
///     assert!(late.is_err(), "the sleep outlived the deadline");
///     let early = timeout_at(deadline + Duration::from_secs(60), async { 7 }).await;
///     assert_eq!(early, Ok(7));
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    timeout(deadline.saturating_duration_since(Instant::now()), future)
}
