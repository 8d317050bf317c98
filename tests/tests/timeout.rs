//! `time::timeout` fires on a read that cannot complete, and the read is cancelled: its
//! buffer is released and it consumed nothing. A future that finishes first wins, and its
//! timer is cancelled rather than left in the kernel.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::time::{timeout, Elapsed};
use ringaio::Backend;
use ringaio_tests::{pipe, runtime, wait_until, watchdog, CountedBuf, BACKENDS};

fn fires_and_cancels(backend: Backend) {
    let rt = runtime(backend);
    let (rd, mut wr) = pipe().expect("pipe");
    let file = File::from_std(rd);
    let alive = Arc::new(());
    rt.block_on(async {
        let read = file.read_at(CountedBuf::new(&alive, 64), 0);
        let out = timeout(Duration::from_millis(50), read).await;
        let elapsed: Elapsed = out.expect_err("an empty pipe never becomes readable");
        assert_eq!(
            std::io::Error::from(elapsed).kind(),
            std::io::ErrorKind::TimedOut
        );
        assert_eq!(
            Arc::strong_count(&alive),
            2,
            "the read was dropped with the timeout; the reactor holds its buffer until the cancel completes"
        );
        wait_until("the cancelled read to release its buffer", || {
            Arc::strong_count(&alive) == 1
        })
        .await;
        let stats = rt.stats();
        assert_eq!(stats.in_flight, 0, "read and timer both done: {stats:?}");
        assert_eq!(stats.slots, 0, "{stats:?}");

        // The read was cancelled, not completed: data written now is all still there.
        wr.write_all(b"after").expect("write to the pipe");
        let (res, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        assert_eq!(res.expect("read"), 5);
        assert_eq!(&buf[..], b"after");
    });
}

fn inner_future_wins(backend: Backend) {
    let rt = runtime(backend);
    let (rd, mut wr) = pipe().expect("pipe");
    let file = File::from_std(rd);
    wr.write_all(b"ready").expect("write to the pipe");
    rt.block_on(async {
        let read = file.read_at(Vec::with_capacity(64), 0);
        let (res, buf) = timeout(Duration::from_secs(60), read)
            .await
            .expect("data was there long before the deadline");
        assert_eq!(res.expect("read"), 5);
        assert_eq!(&buf[..], b"ready");
        // The 60 s timer was dropped with the Timeout: it must be cancelled, not waited for.
        wait_until("the timer's cancel to complete", || rt.stats().slots == 0).await;
        let ok = timeout(Duration::from_secs(60), async { 7 }).await;
        assert_eq!(ok, Ok(7));
    });
}

fn timeout_of_a_sleep(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let slow = ringaio::time::sleep(Duration::from_secs(60));
        assert!(timeout(Duration::from_millis(20), slow).await.is_err());
        let quick = ringaio::time::sleep(Duration::from_millis(1));
        let out = timeout(Duration::from_secs(60), quick).await;
        assert!(matches!(out, Ok(Ok(()))), "{out:?}");
        wait_until("both cancelled timers to complete", || {
            rt.stats().slots == 0
        })
        .await;
    });
}

#[test]
fn timeout_fires_and_cancels_the_read() {
    for backend in BACKENDS {
        watchdog("timeout-fires", move || fires_and_cancels(backend));
    }
}

#[test]
fn future_finishing_first_wins() {
    for backend in BACKENDS {
        watchdog("timeout-inner-wins", move || inner_future_wins(backend));
    }
}

#[test]
fn timeout_of_a_sleep_either_way() {
    for backend in BACKENDS {
        watchdog("timeout-sleep", move || timeout_of_a_sleep(backend));
    }
}
