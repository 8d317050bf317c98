//! `Interval`: a tick every period.

use std::io;
use std::time::{Duration, Instant};

use super::sleep_until;

/// An [`Interval`] whose first tick completes at once and the next every `period` after.
/// A zero period is taken as 1 ns.
///
/// ```
/// use std::time::Duration;
///
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let mut every = ringaio::time::interval(Duration::from_millis(2));
///     let first = every.tick().await?;
///     let second = every.tick().await?;
///     assert!(second >= first + Duration::from_millis(2));
///     Ok(())
/// })
/// # }
/// ```
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// An [`Interval`] whose first tick completes at `start`, and the next every `period` after.
/// A zero period is taken as 1 ns.
///
/// ```
/// use std::time::Duration;
/// use ringaio::time::{interval_at, Instant};
///
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut every = interval_at(start, Duration::from_secs(1));
///     assert_eq!(every.tick().await?, start);
///     assert!(Instant::now() >= start);
///     Ok(())
/// })
/// # }
/// ```
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    Interval {
        next: Some(start),
        period: period.max(Duration::from_nanos(1)),
    }
}

/// Ticks every period, from [`interval`] or [`interval_at`].
///
/// A tick's deadline is one period after the previous one's, so the ticks keep to their
/// schedule however long the work between them takes, as long as it takes less than a
/// period. A tick that is late by a period or more (the task was busy) is not made up for
/// with a burst of ticks: the schedule starts again one period after the late tick.
/// Dropping a `tick` future before it completes leaves the schedule as it was.
#[derive(Debug)]
pub struct Interval {
    /// The next tick's deadline; `None` past the end of the clock (never ticks again).
    next: Option<Instant>,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns its deadline (when it was due, not when it came).
    ///
    /// # Errors
    /// As [`sleep`](super::sleep): an error when no runtime runs on this thread.
    pub async fn tick(&mut self) -> io::Result<Instant> {
        let Some(deadline) = self.next else {
            // A deadline past what `Instant` can hold never comes.
            return std::future::pending().await;
        };
        sleep_until(deadline).await?;
        let now = Instant::now();
        self.next = match deadline.checked_add(self.period) {
            Some(next) if next <= now => now.checked_add(self.period),
            next => next,
        };
        Ok(deadline)
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Starts the schedule again: the next tick one period from now.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringaio::time::{interval, Instant};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let mut every = interval(Duration::from_millis(2));
    ///     assert_eq!(every.period(), Duration::from_millis(2));
    ///     let reset_at = Instant::now();
    ///     every.reset();
    ///     let tick = every.tick().await?;
    ///     assert!(tick >= reset_at + every.period(), "the next tick moved a period away");
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn reset(&mut self) {
        self.next = Instant::now().checked_add(self.period);
    }
}
