//! Registration pays for itself (issue 16): a file opened, read and closed takes no slot in
//! the ring's registered-file table (before, every open registered and every close
//! unregistered: two `io_uring_register` calls per file); a file used for many requests
//! takes one at its 64th, and gives it back at close. Counted through
//! `Stats::file_slots_free`, on both backends (the fallback has no table).

use ringaio::fs::File;
use ringaio_tests::{runtime, TempPath, BACKENDS};

#[test]
fn short_lived_files_take_no_slot_and_busy_ones_do() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "register-often");
        std::fs::write(tmp.path(), vec![3u8; 4096]).unwrap();
        let free = rt.stats().file_slots_free;
        rt.block_on(async {
            for _ in 0..200 {
                let file = File::open(tmp.path()).await.unwrap();
                let (n, _) = file.read_at(Vec::with_capacity(4096), 0).await;
                assert_eq!(n.unwrap(), 4096);
                assert_eq!(rt.stats().file_slots_free, free, "{backend:?}: registered");
                file.close().await.unwrap();
            }
            let busy = File::open(tmp.path()).await.unwrap();
            for i in 0..100 {
                let (n, buf) = busy.read_at(Vec::with_capacity(16), i).await;
                assert_eq!(n.unwrap(), 16);
                assert_eq!(buf, [3u8; 16]);
            }
            let expected = if free > 0 { free - 1 } else { 0 };
            assert_eq!(
                rt.stats().file_slots_free,
                expected,
                "{backend:?}: not registered"
            );
            busy.close().await.unwrap();
            assert_eq!(
                rt.stats().file_slots_free,
                free,
                "{backend:?}: slot kept after close"
            );
        });
    }
}
