//! 10,000 reads in flight at once in one runtime: far more than the ring's CQ room, so most
//! wait in the reactor's queue. Every task reads its own 4 KiB block of a 40 MiB file and
//! every block's bytes are checked.

use std::rc::Rc;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath};

const TASKS: usize = 10_000;
const BLOCK: usize = 4096;

/// Byte `j` of block `i`: the block number in the first 8 bytes, then a pattern that differs
/// between neighbouring blocks and within a block.
fn byte(i: usize, j: usize) -> u8 {
    if j < 8 {
        (i as u64).to_le_bytes()[j]
    } else {
        (i.wrapping_mul(131) ^ j.wrapping_mul(7) ^ (j >> 8)) as u8
    }
}

fn block(i: usize) -> Vec<u8> {
    (0..BLOCK).map(|j| byte(i, j)).collect()
}

fn concurrent_reads(backend: Backend) {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "concurrent-reads");
    let contents: Vec<u8> = (0..TASKS).flat_map(block).collect();
    std::fs::write(tmp.path(), &contents).expect("write the file with std");
    drop(contents);

    let rt = runtime(backend);
    rt.block_on(async {
        let file = Rc::new(File::open(tmp.path()).await.expect("open"));
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let file = file.clone();
                ringaio::spawn(async move {
                    let pos = (i * BLOCK) as u64;
                    let (res, buf) = file.read_exact_at(vec![0u8; BLOCK], pos).await;
                    res.map(|()| buf)
                })
            })
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            let buf = handle
                .await
                .unwrap_or_else(|e| panic!("task {i}: {e}"))
                .unwrap_or_else(|e| panic!("block {i}: {e}"));
            assert!(buf == block(i), "block {i} has the wrong bytes");
        }
    });
    let stats = rt.stats();
    assert_eq!(stats.slots, 0, "every slot freed: {stats:?}");
    assert_eq!(stats.queued, 0, "nothing left queued: {stats:?}");
}

#[test]
fn uring_ten_thousand_concurrent_reads() {
    concurrent_reads(Backend::Uring);
}

#[test]
fn fallback_ten_thousand_concurrent_reads() {
    concurrent_reads(Backend::Fallback);
}
