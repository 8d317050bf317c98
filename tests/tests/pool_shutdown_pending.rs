//! Shutting a pool down with tasks pending on every thread (waiting on a channel that never
//! fires, and on a read from a pipe that never gets data) returns, drops every task and
//! what it holds, and resolves their handles `Cancelled`; spawns afterwards resolve
//! `Cancelled` too.

use std::sync::Arc;

use ringaio::fs::File;
use ringaio::{Backend, Handle};
use ringaio_tests::{pipe, pool, watchdog, BACKENDS};

const THREADS: usize = 2;
const TASKS_PER_THREAD: usize = 100;

fn shutdown_with_pending(backend: Backend) {
    let pool = pool(backend, THREADS);
    let alive = Arc::new(());
    let (mut writers, mut handles) = (Vec::new(), Vec::new());
    for i in 0..THREADS {
        for n in 0..TASKS_PER_THREAD {
            let held = alive.clone();
            if n % 10 == 0 {
                // A read that never completes: its request is in the ring (or the blocking
                // pool) at shutdown.
                let (reader, writer) = pipe().expect("pipe");
                writers.push(writer);
                handles.push(pool.spawn_on(i, move || async move {
                    let file = File::from_std(reader);
                    let (res, _buf) = file.read_at(Vec::with_capacity(16), 0).await;
                    drop(held);
                    res.map(drop).expect("no data ever comes");
                }));
            } else {
                let (tx, rx) = futures::channel::oneshot::channel::<()>();
                // The sender is kept by the task itself: the channel never fires.
                handles.push(pool.spawn_on(i, move || async move {
                    let _tx = tx;
                    let _ = rx.await;
                    drop(held);
                    unreachable!("never woken");
                }));
            }
        }
    }
    // Every task has started (its closure ran, its future is pending) before the shutdown.
    let handles_to_check: Vec<Handle> = (0..THREADS)
        .map(|i| pool.handle(i).expect("thread").clone())
        .collect();
    for handle in &handles_to_check {
        futures::executor::block_on(handle.spawn(|| async {})).expect("barrier task");
    }
    assert_eq!(Arc::strong_count(&alive), 1 + THREADS * TASKS_PER_THREAD);
    pool.shutdown().expect("clean shutdown");
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "every task's future was dropped"
    );
    for handle in handles {
        let err = futures::executor::block_on(handle).expect_err("dropped at shutdown");
        assert!(err.is_cancelled(), "{err:?}");
    }
    for handle in handles_to_check {
        let late = futures::executor::block_on(handle.spawn(|| async { 1 }));
        assert!(late.expect_err("runtime gone").is_cancelled());
    }
    drop(writers);
}

#[test]
fn shutdown_with_tasks_pending_on_every_thread_drops_them() {
    for backend in BACKENDS {
        watchdog("pool-shutdown-pending", move || {
            shutdown_with_pending(backend)
        });
    }
}

#[test]
fn dropping_the_pool_shuts_it_down() {
    watchdog("pool-drop", || {
        let alive = Arc::new(());
        let pool = pool(Backend::Uring, THREADS);
        for i in 0..THREADS {
            let held = alive.clone();
            drop(pool.spawn_on(i, move || async move {
                let _held = held;
                std::future::pending::<()>().await;
            }));
        }
        drop(pool);
        // Joined in drop: whatever the tasks held is gone by now.
        assert_eq!(Arc::strong_count(&alive), 1, "a task outlived its pool");
    });
}
