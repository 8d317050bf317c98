//! Per-operation fallback: an opcode treated as unsupported runs on the blocking pool,
//! completes through the same slots, and the task cannot tell but for a counter.

use std::time::Duration;

use ringaio::fs::File;
use ringaio::{Backend, Opcode, Runtime};

#[test]
fn forbidden_opcodes_run_on_the_pool_with_the_same_results() {
    let rt = Runtime::builder()
        .backend(Backend::Uring)
        .forbid_opcode(Opcode::Pread)
        .forbid_opcode(Opcode::Fsync)
        .forbid_opcode(Opcode::Timeout)
        .build()
        .expect("runtime");
    if rt.backend() != Backend::Uring {
        ringaio_tests::say!("skipped: io_uring unavailable: {:?}", rt.fallback_reason());
        return;
    }
    let path = std::env::temp_dir().join(format!("ringaio-per-op-{}", std::process::id()));
    let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7) as u8).collect();
    let before = rt.stats();
    rt.block_on(async {
        let file = File::create(&path).await.expect("create");
        let (res, _) = file.write_all_at(data.clone(), 0).await;
        res.expect("write on the ring");
        file.sync_all().await.expect("fsync on the pool");
        drop(file);
        let file = File::open(&path).await.expect("open");
        let (res, back) = file.read_exact_at(vec![0u8; data.len()], 0).await;
        res.expect("read on the pool");
        assert_eq!(back, data);
        let (res, buf) = file
            .read_at(Vec::with_capacity(16), data.len() as u64)
            .await;
        assert_eq!(res.expect("read at EOF"), 0);
        assert!(buf.is_empty());
        ringaio::time::sleep(Duration::from_millis(2))
            .await
            .expect("timer on the user-space timer list");
    });
    let after = rt.stats();
    assert!(
        after.via_pool >= before.via_pool + 2,
        "{before:?} -> {after:?}"
    );
    assert!(
        after.via_ring > before.via_ring,
        "opens and writes stayed on the ring"
    );
    assert_eq!(after.slots, 0);
    std::fs::remove_file(&path).expect("cleanup");
}
