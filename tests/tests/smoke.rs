//! A first end-to-end pass over both backends: write, sync, read, spawn, sleep, timeout.

use std::time::Duration;

use ringaio::{Backend, Runtime};

fn run(backend: Backend) {
    let rt = Runtime::builder()
        .backend(backend)
        .build()
        .expect("runtime");
    let path = std::env::temp_dir().join(format!(
        "ringaio-smoke-{:?}-{}",
        backend,
        std::process::id()
    ));
    rt.block_on(async {
        let file = ringaio_tests::create_rw(&path).await.expect("open");
        let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let (res, _) = file.write_all_at(data.clone(), 0).await;
        res.expect("write");
        file.sync_all().await.expect("sync");
        let file = std::rc::Rc::new(file);
        let mut handles = Vec::new();
        for i in 0..100u64 {
            let file = file.clone();
            handles.push(ringaio::spawn(async move {
                let (res, buf) = file.read_exact_at(vec![0u8; 1000], i * 1000).await;
                res.expect("read");
                buf
            }));
        }
        for (i, h) in handles.into_iter().enumerate() {
            let buf = h.await.expect("join");
            assert_eq!(&buf[..], &data[i * 1000..(i + 1) * 1000]);
        }
        ringaio::time::sleep(Duration::from_millis(5))
            .await
            .expect("sleep");
        let slow = ringaio::time::sleep(Duration::from_secs(30));
        let r = ringaio::time::timeout(Duration::from_millis(10), slow).await;
        assert!(r.is_err());
        assert_eq!(file.metadata().await.expect("stat").len(), 100_000);
    });
    assert_eq!(rt.backend(), backend);
    std::fs::remove_file(&path).expect("cleanup");
}

#[test]
fn uring_backend() {
    run(Backend::Uring);
}

#[test]
fn fallback_backend() {
    run(Backend::Fallback);
}
