//! `fs::read` and `fs::write` (issue 16; `fs::write` a linked chain on a lent slot, `fs::read`
//! separate requests on a plain fd): every size reads back whole (around 32 KiB and far past
//! it), errors come from the right step, the lent slots always come back (also when the
//! future is dropped midway, on a FIFO with no writer), on both backends. A dropped chain's
//! slot comes back when its close, which nobody waits for, has completed: the tests wait.

use std::ffi::CString;
use std::future::Future;
use std::os::unix::ffi::OsStrExt;

use ringaio::fs;
use ringaio::Runtime;
use ringaio_tests::{runtime, wait_until, TempPath, BACKENDS};

/// Waits until `rt` has every file slot it had free before (`free`) back.
fn slots_come_back(rt: &Runtime, free: usize, what: &str) {
    rt.block_on(wait_until(what, || rt.stats().file_slots_free == free));
}

#[test]
fn every_size_reads_back_whole() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        for len in [
            0usize,
            1,
            100,
            32 * 1024 - 1,
            32 * 1024,
            32 * 1024 + 1,
            200_000,
        ] {
            let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "linked-read");
            let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let back = rt.block_on(async {
                fs::write(tmp.path(), &data).await.unwrap();
                fs::read(tmp.path()).await.unwrap()
            });
            assert_eq!(back.len(), len, "{backend:?}");
            assert!(back == data, "{backend:?} {len}");
            assert_eq!(std::fs::read(tmp.path()).unwrap(), data);
        }
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
    }
}

#[test]
fn errors_come_back_and_slots_too() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "linked-errors");
        std::fs::create_dir(dir.path()).unwrap();
        rt.block_on(async {
            let missing = dir.path().join("missing");
            let e = fs::read(&missing).await.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{backend:?}");
            let e = fs::read(dir.path()).await.unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EISDIR), "{backend:?}");
            let e = fs::write(dir.path(), b"x").await.unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EISDIR), "{backend:?}");
            let e = fs::write(missing.join("deeper"), b"x").await.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{backend:?}");
        });
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
        std::fs::remove_dir(dir.path()).unwrap();
    }
}

#[test]
fn chains_dropped_at_every_point_give_their_slots_back() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "linked-drop");
        std::fs::write(tmp.path(), vec![7u8; 100_000]).unwrap();
        rt.block_on(async {
            for polls in 0..6 {
                let mut read = Some(Box::pin(fs::read(tmp.path())));
                let mut write = Some(Box::pin(fs::write(tmp.path(), vec![7u8; 100_000])));
                for _ in 0..polls {
                    std::future::poll_fn(|cx| {
                        if read
                            .as_mut()
                            .is_some_and(|f| f.as_mut().poll(cx).is_ready())
                        {
                            read = None;
                        }
                        if write
                            .as_mut()
                            .is_some_and(|f| f.as_mut().poll(cx).is_ready())
                        {
                            write = None;
                        }
                        std::task::Poll::Ready(())
                    })
                    .await;
                    ringaio::nop().await.unwrap();
                }
                drop(read);
                drop(write);
            }
            // The dropped chains' closes give their slots back when they complete, which
            // under load (a 100 KB write on io-wq) may take a while: wait for them, with
            // a watchdog rather than a fixed number of round trips.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while rt.stats().file_slots_free != free && std::time::Instant::now() < deadline {
                ringaio::time::sleep(std::time::Duration::from_millis(1))
                    .await
                    .expect("sleep");
            }
            // A dropped write may have truncated the file: write it whole, read it back.
            fs::write(tmp.path(), vec![7u8; 100_000]).await.unwrap();
            let back = fs::read(tmp.path()).await.unwrap();
            assert!(
                back == vec![7u8; 100_000],
                "{backend:?}: read back {} bytes",
                back.len()
            );
        });
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
    }
}

#[test]
fn a_read_dropped_while_a_fifo_open_blocks_gives_its_slot_back() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "linked-fifo");
        std::fs::create_dir(dir.path()).unwrap();
        let fifo = dir.path().join("fifo");
        let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid C string path inside our own temp dir.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        rt.block_on(async {
            let mut read = Box::pin(fs::read(&fifo));
            let pending = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(read.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(pending, "no writer: the open blocks");
            drop(read);
        });
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
        drop(rt);
        std::fs::remove_file(&fifo).unwrap();
        std::fs::remove_dir(dir.path()).unwrap();
    }
}
