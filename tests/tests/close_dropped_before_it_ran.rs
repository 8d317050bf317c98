//! A `File::close` dropped before its close ran (queued behind a full ring, or cancelled on
//! the pool) leaked its fd: the close op had no owner for it once cancelled (issue 13, item
//! 7). The fd is closed whichever way the request ends; counted in /proc/self/fd.

use std::pin::pin;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{open_fds, pipe, runtime, TempPath};

#[test]
fn dropped_closes_leak_no_fd() {
    for backend in [Backend::Uring, Backend::Fallback] {
        let rt = runtime(backend);
        let dir = TempPath::new(std::env::temp_dir(), "close-drop");
        std::fs::create_dir_all(dir.path()).expect("dir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").expect("write");
        let before = open_fds();
        let (rd, wr) = pipe().expect("pipe");
        let rd = File::from_std(rd);
        let files: Vec<File> = (0..64)
            .map(|_| File::from_std(std::fs::File::open(&path).expect("open")))
            .collect();
        rt.block_on(async {
            // On io_uring, fill the in-flight budget with reads that never finish, so the
            // closes below wait in user space (the budget is about 2,000 requests).
            let mut reads = Vec::new();
            if rt.backend() == Backend::Uring {
                for _ in 0..2100 {
                    let mut read = Box::pin(rd.read_at(vec![0u8; 1], 0));
                    let _ = futures::poll!(read.as_mut());
                    reads.push(read);
                }
                assert!(rt.stats().queued > 0, "{:?}", rt.stats());
            }
            for file in files {
                let mut close = pin!(file.close());
                // Submitted (or queued), then dropped before it could run.
                let _ = futures::poll!(close.as_mut());
            }
            drop(reads);
            // Let every cancel and queued request come back.
            for _ in 0..2000 {
                if rt.stats().slots == 0 {
                    break;
                }
                ringaio::time::sleep(std::time::Duration::from_millis(5))
                    .await
                    .expect("sleep");
            }
            assert_eq!(rt.stats().slots, 0, "{:?}", rt.stats());
        });
        drop((rd, wr));
        assert_eq!(
            open_fds(),
            before,
            "{backend:?}: dropped closes leaked fds ({:?})",
            rt.stats()
        );
    }
}
