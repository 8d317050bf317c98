//! Operations are submitted on their first poll: one dropped before it is polled does no
//! I/O, takes no slot and drops its buffer once; one created outside the runtime runs when
//! awaited inside it. A `timeout` still counts from its creation.

use std::future::pending;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, CountedBuf, TempPath, BACKENDS};

fn unpolled_ops_do_nothing(backend: Backend) {
    let rt = runtime(backend);
    let path = TempPath::new(std::env::temp_dir(), "lazy-ops");
    std::fs::write(path.path(), b"hello").expect("test file");
    // Made outside any runtime: nothing runs until it is awaited inside one.
    let early = ringaio::nop();
    rt.block_on(async {
        let file = File::open(path.path()).await.expect("open");
        let alive = Arc::new(());
        let read = file.read_at(CountedBuf::new(&alive, 16), 0);
        let nop = ringaio::nop();
        assert_eq!(
            Arc::strong_count(&alive),
            2,
            "the buffer is in the unpolled read"
        );
        drop(read);
        drop(nop);
        assert_eq!(Arc::strong_count(&alive), 1, "the buffer was dropped, once");
        let stats = rt.stats();
        assert_eq!((stats.slots, stats.in_flight), (0, 0), "{stats:?}");
        early
            .await
            .expect("a NOP made outside the runtime, awaited inside");
        // The file was not touched by the dropped read.
        let (res, buf) = file.read_at(CountedBuf::new(&alive, 16), 0).await;
        assert_eq!(res.expect("read"), 5);
        assert_eq!(buf.bytes(), b"hello");
    });
}

/// The timer of `timeout` starts when the future is made, not when it is first polled:
/// after a longer sleep, its first poll finds it expired.
fn timeout_counts_from_creation(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let timed = ringaio::time::timeout(Duration::from_millis(20), pending::<()>());
        ringaio::time::sleep(Duration::from_millis(200))
            .await
            .expect("sleep");
        let first_poll = timed.now_or_never();
        assert!(
            matches!(first_poll, Some(Err(_))),
            "the 20 ms timer had expired during the 200 ms sleep: {first_poll:?}"
        );
    });
}

#[test]
fn an_unpolled_operation_does_no_io_and_drops_its_buffer() {
    for backend in BACKENDS {
        watchdog("unpolled-ops", move || unpolled_ops_do_nothing(backend));
    }
}

#[test]
fn timeout_starts_counting_when_made() {
    for backend in BACKENDS {
        watchdog("timeout-from-creation", move || {
            timeout_counts_from_creation(backend)
        });
    }
}

/// A `timeout` made where no runtime runs (so its timer could not start) starts its timer
/// on its first poll inside one, rather than running without a deadline.
fn timeout_made_outside_a_runtime(backend: Backend) {
    let timed = ringaio::time::timeout(Duration::from_millis(20), pending::<()>());
    let rt = runtime(backend);
    let out = rt.block_on(timed);
    assert!(out.is_err(), "the deadline applies: {out:?}");
}

#[test]
fn timeout_made_outside_a_runtime_starts_on_first_poll() {
    for backend in BACKENDS {
        watchdog("timeout-outside-runtime", move || {
            timeout_made_outside_a_runtime(backend)
        });
    }
}
