//! Issue 18: `fs::read`, `fs::write` and `fs::copy` move whole files, empty and larger than
//! one read, on both backends.

use std::io::ErrorKind;

use ringaio::fs;
use ringaio::Backend;
use ringaio_tests::{runtime, Rng, TempPath, BACKENDS};

fn whole_files(backend: Backend) {
    let rt = runtime(backend);
    let a = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "whole-a");
    let b = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "whole-b");
    let mut data = vec![0u8; 300_000];
    Rng::new(18).fill(&mut data);
    rt.block_on(async {
        fs::write(a.path(), &data).await.expect("write");
        assert_eq!(fs::read(a.path()).await.expect("read"), data);
        assert_eq!(
            fs::copy(a.path(), b.path()).await.expect("copy"),
            data.len() as u64
        );
        assert_eq!(std::fs::read(b.path()).expect("std read"), data);
        // Overwriting truncates; an empty file reads as empty.
        fs::write(a.path(), b"").await.expect("write empty");
        assert!(fs::read(a.path()).await.expect("read empty").is_empty());
        let e = fs::read(a.path().with_extension("missing"))
            .await
            .expect_err("read a missing file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = fs::copy(a.path().with_extension("missing"), b.path())
            .await
            .expect_err("copy a missing file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    });
}

#[test]
fn read_write_and_copy_whole_files() {
    for backend in BACKENDS {
        whole_files(backend);
    }
}
