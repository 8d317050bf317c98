//! Issue 18: `OpenOptions::open_at` opens relative to a `Dir`, which keeps naming the same
//! directory after its path is renamed.

use std::io::ErrorKind;

use ringaio::fs::{self, Dir, File};
use ringaio::Backend;
use ringaio_tests::{runtime, TempDir, BACKENDS};

fn open_at(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "openat");
    let base = tmp.path();
    std::fs::create_dir_all(base.join("before")).expect("mkdir");
    rt.block_on(async {
        let dir = Dir::open(base.join("before")).await.expect("open dir");
        std::fs::rename(base.join("before"), base.join("after")).expect("rename");
        let file = File::options()
            .write(true)
            .create_new(true)
            .open_at(&dir, "made")
            .await
            .expect("open_at");
        let (res, _) = file.write_all_at(b"relative".to_vec(), 0).await;
        res.expect("write");
        assert_eq!(
            fs::read(base.join("after/made")).await.expect("read"),
            b"relative",
            "the file is in the directory the Dir opened, wherever it moved"
        );
        let e = File::options()
            .read(true)
            .open_at(&dir, "missing")
            .await
            .expect_err("missing");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = Dir::open(base.join("after/made"))
            .await
            .expect_err("a file");
        assert_eq!(e.raw_os_error(), Some(libc::ENOTDIR), "{e}");
    });
}

#[test]
fn open_at_is_relative_to_the_directory_handle() {
    for backend in BACKENDS {
        open_at(backend);
    }
}
