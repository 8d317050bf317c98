//! 100,000 spawns from 4 threads onto a 2-thread pool, each task also woken from its
//! spawning thread: none is lost (every one completes, counted), on both backends.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use ringaio::Backend;
use ringaio_tests::{pool, watchdog, BACKENDS};

const SPAWNERS: usize = 4;
const PER_SPAWNER: usize = 25_000;

fn storm(backend: Backend) {
    let pool = Arc::new(pool(backend, 2));
    let done = Arc::new(AtomicUsize::new(0));
    let spawners: Vec<_> = (0..SPAWNERS)
        .map(|s| {
            let (pool, done) = (pool.clone(), done.clone());
            thread::spawn(move || {
                let mut handles = Vec::with_capacity(PER_SPAWNER);
                let mut wakes = Vec::with_capacity(PER_SPAWNER);
                for n in 0..PER_SPAWNER {
                    // Each task waits for a message sent from this (another) thread: a
                    // cross-thread wake, racing with the task's start.
                    let (tx, rx) = futures::channel::oneshot::channel::<usize>();
                    let done = done.clone();
                    let handle = if n % 2 == 0 {
                        pool.spawn(move || async move {
                            let v = rx.await.expect("sender kept");
                            done.fetch_add(1, Ordering::SeqCst);
                            v
                        })
                    } else {
                        pool.spawn_on(s % 2, move || async move {
                            let v = rx.await.expect("sender kept");
                            done.fetch_add(1, Ordering::SeqCst);
                            v
                        })
                    };
                    handles.push(handle);
                    wakes.push(tx);
                }
                for (n, tx) in wakes.into_iter().enumerate() {
                    tx.send(n).expect("task alive");
                }
                let mut sum = 0;
                for handle in handles {
                    sum += futures::executor::block_on(handle).expect("task");
                }
                sum
            })
        })
        .collect();
    let expected: usize = (0..PER_SPAWNER).sum();
    for spawner in spawners {
        assert_eq!(spawner.join().expect("spawner"), expected);
    }
    assert_eq!(done.load(Ordering::SeqCst), SPAWNERS * PER_SPAWNER);
    match Arc::try_unwrap(pool) {
        Ok(pool) => pool.shutdown().expect("clean shutdown"),
        Err(_) => panic!("pool still shared"),
    }
}

#[test]
fn spawn_and_wake_storm_loses_none() {
    for backend in BACKENDS {
        watchdog("pool-spawn-storm", move || storm(backend));
    }
}
