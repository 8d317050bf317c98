//! Issue 18: `fs::create_dir_all`, `fs::remove_dir_all`, `fs::canonicalize` and
//! `fs::set_permissions`.

use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;

use ringaio::fs;
use ringaio::Backend;
use ringaio_tests::{runtime, TempDir, BACKENDS};

fn trees(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "trees");
    let top = tmp.path().join("top");
    rt.block_on(async {
        fs::create_dir_all(top.join("x/y/z"))
            .await
            .expect("create_dir_all");
        fs::create_dir_all(top.join("x/y"))
            .await
            .expect("existing dirs are fine");
        fs::write(top.join("x/y/z/file"), b"f")
            .await
            .expect("write");
        fs::set_permissions(
            top.join("x/y/z/file"),
            std::fs::Permissions::from_mode(0o604),
        )
        .await
        .expect("chmod");
        let mode = fs::metadata(top.join("x/y/z/file"))
            .await
            .expect("stat")
            .permissions();
        assert_eq!(mode.mode(), 0o604);
        let canon = fs::canonicalize(top.join("x/y/../y/./z"))
            .await
            .expect("canonicalize");
        assert_eq!(
            canon,
            std::fs::canonicalize(top.join("x/y/z")).expect("std")
        );
        let e = fs::create_dir_all(top.join("x/y/z/file/sub"))
            .await
            .expect_err("a file in the way");
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR), "{e}");
        fs::remove_dir_all(&top).await.expect("remove_dir_all");
        let e = fs::metadata(&top).await.expect_err("gone");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = fs::remove_dir_all(&top).await.expect_err("gone already");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    });
}

#[test]
fn directory_trees() {
    for backend in BACKENDS {
        trees(backend);
    }
}
