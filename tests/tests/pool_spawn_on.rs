//! `Pool::spawn_on(i, ..)` runs the future on thread `i`, and round-robin `spawn` reaches
//! every thread; pinned or not, the tasks do I/O on their thread's ring.

use std::collections::HashSet;
use std::rc::Rc;
use std::thread;

use ringaio::{Backend, Pool};
use ringaio_tests::{pool, watchdog, BACKENDS};

const THREADS: usize = 3;

fn assert_send_sync<T: Send + Sync>() {}

fn spawn_on_runs_there(backend: Backend) {
    assert_send_sync::<Pool>();
    let pool = pool(backend, THREADS);
    assert_eq!(pool.threads(), THREADS);
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            pool.spawn_on(i, move || {
                // Built on the target thread: a `!Send` future is fine.
                let here = Rc::new(thread::current());
                async move {
                    ringaio::nop().await.expect("nop on this thread's runtime");
                    (i, here.id(), here.name().map(String::from))
                }
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for handle in handles {
        let (i, id, name) = futures::executor::block_on(handle).expect("task");
        assert_eq!(name.as_deref(), Some(format!("ringaio-rt-{i}").as_str()));
        assert_ne!(id, thread::current().id());
        ids.insert(id);
    }
    assert_eq!(ids.len(), THREADS, "one thread per runtime");
    // Round robin: 2 * THREADS spawns reach every thread.
    let names: HashSet<_> = (0..2 * THREADS)
        .map(|_| pool.spawn(|| async { thread::current().id() }))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| futures::executor::block_on(h).expect("task"))
        .collect();
    assert_eq!(names, ids);
    pool.shutdown().expect("clean shutdown");
}

#[test]
fn spawn_on_each_thread_runs_there() {
    for backend in BACKENDS {
        watchdog("pool-spawn-on", move || spawn_on_runs_there(backend));
    }
}

#[test]
fn pinned_pool_runs_tasks() {
    // Pinning may be refused (a cgroup's cpuset): that is a warning, and the pool still runs.
    watchdog("pool-pinned", || {
        let pool = Pool::builder()
            .threads(2)
            .pin_cores(true)
            .build()
            .expect("pool");
        for i in 0..2 {
            let out = futures::executor::block_on(pool.spawn_on(i, || async { 7 }));
            assert_eq!(out.expect("task"), 7);
        }
        pool.shutdown().expect("clean shutdown");
    });
}

#[test]
fn zero_threads_is_an_error() {
    let err = Pool::builder().threads(0).build().expect_err("0 threads");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
