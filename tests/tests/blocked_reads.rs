//! Requests that may never complete (reads of an empty pipe) must not stop everything else:
//! with more of them pending than the ring admits at once (uring) or than the pool has
//! threads (fallback), a timeout must still fire and a regular file must still be readable.

use std::rc::Rc;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::{pipe, watchdog, yield_now, TempPath};

/// Pending pipe reads: several times the room of the small ring and pool below.
const BLOCKED: usize = 32;

/// A runtime with a small SQ (8 entries; the CQ stays at its 4096-entry minimum, so blocked
/// reads do not fill the in-flight budget) and a small pool (2 threads: blocked reads wait on
/// the poller, not on workers).
fn small_runtime(backend: Backend) -> Runtime {
    Runtime::builder()
        .backend(backend)
        .entries(8)
        .pool_threads(2)
        .build()
        .expect("runtime")
}

/// Starts `BLOCKED` reads of an empty pipe in spawned tasks; returns the write end, which
/// must stay open (a closed write end would end the reads with EOF).
fn block_reads(rt: &Runtime) -> std::fs::File {
    let (rd, wr) = pipe().expect("pipe");
    let file = Rc::new(File::from_std(rd));
    for _ in 0..BLOCKED {
        let file = file.clone();
        rt.spawn(async move {
            let _ = file.read_at(Vec::with_capacity(16), 0).await;
        });
    }
    rt.block_on(async {
        // Yields, not sleeps: a sleep is itself a request.
        for _ in 0..BLOCKED {
            yield_now().await;
        }
    });
    wr
}

fn timeout_fires(backend: Backend) {
    let rt = small_runtime(backend);
    if rt.backend() != backend {
        ringaio_tests::say!("skipped: io_uring unavailable: {:?}", rt.fallback_reason());
        return;
    }
    let _wr = block_reads(&rt);
    rt.block_on(async {
        let never = futures::future::pending::<()>();
        let out = ringaio::time::timeout(Duration::from_millis(20), never).await;
        assert!(out.is_err(), "the timeout fired");
    });
}

fn file_read_completes(backend: Backend) {
    let rt = small_runtime(backend);
    if rt.backend() != backend {
        ringaio_tests::say!("skipped: io_uring unavailable: {:?}", rt.fallback_reason());
        return;
    }
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "blocked-reads");
    std::fs::write(tmp.path(), b"regular file").expect("std write");
    let file = rt.block_on(File::open(tmp.path())).expect("open");
    let _wr = block_reads(&rt);
    rt.block_on(async {
        let (res, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        assert_eq!(res.expect("read"), 12);
        assert_eq!(&buf[..], b"regular file");
    });
}

#[test]
fn uring_timeout_fires_with_the_ring_full_of_blocked_reads() {
    watchdog("uring-timeout-blocked", || timeout_fires(Backend::Uring));
}

#[test]
fn uring_file_read_completes_with_the_ring_full_of_blocked_reads() {
    watchdog("uring-read-blocked", || file_read_completes(Backend::Uring));
}

#[test]
fn fallback_timeout_fires_with_every_pool_thread_blocked() {
    watchdog("fallback-timeout-blocked", || {
        timeout_fires(Backend::Fallback)
    });
}

#[test]
fn fallback_file_read_completes_with_every_pool_thread_blocked() {
    watchdog("fallback-read-blocked", || {
        file_read_completes(Backend::Fallback)
    });
}
