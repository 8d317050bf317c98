//! A runtime is dropped while another thread's runtime keeps waking its tasks (by ring
//! messages while it lives, then through its closed mailbox): the waking side carries on,
//! and once both are gone no io_uring fd is left open (the ring fd the senders held to
//! message the dropped runtime is closed after the last message in flight). One test in
//! this file: it counts the process's fds.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use ringaio::Backend;
use ringaio_tests::{runtime, say, watchdog};

const TASKS: usize = 256;
/// Wakes sent before the target is dropped, and after.
const BEFORE: usize = 100_000;
const AFTER: usize = 100_000;

/// io_uring instances among this process's open fds.
fn rings_open() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|l| l.to_string_lossy().contains("io_uring"))
        .count()
}

/// Returns `Pending` once, waking itself: lets the runtime submit and drain.
async fn yield_now() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await;
}

#[test]
fn target_dropped_mid_storm() {
    let before = rings_open();
    let sent = watchdog("target_dropped", || {
        let wakers = Arc::new(Mutex::new(Vec::<Waker>::new()));
        let woken = Arc::new(AtomicUsize::new(0));
        let dropped = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = futures::channel::oneshot::channel::<()>();
        let target = {
            let (wakers, woken, dropped) = (wakers.clone(), woken.clone(), dropped.clone());
            thread::spawn(move || {
                let rt = runtime(Backend::Uring);
                rt.block_on(async {
                    for _ in 0..TASKS {
                        let wakers = wakers.clone();
                        let woken = woken.clone();
                        drop(ringaio::spawn(poll_fn(move |cx| {
                            woken.fetch_add(1, Ordering::Relaxed);
                            wakers.lock().expect("lock").push(cx.waker().clone());
                            Poll::<()>::Pending
                        })));
                    }
                    // Parked (so wakes notify it by ring) until the storm is well under way.
                    let _ = stopped.await;
                });
                drop(rt);
                dropped.store(true, Ordering::SeqCst);
            })
        };
        let rt = runtime(Backend::Uring);
        rt.block_on(async {
            let mut n = 0;
            let mut stop = Some(stop);
            while n < BEFORE || !dropped.load(Ordering::SeqCst) {
                if n >= BEFORE / 2 {
                    // Mid-storm: the target drops its runtime while the wakes go on.
                    if let Some(stop) = stop.take() {
                        let _ = stop.send(());
                    }
                }
                let batch: Vec<Waker> = wakers.lock().expect("lock").drain(..).collect();
                for waker in &batch {
                    waker.wake_by_ref();
                    n += 1;
                }
                wakers.lock().expect("lock").extend(batch);
                yield_now().await;
            }
            // The target is gone: its wakers still work (and do nothing).
            let all: Vec<Waker> = wakers.lock().expect("lock").clone();
            for i in 0..AFTER {
                if let Some(waker) = all.get(i % all.len().max(1)) {
                    waker.wake_by_ref();
                }
                if i % 1000 == 0 {
                    yield_now().await;
                }
            }
        });
        target.join().expect("target thread");
        let sent = rt.stats().messages_sent;
        drop(rt);
        drop(wakers);
        sent
    });
    say!("messages sent by ring: {sent}");
    if sent == 0 {
        say!("skipped: MSG_RING checks: no message went by ring");
    }
    assert_eq!(
        rings_open(),
        before,
        "every ring fd closed, the senders' copies too"
    );
}
