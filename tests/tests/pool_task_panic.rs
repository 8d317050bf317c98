//! A task that panics on one pool thread reports the panic in its handle; the thread, and
//! every other task on it and on the other threads, runs on, and shutdown is clean.

use ringaio::Backend;
use ringaio_tests::{pool, watchdog, BACKENDS};

fn panic_stays_in_its_handle(backend: Backend) {
    let pool = pool(backend, 2);
    // Panics in the future, after doing I/O, and in the closure that builds it.
    let in_future = pool.spawn_on(0, || async {
        ringaio::nop().await.expect("nop");
        panic!("task on thread 0");
    });
    let in_closure = pool.spawn_on(0, || -> std::future::Ready<()> { panic!("closure") });
    let err = futures::executor::block_on(in_future).expect_err("panicked");
    assert!(err.is_panic());
    assert_eq!(err.to_string(), "task panicked: task on thread 0");
    let err = futures::executor::block_on(in_closure).expect_err("panicked");
    assert!(err.is_panic(), "{err:?}");
    // Both threads still run tasks, the panicking one included.
    for _ in 0..10 {
        for i in 0..2 {
            let out = futures::executor::block_on(pool.spawn_on(i, move || async move {
                ringaio::nop().await.expect("nop");
                i
            }));
            assert_eq!(out.expect("task after the panic"), i);
        }
    }
    pool.shutdown()
        .expect("a task's panic does not kill its thread");
}

#[test]
fn a_panicking_task_does_not_take_the_pool_down() {
    for backend in BACKENDS {
        watchdog("pool-task-panic", move || {
            panic_stays_in_its_handle(backend)
        });
    }
}
