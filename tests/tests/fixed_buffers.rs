//! Registered buffers: `FixedBufPool`, `read_fixed_at` / `write_fixed_at` on both backends.

use ringaio::buf::FixedBufPool;
use ringaio::{Backend, Runtime};
use ringaio_tests::TempPath;

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
        let file = ringaio_tests::create_rw(&path).await.expect("open");
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
        // A second pool shares the ring's table of slots (kernels with sparse tables, 5.19+).
        if rt.stats().buffer_slots > 0 {
            let second = FixedBufPool::new(2, 4096).expect("second pool");
            let mut buf = second.try_get().expect("free");
            buf.fill_from(&data[..4096]);
            let (res, buf) = file.write_fixed_at(buf, 4096).await;
            assert_eq!(res.expect("write from the second pool"), 4096);
            drop(buf);
        } else if backend == Backend::Uring {
            ringaio_tests::say!("skipped the second pool: no registered-buffer slot table here");
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

/// With the ring's table of slots turned off, a pool registers the whole table: one per ring.
#[test]
fn without_a_slot_table_one_pool_per_ring() {
    let rt = Runtime::builder()
        .fixed_buffers(0)
        .build()
        .expect("runtime");
    if rt.backend() != Backend::Uring {
        ringaio_tests::say!("skipped: no io_uring here");
        return;
    }
    rt.block_on(async {
        let pool = FixedBufPool::new(2, 4096).expect("pool");
        let err = FixedBufPool::new(1, 4096).expect_err("one table per ring");
        assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{err}");
        drop(pool);
    });
}

/// More buffers than free slots: a clear error naming the setting.
#[test]
fn a_pool_larger_than_the_free_slots_is_refused() {
    let Some(rt) = ringaio_tests::slot_table_runtime(Runtime::builder().fixed_buffers(4)) else {
        return;
    };
    rt.block_on(async {
        let err = FixedBufPool::new(5, 4096).expect_err("too many");
        assert!(err.to_string().contains("fixed_buffers"), "{err}");
        assert_eq!(rt.stats().buffer_slots_free, 4, "nothing kept on failure");
        let pool = FixedBufPool::new(4, 4096).expect("fits");
        assert_eq!(rt.stats().buffer_slots_free, 0);
        drop(pool);
    });
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

/// A pool made on one runtime and used on another does plain reads and writes there (its
/// indexes name the first ring's table), with the right bytes.
#[test]
fn a_pool_used_on_another_runtime_does_plain_io() {
    let first = Runtime::new().expect("first runtime");
    let second = Runtime::new().expect("second runtime");
    if first.backend() != Backend::Uring {
        ringaio_tests::say!("skipped: no io_uring here");
        return;
    }
    let pool = first.block_on(async { FixedBufPool::new(2, 4096).expect("pool") });
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "fixed-other");
    second.block_on(async {
        let file = ringaio_tests::create_rw(path.path()).await.expect("open");
        let mut buf = pool.try_get().expect("free");
        buf.fill_from(&[0x5c; 4096]);
        let (res, buf) = file.write_fixed_at(buf, 0).await;
        assert_eq!(res.expect("plain write from a foreign pool"), 4096);
        drop(buf);
        let buf = pool.try_get().expect("free");
        let (res, buf) = file.read_fixed_at(buf, 0).await;
        assert_eq!(res.expect("plain read into a foreign pool"), 4096);
        assert!(buf.iter().all(|&b| b == 0x5c));
    });
    drop(pool);
}

/// Slots a dropped pool gave back are free for the next pool at once, and the table size is
/// capped at the kernel's limit.
#[test]
fn slots_come_back_for_the_next_pool_and_the_table_is_capped() {
    let Some(rt) = ringaio_tests::slot_table_runtime(Runtime::builder().fixed_buffers(u16::MAX))
    else {
        return;
    };
    assert_eq!(
        rt.stats().buffer_slots,
        16384,
        "capped at IORING_MAX_REG_BUFFERS"
    );
    let small = Runtime::builder()
        .fixed_buffers(8)
        .build()
        .expect("runtime");
    small.block_on(async {
        let pool = FixedBufPool::new(8, 4096).expect("all eight slots");
        drop(pool);
        // Same tick: the slots were given back, not yet emptied by a wait.
        let again = FixedBufPool::new(8, 4096).expect("the same eight slots again");
        assert_eq!(small.stats().buffer_slots_free, 0);
        drop(again);
    });
}
