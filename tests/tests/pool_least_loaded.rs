//! `SpawnPolicy::LeastLoaded`: with thread 0 holding long-lived tasks, `Pool::spawn` sends
//! new ones to thread 1 until it holds as many; round robin alternates regardless; the
//! counts (`Handle::tasks`) come back to 0 once the tasks end. Both backends.

use std::sync::Arc;

use futures::channel::oneshot;
use futures::future::Shared;
use futures::FutureExt;
use ringaio::{Backend, Pool, Runtime, SpawnPolicy};
use ringaio_tests::{runtime, wait_until, BACKENDS};

const HELD: usize = 10;

fn pool(backend: Backend, policy: SpawnPolicy) -> Pool {
    let mut rt = Runtime::builder();
    rt.backend(backend);
    Pool::builder()
        .threads(2)
        .spawn_policy(policy)
        .runtime(rt)
        .build()
        .expect("pool")
}

/// Spawns `HELD` tasks on thread 0, then `HELD` with `Pool::spawn`, all waiting for `gate`;
/// the thread each of the latter ran on.
fn spread(backend: Backend, policy: SpawnPolicy) -> Vec<String> {
    let pool = Arc::new(pool(backend, policy));
    let (open, gate) = oneshot::channel::<()>();
    let gate: Shared<oneshot::Receiver<()>> = gate.shared();
    let mut held = Vec::new();
    for _ in 0..HELD {
        let gate = gate.clone();
        held.push(pool.spawn_on(0, move || async move {
            let _ = gate.await;
        }));
    }
    let spawned: Vec<_> = (0..HELD)
        .map(|_| {
            let gate = gate.clone();
            pool.spawn(move || async move {
                let name = std::thread::current().name().unwrap_or("?").to_owned();
                let _ = gate.await;
                name
            })
        })
        .collect();
    open.send(()).expect("gate");
    let names = spawned
        .into_iter()
        .map(|t| futures::executor::block_on(t).expect("task"))
        .collect();
    for t in held {
        futures::executor::block_on(t).expect("task");
    }
    // Every task has ended: the counts come back to 0 (once each thread has vacated them).
    let rt = runtime(Backend::Fallback);
    rt.block_on(wait_until("task counts back to 0", || {
        (0..2).all(|i| pool.handle(i).expect("thread").tasks() == 0)
    }));
    names
}

#[test]
fn least_loaded_fills_the_idle_thread() {
    for backend in BACKENDS {
        let names = spread(backend, SpawnPolicy::LeastLoaded);
        assert!(
            names.iter().all(|n| n == "ringaio-rt-1"),
            "{backend:?}: {names:?}"
        );
    }
}

#[test]
fn round_robin_alternates() {
    for backend in BACKENDS {
        let names = spread(backend, SpawnPolicy::RoundRobin);
        let on_1 = names.iter().filter(|n| *n == "ringaio-rt-1").count();
        assert_eq!(on_1, HELD / 2, "{backend:?}: {names:?}");
    }
}
