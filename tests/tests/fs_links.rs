//! Issue 18: `fs::hard_link`, `fs::symlink`, `fs::read_link` and `fs::symlink_metadata`
//! through the ring (LINKAT, SYMLINKAT, STATX) and on the fallback pool.

use std::io::ErrorKind;

use ringaio::fs;
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath, BACKENDS};

fn links(backend: Backend) {
    let rt = runtime(backend);
    let file = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "links-file");
    let hard = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "links-hard");
    let soft = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "links-soft");
    std::fs::write(file.path(), b"linked").expect("write");
    rt.block_on(async {
        fs::hard_link(file.path(), hard.path())
            .await
            .expect("hard_link");
        let meta = fs::metadata(hard.path()).await.expect("stat");
        assert_eq!(meta.nlink(), 2);
        assert_eq!(
            meta.ino(),
            fs::metadata(file.path()).await.expect("stat").ino()
        );
        let e = fs::hard_link(file.path(), hard.path())
            .await
            .expect_err("again");
        assert_eq!(e.kind(), ErrorKind::AlreadyExists, "{e}");

        fs::symlink(file.path(), soft.path())
            .await
            .expect("symlink");
        assert_eq!(
            fs::read_link(soft.path()).await.expect("read_link"),
            file.path()
        );
        let lstat = fs::symlink_metadata(soft.path()).await.expect("lstat");
        assert!(lstat.is_symlink());
        assert_eq!(lstat.len(), file.path().as_os_str().len() as u64);
        let stat = fs::metadata(soft.path()).await.expect("stat");
        assert!(
            stat.is_file() && stat.len() == 6,
            "metadata follows the link"
        );
        let e = fs::read_link(file.path()).await.expect_err("not a link");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(
            std::fs::read(soft.path()).expect("through the link"),
            b"linked"
        );
    });
}

#[test]
fn hard_and_symbolic_links() {
    for backend in BACKENDS {
        links(backend);
    }
}
