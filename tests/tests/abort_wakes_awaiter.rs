//! `JoinHandle::abort` wakes whoever awaits the handle: the awaiter, parked on the handle,
//! sees `Cancelled` without anything else polling it (it used to wait forever: abort marked
//! the handle finished without waking its waiter).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, BACKENDS};

/// `block_on`'s future polls the handle of a task that never finishes (registering itself
/// as its waiter), aborts it, and returns `Pending` with nothing else to wake it.
fn abort_while_awaited(backend: Backend) {
    let rt = runtime(backend);
    let out = rt.block_on(async {
        let mut handle = ringaio::spawn(std::future::pending::<u32>());
        let mut aborted = false;
        std::future::poll_fn(|cx| {
            let polled = Pin::new(&mut handle).poll(cx);
            if polled.is_ready() {
                return polled;
            }
            if !aborted {
                aborted = true;
                handle.abort();
            }
            Poll::Pending
        })
        .await
    });
    let err = out.expect_err("the task was aborted");
    assert!(err.is_cancelled(), "{err:?}");
}

#[test]
fn abort_wakes_the_handles_awaiter() {
    for backend in BACKENDS {
        watchdog("abort-wakes-awaiter", move || abort_while_awaited(backend));
    }
}
