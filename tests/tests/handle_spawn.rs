//! `Handle::spawn` from other threads: the closure builds a `!Send` future on the runtime's
//! thread; aborts before the task starts, panics in the closure, and spawns after the
//! runtime is gone all resolve the handle (none panics the caller or hangs).

use std::rc::Rc;
use std::sync::Arc;
use std::thread;

use ringaio::{Backend, Handle, JoinHandle};
use ringaio_tests::{runtime, watchdog, BACKENDS};

fn assert_send_sync<T: Send + Sync + Clone>() {}

fn runs_on_the_runtime_thread(backend: Backend) {
    assert_send_sync::<Handle>();
    let rt = runtime(backend);
    let handle = rt.handle();
    let here = thread::current().id();
    let remote = thread::spawn(move || {
        let handle2 = handle.clone();
        // The closure is `Send`; the future it builds (holding an `Rc`) is not.
        let first = handle.spawn(move || {
            let local = Rc::new(thread::current().id());
            async move {
                // The runtime is current: spawning from here works, and so does a second
                // remote spawn through a handle from inside.
                let inner = ringaio::spawn(async { 1 });
                let via_current = Handle::current().spawn(|| async { 2 });
                let sum = inner.await.expect("inner") + via_current.await.expect("current");
                (*local, sum)
            }
        });
        let aborted: JoinHandle<()> = handle2.spawn(|| async { unreachable!("aborted") });
        aborted.abort();
        let panicked: JoinHandle<()> = handle2.spawn(|| {
            if true {
                panic!("in the closure");
            }
            async {}
        });
        (first, aborted, panicked)
    })
    .join()
    .expect("remote thread");
    let (first, aborted, panicked) = remote;
    rt.block_on(async move {
        let (id, sum) = first.await.expect("first");
        assert_eq!(id, here, "the future ran on the runtime's thread");
        assert_eq!(sum, 3);
        assert!(aborted.await.expect_err("aborted").is_cancelled());
        assert!(panicked.await.expect_err("panicked").is_panic());
    });
}

fn spawns_after_the_runtime_is_gone_are_cancelled(backend: Backend) {
    let rt = runtime(backend);
    let handle = rt.handle();
    let alive = Arc::new(());
    // Queued, never run: the runtime drops it and its handle reports `Cancelled`.
    let queued = {
        let alive = alive.clone();
        handle.spawn(move || async move { drop(alive) })
    };
    drop(rt);
    let late = {
        let alive = alive.clone();
        handle.spawn(move || async move { drop(alive) })
    };
    assert_eq!(Arc::strong_count(&alive), 1, "both closures were dropped");
    futures::executor::block_on(async {
        assert!(queued.await.expect_err("queued").is_cancelled());
        assert!(late.await.expect_err("late").is_cancelled());
    });
}

#[test]
fn handle_spawn_runs_on_the_runtime_thread() {
    for backend in BACKENDS {
        watchdog("handle-spawn", move || runs_on_the_runtime_thread(backend));
    }
}

#[test]
fn handle_spawn_after_the_runtime_is_gone_is_cancelled() {
    for backend in BACKENDS {
        watchdog("handle-spawn-gone", move || {
            spawns_after_the_runtime_is_gone_are_cancelled(backend)
        });
    }
}
