//! `--verify`, `--sync`, `--direct` (on the scratch filesystem, on tmpfs, and on ramfs, which
//! refuses O_DIRECT), and `--progress` forced on without a terminal.

mod common;

use std::path::Path;

use common::{
    assert_no_temporaries, assert_ok, assert_same_contents, pattern, run, stderr, write_file,
    Mount, Scratch,
};

const SIZES: [usize; 5] = [0, 1, 4095, 65536, (1 << 20) + 1];

fn copy_each_size(dir: &Path, args: &[&str]) -> String {
    let mut errors = String::new();
    for size in SIZES {
        let src = dir.join(format!("src-{size}"));
        let dst = dir.join(format!("dst-{size}"));
        write_file(&src, &pattern(size, size as u64 + 11));
        let mut argv: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        argv.push(src.as_os_str());
        argv.push(dst.as_os_str());
        let out = run(&argv);
        assert_ok(&out);
        assert_same_contents(&src, &dst);
        errors.push_str(&stderr(&out));
    }
    assert_no_temporaries(dir);
    errors
}

#[test]
fn verify_and_sync() {
    let scratch = Scratch::new("verify-sync");
    copy_each_size(
        scratch.path(),
        &["--verify", "--sync", "--block-size", "64k"],
    );
}

#[test]
fn direct_on_the_scratch_filesystem() {
    let scratch = Scratch::new("direct");
    copy_each_size(
        scratch.path(),
        &["--direct", "--verify", "--block-size", "64k"],
    );
    copy_each_size(scratch.path(), &["--direct", "-p", "--sync"]);
}

#[test]
fn direct_on_tmpfs_works_or_falls_back() {
    let scratch = Scratch::new("direct-tmpfs");
    let dir = scratch.join("mnt");
    let _mount = match Mount::new("tmpfs", "size=64m", &dir) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    let said = copy_each_size(&dir, &["--direct", "--verify", "--block-size", "8k"]);
    // tmpfs takes O_DIRECT from Linux 6.6; before, each end warns once per run.
    for line in said.lines() {
        assert!(line.contains("refuses O_DIRECT"), "unexpected: {line}");
    }
}

#[test]
fn direct_falls_back_on_ramfs() {
    let scratch = Scratch::new("direct-ramfs");
    let dir = scratch.join("mnt");
    let _mount = match Mount::new("ramfs", "mode=0755", &dir) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    let said = copy_each_size(&dir, &["--direct", "--verify"]);
    assert!(
        said.contains("warning:") && said.contains("refuses O_DIRECT"),
        "no warning: {said}"
    );
}

#[test]
fn progress_can_be_forced_on() {
    let scratch = Scratch::new("progress");
    let (src, dst) = (scratch.join("src"), scratch.join("dst"));
    write_file(&src, &pattern(3 << 20, 5));
    let out = run([Path::new("--progress"), &src, &dst]);
    assert_ok(&out);
    assert_same_contents(&src, &dst);
    assert!(
        stderr(&out).contains("MiB"),
        "no bar drawn: {:?}",
        stderr(&out)
    );
    let quiet = run([
        Path::new("--progress"),
        Path::new("--no-progress"),
        &src,
        &dst,
    ]);
    assert_ok(&quiet);
    assert!(quiet.stderr.is_empty());
}

#[test]
fn verbose_says_why_io_uring_is_not_used_once() {
    let scratch = Scratch::new("verbose-fallback");
    let (a, b) = (scratch.join("a"), scratch.join("b"));
    write_file(&a, b"a");
    write_file(&b, b"b");
    let dir = scratch.join("into");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = std::process::Command::new(common::BIN)
        .args([Path::new("-v"), &a, &b, &dir])
        .env("RINGAIO_BACKEND", "fallback")
        .output()
        .expect("run");
    assert_ok(&out);
    let said = stderr(&out);
    assert_eq!(said.matches("io_uring is not used").count(), 1, "{said}");
    assert!(said.contains("fallback"), "the reason: {said}");
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listed.lines().count(), 2, "one line per file: {listed}");
    let quiet = std::process::Command::new(common::BIN)
        .args([&a, &dir.join("c")])
        .env("RINGAIO_BACKEND", "fallback")
        .output()
        .expect("run");
    assert_ok(&quiet);
    assert!(quiet.stderr.is_empty(), "without -v: {}", stderr(&quiet));
}

#[test]
fn atomic_replaces_with_a_new_inode() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let scratch = Scratch::new("atomic");
    let (src, dst, other) = (
        scratch.join("src"),
        scratch.join("dst"),
        scratch.join("other"),
    );
    write_file(&src, b"new contents");
    write_file(&dst, b"old");
    std::fs::set_permissions(&dst, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    std::fs::hard_link(&dst, &other).expect("link");
    let before = std::fs::metadata(&dst).expect("stat").ino();
    // Without --atomic the file is written in place: the other name sees it.
    assert_ok(&run([&src, &dst]));
    assert_eq!(std::fs::read(&other).expect("read"), b"new contents");
    write_file(&src, b"newer");
    assert_ok(&run([Path::new("--atomic"), &src, &dst]));
    let after = std::fs::metadata(&dst).expect("stat");
    assert_ne!(after.ino(), before, "a new inode");
    assert_eq!(std::fs::read(&dst).expect("read"), b"newer");
    assert_eq!(std::fs::read(&other).expect("read"), b"new contents");
    assert_eq!(
        after.permissions().mode() & 0o777,
        0o640,
        "the old mode kept"
    );
    common::assert_no_temporaries(scratch.path());
}
