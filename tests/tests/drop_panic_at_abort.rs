//! A panic in a task's `Drop` while the runtime drops the task (abort, shutdown) stays inside
//! the runtime, as a panic in a poll does: `block_on` and `Runtime::drop` return normally and
//! the task's handle reports the panic. It used to escape `block_on`, or `Runtime::drop`
//! (and with two such tasks, abort the process: a panic while unwinding).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use ringaio::{Backend, JoinError};
use ringaio_tests::{runtime, watchdog, yield_now, BACKENDS};

/// Panics when dropped.
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{}", self.0);
    }
}

/// A task holding a `PanicOnDrop` across a long sleep.
async fn holds_bomb(message: &'static str) {
    let _bomb = PanicOnDrop(message);
    let _ = ringaio::time::sleep(Duration::from_secs(60)).await;
}

fn panic_text(err: JoinError) -> String {
    let payload = err.into_panic().expect("a panic");
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default()
}

fn panic_in_drop_at_abort(backend: Backend) {
    let rt = runtime(backend);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async {
            let handle = ringaio::spawn(holds_bomb("drop at abort"));
            yield_now().await;
            handle.abort();
            handle.await
        })
    }));
    let out = caught.expect("the panic in Drop stays inside the runtime");
    let err = out.expect_err("aborted");
    assert!(err.is_panic(), "{err:?}");
    assert_eq!(panic_text(err), "drop at abort");
    assert_eq!(rt.block_on(async { 5 }), 5, "the runtime is still usable");
}

fn panics_in_drop_at_shutdown(backend: Backend) {
    let rt = runtime(backend);
    let (a, b) = rt.block_on(async {
        let a = ringaio::spawn(holds_bomb("drop at shutdown (a)"));
        let b = ringaio::spawn(holds_bomb("drop at shutdown (b)"));
        yield_now().await;
        (a, b)
    });
    let caught = catch_unwind(AssertUnwindSafe(move || drop(rt)));
    assert!(caught.is_ok(), "a panic in Drop escaped Runtime::drop");
    for (handle, message) in [(a, "drop at shutdown (a)"), (b, "drop at shutdown (b)")] {
        let err = futures::executor::block_on(handle).expect_err("dropped with the runtime");
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(panic_text(err), message);
    }
}

#[test]
fn a_panic_in_drop_at_abort_stays_in_the_runtime() {
    for backend in BACKENDS {
        watchdog("drop-panic-abort", move || panic_in_drop_at_abort(backend));
    }
}

#[test]
fn panics_in_drop_at_shutdown_stay_in_the_runtime() {
    for backend in BACKENDS {
        watchdog("drop-panic-shutdown", move || {
            panics_in_drop_at_shutdown(backend)
        });
    }
}
