//! Registered buffers: `FixedBufPool`, `read_fixed_at` / `write_fixed_at` on both backends.

use ringaio::buf::FixedBufPool;
use ringaio::fs::File;
use ringaio::{Backend, Runtime};

fn round_trip(backend: Backend) {
    let rt = Runtime::builder()
        .backend(backend)
        .build()
        .expect("runtime");
    let path =
        std::env::temp_dir().join(format!("ringaio-fixed-{backend:?}-{}", std::process::id()));
    rt.block_on(async {
        let pool = FixedBufPool::new(4, 8192).expect("pool");
        assert_eq!(pool.buffer_size(), 8192);
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .expect("open");
        let data: Vec<u8> = (0..8192u32).map(|i| (i % 253) as u8).collect();
        let mut buf = pool.try_get().expect("a free buffer");
        buf.fill_from(&data);
        let (res, buf) = file.write_fixed_at(buf, 4096).await;
        assert_eq!(res.expect("write_fixed_at"), 8192);
        drop(buf);
        let taken: Vec<_> = (0..4).map(|_| pool.try_get().expect("free")).collect();
        assert!(pool.try_get().is_none(), "all four are out");
        drop(taken);
        let buf = pool.try_get().expect("returned to the pool");
        let (res, buf) = file.read_fixed_at(buf, 4096).await;
        assert_eq!(res.expect("read_fixed_at"), 8192);
        assert_eq!(&buf[..], &data[..]);
        let (res, buf) = file.read_fixed_at(buf, 4096 + 8192).await;
        assert_eq!(res.expect("read at EOF"), 0);
        drop(buf);
        if backend == Backend::Uring {
            let err = FixedBufPool::new(1, 4096).expect_err("one table per ring");
            assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
        }
    });
    assert_eq!(std::fs::read(&path).expect("std read")[4096..].len(), 8192);
    std::fs::remove_file(&path).expect("cleanup");
}

#[test]
fn uring_round_trip() {
    round_trip(Backend::Uring);
}

#[test]
fn fallback_round_trip() {
    round_trip(Backend::Fallback);
}

#[test]
fn bad_pool_sizes_are_errors() {
    let rt = Runtime::new().expect("runtime");
    rt.block_on(async {
        for (count, size) in [(0u16, 4096usize), (1, 0), (u16::MAX, 4096), (2, usize::MAX)] {
            let err = FixedBufPool::new(count, size).expect_err("refused");
            assert_eq!(
                err.kind(),
                std::io::ErrorKind::InvalidInput,
                "{count} x {size}"
            );
        }
    });
    assert!(FixedBufPool::new(1, 4096).is_err(), "no runtime here");
}
