//! Durations too long to represent mean "never", on both backends: `sleep(Duration::MAX)`
//! used to fail at once with EINVAL on io_uring (the seconds wrapped to -1) and to return
//! after about a second on the fallback; a duration near `i64::MAX` seconds panicked in the
//! fallback's timer list after the request had its slot, and shutdown then stalled.

use std::time::Duration;

use ringaio::time::{sleep, timeout};
use ringaio::Backend;
use ringaio_tests::{runtime, wait_until, watchdog, BACKENDS};

const NEVER: [Duration; 4] = [
    Duration::MAX,
    Duration::from_secs(i64::MAX as u64),
    Duration::from_secs(i64::MAX as u64 - 1),
    Duration::from_secs(u64::MAX),
];

fn never_fires(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let sleeps = NEVER.map(|d| timeout(Duration::from_secs(2), sleep(d)));
        for (out, d) in futures::future::join_all(sleeps)
            .await
            .into_iter()
            .zip(NEVER)
        {
            assert!(
                out.is_err(),
                "sleep({d:?}) must outlast a 2 s timeout: {out:?}"
            );
        }
        // A timeout that never fires lets its future finish.
        let out = timeout(Duration::MAX, sleep(Duration::from_millis(1))).await;
        assert!(matches!(out, Ok(Ok(()))), "{out:?}");
        wait_until("every cancelled timer to be gone", || rt.stats().slots == 0).await;
    });
}

#[test]
fn huge_sleeps_never_fire_on_both_backends() {
    for backend in BACKENDS {
        watchdog(&format!("huge-durations-{backend:?}"), move || {
            never_fires(backend)
        });
    }
}
