//! The fallback's blocking pool grows only when work waits: a strictly sequential workload
//! (one operation in flight at a time) needs one pool thread, however many operations run.
//!
//! Found by `no_alloc.rs`: the fallback sporadically allocated ~8 times in its measured
//! loop, each time from `thread::Builder::spawn` in `Pool::submit`.

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath};

/// Threads of this process named by the pool (`ringaio-blocking-N`, cut to 15 bytes).
fn pool_threads() -> usize {
    let tasks = std::fs::read_dir("/proc/self/task").expect("/proc/self/task");
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.starts_with("ringaio-blockin"))
        .count()
}

#[test]
fn sequential_fallback_operations_use_one_pool_thread() {
    let rt = runtime(Backend::Fallback);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "pool-threads");
    std::fs::write(tmp.path(), vec![1u8; 4096]).expect("std write");
    rt.block_on(async {
        let file = File::open(tmp.path()).await.expect("open");
        let mut buf = Vec::with_capacity(4096);
        for _ in 0..20_000 {
            let (res, b) = file.read_at(buf, 0).await;
            assert_eq!(res.expect("read"), 4096);
            buf = b;
        }
    });
    assert_eq!(
        pool_threads(),
        1,
        "one operation at a time needs one pool thread"
    );
}
