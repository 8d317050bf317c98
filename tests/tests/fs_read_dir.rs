//! Issue 18: `fs::read_dir` streams every entry of a directory (more than one batch), with
//! types read from the entries, and a recursive walk finds a whole tree.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::PathBuf;

use futures::TryStreamExt;
use ringaio::fs;
use ringaio::Backend;
use ringaio_tests::{runtime, TempDir, BACKENDS};

/// Every path under `dir`, walked with `read_dir` alone.
async fn walk(dir: PathBuf) -> std::io::Result<BTreeSet<PathBuf>> {
    let mut found = BTreeSet::new();
    let mut todo = vec![dir];
    while let Some(dir) = todo.pop() {
        let mut entries = fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            if entry.file_type()?.is_dir() {
                todo.push(entry.path());
            }
            found.insert(entry.path());
        }
    }
    Ok(found)
}

fn lists_and_walks(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "readdir");
    let top = tmp.path();
    let many = top.join("many");
    std::fs::create_dir(&many).expect("mkdir");
    for i in 0..300 {
        std::fs::write(many.join(format!("f{i:03}")), b"x").expect("write");
    }
    std::fs::create_dir_all(top.join("a/b/c")).expect("mkdirs");
    std::fs::write(top.join("a/b/c/deep"), b"deep").expect("write");
    std::os::unix::fs::symlink("a", top.join("link")).expect("symlink");
    rt.block_on(async {
        let names: BTreeSet<String> = fs::read_dir(&many)
            .await
            .expect("read_dir")
            .map_ok(|e| e.file_name().into_string().expect("utf-8 name"))
            .try_collect()
            .await
            .expect("entries");
        let want: BTreeSet<String> = (0..300).map(|i| format!("f{i:03}")).collect();
        assert_eq!(names, want, "every entry, once, across batches");

        let found = walk(top.to_owned()).await.expect("walk");
        for rel in ["a", "a/b", "a/b/c", "a/b/c/deep", "link", "many/f299"] {
            assert!(found.contains(&top.join(rel)), "{rel} not found");
        }
        assert_eq!(found.len(), 306);

        let mut entries = fs::read_dir(top).await.expect("read_dir");
        while let Some(entry) = entries.next_entry().await.expect("entry") {
            if entry.file_name() == "link" {
                assert!(entry.file_type().expect("type").is_symlink());
                assert!(entry.metadata().await.expect("lstat").is_symlink());
            }
        }
        assert!(entries.next_entry().await.expect("after the end").is_none());

        let e = fs::read_dir(top.join("missing"))
            .await
            .expect_err("missing");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    });
}

#[test]
fn read_dir_streams_every_entry() {
    for backend in BACKENDS {
        lists_and_walks(backend);
    }
}
