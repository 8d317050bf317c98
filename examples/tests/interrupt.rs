//! SIGINT and SIGTERM in the middle of a copy: exit with 130 / 143 and leave no temporary.
//! The source is a pipe that stays open, so the copy is reliably still running. And Ctrl-C in
//! the middle of a tree (whose files are made at their own names in the directories the run
//! made): every file left is whole.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_no_temporaries, listing, pattern, write_file, Scratch, BIN};

fn interrupted_by(signal: i32, expected_status: i32) {
    let scratch = Scratch::new("interrupt");
    let fifo = scratch.join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return common::skip("mkfifo failed");
    }
    // Opening read-write does not wait for a reader, and keeps the pipe from ending.
    let mut writer = fs::File::options()
        .read(true)
        .write(true)
        .open(&fifo)
        .expect("open fifo");
    writer.write_all(&[7u8; 10_000]).expect("fill pipe");
    let out = scratch.join("out");
    fs::create_dir(&out).expect("mkdir");
    let mut child = Command::new(BIN)
        .arg(&fifo)
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ringaio-cp");
    wait_for_temporary(&out);
    // SAFETY: kill(2) with a pid we spawned and have not reaped; no memory is involved.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, signal) };
    assert_eq!(sent, 0, "kill failed");
    let status = child.wait().expect("wait");
    assert_eq!(status.code(), Some(expected_status), "{status:?}");
    assert!(listing(&out).is_empty(), "left behind: {:?}", listing(&out));
    drop(writer);
}

fn wait_for_temporary(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if listing(dir)
            .iter()
            .any(|p| p.to_string_lossy().contains(".ringaio-cp."))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("no temporary appeared in {}", dir.display());
}

#[test]
fn ctrl_c_removes_the_temporary() {
    interrupted_by(libc::SIGINT, 130);
}

#[test]
fn sigterm_removes_the_temporary() {
    interrupted_by(libc::SIGTERM, 143);
}

#[test]
fn ctrl_c_in_a_tree_leaves_only_whole_files() {
    let scratch = Scratch::new("interrupt-tree");
    let src = scratch.join("src");
    for d in 0..20 {
        let dir = src.join(format!("d{d}"));
        fs::create_dir_all(&dir).expect("mkdir");
        for f in 0..100 {
            let len = 1 + (d * 100 + f) * 97 % 20_000;
            write_file(
                &dir.join(format!("f{f}")),
                &pattern(len, (d * 100 + f) as u64),
            );
        }
    }
    let dst = scratch.join("dst");
    let mut child = Command::new(BIN)
        .arg("-r")
        .arg(&src)
        .arg(&dst)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ringaio-cp");
    // As soon as the first file is there: the copy is under way (or, on a fast machine,
    // already done; either way what is left must be whole).
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !listing(&dst).iter().any(|p| p.components().count() == 2) {
        std::thread::sleep(Duration::from_micros(200));
    }
    // SAFETY: kill(2) with a pid we spawned and have not reaped; no memory is involved.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "kill failed");
    let status = child.wait().expect("wait");
    assert!(matches!(status.code(), Some(130 | 0)), "{status:?}");
    if status.code() == Some(0) {
        common::skip("the copy finished before the signal: checked the whole copy instead");
    }
    assert_no_temporaries(&dst);
    let mut files = 0;
    for rel in listing(&dst) {
        let (ours, theirs) = (dst.join(&rel), src.join(&rel));
        if ours.is_file() {
            files += 1;
            assert!(
                fs::read(&ours).expect("read copy") == fs::read(&theirs).expect("read source"),
                "{} is not whole",
                rel.display()
            );
        }
    }
    if status.code() == Some(0) {
        assert_eq!(files, 2000);
    }
}
