//! Awaiting an aborted task returns only after the task's future (and what it captured) has
//! been dropped, as in tokio: `Rc::try_unwrap` right after `handle.await` succeeds. It used to
//! return as soon as `abort` was called, with the future still alive in the task table.

use std::rc::Rc;
use std::time::Duration;

use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, yield_now, BACKENDS};

fn captures_dropped_before_cancelled(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        // A task that has run (it waits on a timer) and one that never ran.
        for started in [true, false] {
            let shared = Rc::new(String::from("captured"));
            let capture = shared.clone();
            let handle = ringaio::spawn(async move {
                ringaio::time::sleep(Duration::from_secs(60))
                    .await
                    .expect("sleep");
                capture.len()
            });
            if started {
                yield_now().await;
            }
            handle.abort();
            let err = handle.await.expect_err("aborted");
            assert!(err.is_cancelled(), "{err:?}");
            let shared = Rc::try_unwrap(shared).unwrap_or_else(|rc| {
                panic!(
                    "the aborted task's capture is still alive ({} references, started: {started})",
                    Rc::strong_count(&rc)
                )
            });
            assert_eq!(shared, "captured");
        }
    });
}

/// A task that finishes normally: its captures are gone by the time its output is handed
/// over, too.
fn captures_dropped_before_output(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let shared = Rc::new(7u32);
        let capture = shared.clone();
        let handle = ringaio::spawn(async move {
            ringaio::nop().await.expect("nop");
            *capture + 1
        });
        assert_eq!(handle.await.expect("finished"), 8);
        assert!(
            Rc::try_unwrap(shared).is_ok(),
            "the finished task's capture is gone"
        );
    });
}

#[test]
fn an_aborted_tasks_captures_are_dropped_when_its_handle_resolves() {
    for backend in BACKENDS {
        watchdog("abort-drops-first", move || {
            captures_dropped_before_cancelled(backend)
        });
    }
}

#[test]
fn a_finished_tasks_captures_are_dropped_when_its_handle_resolves() {
    for backend in BACKENDS {
        watchdog("finish-drops-first", move || {
            captures_dropped_before_output(backend)
        });
    }
}
