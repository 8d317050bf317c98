//! `spawn_blocking` runs closures on the runtime's blocking pool and hands back their output
//! through an ordinary `JoinHandle`, on both backends: a result comes back, a panic is a
//! `JoinError` (and the pool carries on), many jobs at once all complete, dropping the handle
//! does not cancel the job, and closures that block do not starve file I/O.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ringaio::fs::File;
use ringaio::{spawn_blocking, Backend};
use ringaio_tests::{runtime, wait_until, watchdog, TempPath, BACKENDS};

/// A gate closures wait on until it opens.
#[derive(Clone, Default)]
struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    fn wait(&self) {
        let (open, cv) = &*self.0;
        let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self) {
        let (open, cv) = &*self.0;
        *open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
}

fn result_and_panic(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let caller = std::thread::current().id();
        let (value, thread) = spawn_blocking(move || (6 * 7, std::thread::current().id()))
            .await
            .expect("no panic");
        assert_eq!(value, 42);
        assert_ne!(thread, caller, "ran on a pool thread");

        let err = spawn_blocking(|| -> u32 { panic!("boom in a blocking job") })
            .await
            .expect_err("the panic is reported");
        assert!(err.is_panic(), "{err:?}");
        let payload = err.into_panic().expect("a payload");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"boom in a blocking job")
        );

        let after = spawn_blocking(|| "the pool survived").await;
        assert_eq!(after.expect("no panic"), "the pool survived");
    });
}

fn many_at_once(backend: Backend) {
    const JOBS: usize = 500;
    let rt = runtime(backend);
    rt.block_on(async {
        let handles: Vec<_> = (0..JOBS)
            .map(|i| {
                spawn_blocking(move || {
                    std::thread::sleep(Duration::from_millis(1));
                    i
                })
            })
            .collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no panic");
        }
        assert_eq!(sum, JOBS * (JOBS - 1) / 2);
        wait_until("every slot to be freed", || rt.stats().slots == 0).await;
    });
}

fn dropped_handle_still_runs(backend: Backend) {
    let rt = runtime(backend);
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    rt.block_on(async {
        drop(spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(20));
            r.fetch_add(1, Ordering::SeqCst);
        }));
        wait_until("the detached job to run", || {
            ran.load(Ordering::SeqCst) == 1
        })
        .await;
    });
}

fn blocked_jobs_do_not_starve_file_io(backend: Backend) {
    // More blocked closures than the pool has threads for file I/O (16 by default).
    const BLOCKED: usize = 40;
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "spawn-blocking");
    std::fs::write(tmp.path(), b"file I/O goes on").expect("std write");
    let gate = Gate::default();
    let started = Arc::new(AtomicUsize::new(0));
    rt.block_on(async {
        let handles: Vec<_> = (0..BLOCKED)
            .map(|_| {
                let (gate, started) = (gate.clone(), started.clone());
                spawn_blocking(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    gate.wait();
                })
            })
            .collect();
        wait_until("every closure to start", || {
            started.load(Ordering::SeqCst) == BLOCKED
        })
        .await;
        let file = File::open(tmp.path()).await.expect("open");
        let (res, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        assert_eq!(res.expect("read"), 16);
        assert_eq!(&buf[..], b"file I/O goes on");
        gate.open();
        for handle in handles {
            handle.await.expect("no panic");
        }
    });
}

#[test]
fn result_comes_back_and_panic_is_reported() {
    for backend in BACKENDS {
        watchdog(&format!("spawn-blocking-{backend:?}"), move || {
            result_and_panic(backend)
        });
    }
}

#[test]
fn many_concurrent_jobs_complete() {
    for backend in BACKENDS {
        watchdog(&format!("spawn-blocking-many-{backend:?}"), move || {
            many_at_once(backend)
        });
    }
}

#[test]
fn dropping_the_handle_does_not_cancel() {
    for backend in BACKENDS {
        watchdog(&format!("spawn-blocking-detached-{backend:?}"), move || {
            dropped_handle_still_runs(backend)
        });
    }
}

#[test]
fn blocked_jobs_leave_file_io_alone() {
    for backend in BACKENDS {
        watchdog(&format!("spawn-blocking-file-io-{backend:?}"), move || {
            blocked_jobs_do_not_starve_file_io(backend)
        });
    }
}
