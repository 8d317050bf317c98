//! SIGINT and SIGTERM in the middle of a copy: exit with 130 / 143 and leave no temporary.
//! The source is a pipe that stays open, so the copy is reliably still running.

mod common;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{listing, Scratch, BIN};

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
