//! `-r`: a tree of nested directories and 1,000 small files, with `-p` keeping modes and
//! times, and cp's rules for where the tree goes.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{
    assert_fails_with, assert_no_temporaries, assert_ok, listing, pattern, run, write_file, Scratch,
};

const FILES: usize = 1000;
const MODES: [u32; 5] = [0o644, 0o600, 0o755, 0o444, 0o640];

fn mtime_of(i: usize) -> SystemTime {
    UNIX_EPOCH
        + Duration::new(
            1_500_000_000 + i as u64 * 1000,
            (i as u32 * 7919) % 1_000_000_000,
        )
}

/// `root/dNN/eM/fileI`: 1,000 files in 3 levels of directories, sizes 0..~8 KiB.
fn make_tree(root: &Path) {
    for i in 0..FILES {
        let dir = root.join(format!("d{:02}/e{}", i % 20, i % 3));
        fs::create_dir_all(&dir).expect("mkdir");
        let file = dir.join(format!("file{i}"));
        write_file(&file, &pattern((i * 37) % 8200, i as u64));
        let f = fs::File::options().write(true).open(&file).expect("open");
        f.set_modified(mtime_of(i)).expect("set mtime");
        drop(f);
        fs::set_permissions(&file, fs::Permissions::from_mode(MODES[i % MODES.len()]))
            .expect("chmod");
    }
    fs::set_permissions(root.join("d07"), fs::Permissions::from_mode(0o750)).expect("chmod");
    std::os::unix::fs::symlink("d00/e0/file0", root.join("link")).expect("symlink");
}

fn assert_same_tree(src: &Path, dst: &Path, preserved: bool) {
    let (a, b) = (listing(src), listing(dst));
    assert_eq!(a, b, "different entries");
    let mut files = 0;
    for rel in &a {
        let (x, y) = (src.join(rel), dst.join(rel));
        let (mx, my) = (
            fs::symlink_metadata(&x).expect("stat"),
            fs::symlink_metadata(&y).expect("stat"),
        );
        assert_eq!(mx.file_type(), my.file_type(), "{}", rel.display());
        if mx.file_type().is_symlink() {
            assert_eq!(fs::read_link(&x).ok(), fs::read_link(&y).ok());
            continue;
        }
        if mx.is_file() {
            files += 1;
            assert!(
                fs::read(&x).ok() == fs::read(&y).ok(),
                "{} differs",
                rel.display()
            );
        }
        if preserved {
            assert_eq!(
                mx.permissions().mode(),
                my.permissions().mode(),
                "mode of {}",
                rel.display()
            );
            assert_eq!(
                mx.modified().ok(),
                my.modified().ok(),
                "mtime of {}",
                rel.display()
            );
        }
    }
    assert_eq!(files, FILES);
}

#[test]
fn a_thousand_files_with_modes_and_times() {
    let scratch = Scratch::new("tree-p");
    let src = scratch.join("src");
    make_tree(&src);
    let dst = scratch.join("dst");
    assert_ok(&run([Path::new("-r"), Path::new("-p"), &src, &dst]));
    assert_same_tree(&src, &dst, true);
    assert_no_temporaries(&dst);
}

#[test]
fn a_thousand_files_into_an_existing_directory() {
    let scratch = Scratch::new("tree-into");
    let src = scratch.join("src");
    make_tree(&src);
    fs::create_dir(scratch.join("dst")).expect("mkdir");
    let out = run([Path::new("-r"), &src, &scratch.join("dst")]);
    assert_ok(&out);
    assert_same_tree(&src, &scratch.join("dst/src"), false);
    // Without -p, a new file's mode is the source's less the umask (022 or stricter).
    let mode = fs::metadata(scratch.join("dst/src/d00/e0/file0"))
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o022, 0);
}

#[test]
fn copying_again_merges_and_replaces() {
    let scratch = Scratch::new("tree-merge");
    let src = scratch.join("src");
    fs::create_dir_all(src.join("a/b")).expect("mkdir");
    write_file(&src.join("a/b/f"), b"new");
    let dst = scratch.join("dst");
    fs::create_dir_all(dst.join("a/b")).expect("mkdir");
    write_file(&dst.join("a/b/f"), b"old old old");
    write_file(&dst.join("a/keep"), b"keep");
    assert_ok(&run([Path::new("-r"), &src.join("a"), &dst]));
    assert_eq!(fs::read(dst.join("a/b/f")).expect("read"), b"new");
    assert_eq!(fs::read(dst.join("a/keep")).expect("read"), b"keep");
    assert_no_temporaries(&dst);
}

#[test]
fn a_directory_into_itself_is_refused() {
    let scratch = Scratch::new("tree-itself");
    let src = scratch.join("src");
    fs::create_dir_all(src.join("sub")).expect("mkdir");
    let out = run([Path::new("-r"), &src, &src.join("sub/copy")]);
    assert_fails_with(&out, "into itself");
    assert!(!src.join("sub/copy").exists());
}
