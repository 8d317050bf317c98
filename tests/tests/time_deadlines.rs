//! Issue 18: `time::{sleep_until, timeout_at, interval, interval_at}` on both backends. The
//! checks are lower bounds and orderings the timers guarantee, never upper bounds on time.

use std::time::Duration;

use ringaio::time::{interval, interval_at, sleep, sleep_until, timeout_at, Instant};
use ringaio::Backend;
use ringaio_tests::{runtime, BACKENDS};

fn deadlines(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let deadline = Instant::now() + Duration::from_millis(3);
        sleep_until(deadline).await.expect("sleep_until");
        assert!(Instant::now() >= deadline, "never early");
        // A deadline in the past completes at once (no hang).
        sleep_until(deadline - Duration::from_millis(1))
            .await
            .expect("sleep_until the past");

        let late = timeout_at(
            Instant::now() + Duration::from_millis(2),
            sleep(Duration::from_secs(600)),
        )
        .await;
        assert!(late.is_err(), "the deadline ends the long sleep");
        let early = timeout_at(Instant::now() + Duration::from_secs(600), async { "done" }).await;
        assert_eq!(early, Ok("done"));
        let passed = timeout_at(
            Instant::now() - Duration::from_millis(1),
            sleep(Duration::from_secs(600)),
        )
        .await;
        assert!(passed.is_err(), "a deadline already passed expires");
    });
}

fn intervals(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let period = Duration::from_millis(2);
        let mut every = interval(period);
        let mut ticks = Vec::new();
        for _ in 0..5 {
            ticks.push(every.tick().await.expect("tick"));
        }
        for pair in ticks.windows(2) {
            assert!(
                pair[1] >= pair[0] + period,
                "{pair:?}: a period apart at least"
            );
        }
        assert!(
            Instant::now() >= ticks[4],
            "a tick never comes before its deadline"
        );

        // A late tick is not made up for with a burst: the next is a period after it.
        let mut slow = interval(period);
        slow.tick().await.expect("first tick");
        sleep(period * 5).await.expect("fall behind");
        let late = slow.tick().await.expect("late tick");
        let after_late = Instant::now();
        let next = slow.tick().await.expect("next tick");
        assert!(next >= late + period);
        assert!(next >= after_late, "no burst of missed ticks");

        let start = Instant::now() + Duration::from_millis(3);
        let mut at = interval_at(start, Duration::from_secs(600));
        assert_eq!(at.tick().await.expect("tick at start"), start);
        assert_eq!(at.period(), Duration::from_secs(600));
        // The next tick is 10 minutes away: a timeout shows it does not come early.
        let waited = ringaio::time::timeout(Duration::from_millis(2), at.tick()).await;
        assert!(waited.is_err());

        // A zero period is taken as 1 ns, and an unreachable next deadline never ticks.
        let mut zero = interval(Duration::ZERO);
        assert_eq!(zero.period(), Duration::from_nanos(1));
        zero.tick().await.expect("zero-period tick");
        let mut never = interval(Duration::MAX);
        never.tick().await.expect("first tick of a huge period");
        let waited = ringaio::time::timeout(Duration::from_millis(2), never.tick()).await;
        assert!(waited.is_err(), "the second tick never comes");
    });
}

#[test]
fn sleep_until_and_timeout_at() {
    for backend in BACKENDS {
        deadlines(backend);
    }
}

#[test]
fn intervals_tick_on_schedule() {
    for backend in BACKENDS {
        intervals(backend);
    }
}
