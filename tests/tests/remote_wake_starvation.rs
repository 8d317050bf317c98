//! A task woken from another thread runs even while other tasks keep the local run queue
//! busy. The executor used to read its cross-thread wake queue only when the local queue was
//! empty, so two tasks yielding in a loop kept a remotely woken task from ever running.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, yield_now, BACKENDS, WAIT_ROUNDS};

fn remote_wake_among_yielders(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let stop = Rc::new(Cell::new(false));
        let yielders: Vec<_> = (0..2)
            .map(|_| {
                let stop = stop.clone();
                ringaio::spawn(async move {
                    while !stop.get() {
                        yield_now().await;
                    }
                })
            })
            .collect();
        // A task that waits for a flag set, and a wake sent, by a std thread: the wake can
        // only come through the cross-thread queue.
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let go = Arc::new(AtomicBool::new(false));
        let remote = {
            let (slot, go, stop) = (slot.clone(), go.clone(), stop.clone());
            ringaio::spawn(async move {
                std::future::poll_fn(|cx| {
                    if go.load(Ordering::SeqCst) {
                        return Poll::Ready(());
                    }
                    *slot.lock().expect("slot") = Some(cx.waker().clone());
                    Poll::Pending
                })
                .await;
                stop.set(true);
            })
        };
        let waker_thread = std::thread::spawn(move || {
            for _ in 0..WAIT_ROUNDS {
                if let Some(waker) = slot.lock().expect("slot").take() {
                    go.store(true, Ordering::SeqCst);
                    waker.wake();
                    return true;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            false
        });
        remote.await.expect("the remotely woken task ran");
        for y in yielders {
            y.await.expect("yielder");
        }
        assert!(
            waker_thread.join().expect("waker thread"),
            "the remote task registered its waker"
        );
    });
}

#[test]
fn a_remote_wake_is_not_starved_by_busy_local_tasks() {
    for backend in BACKENDS {
        watchdog("remote-wake-starvation", move || {
            remote_wake_among_yielders(backend)
        });
    }
}
