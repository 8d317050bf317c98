//! A runtime whose ring has a kernel SQ-polling thread (`IORING_SETUP_SQPOLL`) does the same
//! I/O with the same results, including after the poller has gone idle and must be woken.

use std::time::Duration;

use ringaio::{Backend, Runtime};

#[test]
fn sqpoll_runtime_reads_and_writes() {
    let rt = Runtime::builder()
        .backend(Backend::Uring)
        .sqpoll(Duration::from_millis(2))
        .build()
        .expect("runtime");
    if rt.backend() != Backend::Uring {
        let reason = rt.fallback_reason().unwrap_or("unknown");
        ringaio_tests::say!("skipped: no io_uring here: {reason}");
        return;
    }
    let path = std::env::temp_dir().join(format!("ringaio-sqpoll-{}", std::process::id()));
    rt.block_on(async {
        let file = ringaio_tests::create_rw(&path).await.expect("open");
        for round in 0..3u8 {
            let data = vec![round; 64 * 1024];
            let (res, _) = file.write_all_at(data.clone(), 0).await;
            res.expect("write");
            let (res, back) = file.read_exact_at(vec![0u8; data.len()], 0).await;
            res.expect("read");
            assert_eq!(back, data);
            // Let the SQ poller go idle, so the next submission must wake it.
            ringaio::time::sleep(Duration::from_millis(20))
                .await
                .expect("sleep");
        }
    });
    std::fs::remove_file(&path).expect("cleanup");
}
