//! Messages about the locked-memory limit say what is true: with `RLIMIT_MEMLOCK` at 0 (and
//! no `CAP_IPC_LOCK`) the fallback reason names the limit and `ulimit -l`, and names a kernel
//! version only on a kernel older than 5.12 (it said "use a kernel >= 5.12" on 6.18); a
//! `FixedBufPool` the kernel refuses to pin says the limit was the cause (it did not).
//! Each case runs in a child process that lowers its own limit.

use std::process::Command;

const CHILD: &str = env!("CARGO_BIN_EXE_memlock_child");

fn child(mode: &str) -> Option<String> {
    let out = Command::new(CHILD).arg(mode).output().expect("spawn child");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        ringaio_tests::say!("skipped: the child cannot lower its limits: {stderr}");
        return None;
    }
    assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
    Some(stdout)
}

/// The running kernel is 5.12 or newer.
fn kernel_at_least_5_12() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").expect("osrelease");
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).expect("major");
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).expect("minor");
    (major, minor) >= (5, 12)
}

#[test]
fn fallback_reason_names_the_memlock_limit() {
    let Some(stdout) = child("ring") else {
        return;
    };
    if stdout.contains("backend=Uring") {
        ringaio_tests::say!(
            "skipped: this kernel does not count rings against RLIMIT_MEMLOCK: {stdout}"
        );
        return;
    }
    assert!(stdout.contains("backend=Fallback"), "{stdout}");
    assert!(stdout.contains("RLIMIT_MEMLOCK"), "{stdout}");
    assert!(stdout.contains("ulimit -l"), "{stdout}");
    assert!(stdout.contains("0 bytes"), "the limit's value: {stdout}");
    if kernel_at_least_5_12() {
        assert!(
            !stdout.contains("5.12"),
            "this kernel is not too old: {stdout}"
        );
    }
}

#[test]
fn fixed_buf_pool_error_names_the_memlock_limit() {
    let Some(stdout) = child("buffers") else {
        return;
    };
    if !stdout.contains("limit=") {
        ringaio_tests::say!("skipped: no io_uring runtime under a small memlock limit: {stdout}");
        return;
    }
    for name in ["table", "whole"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name}_error=")))
            .unwrap_or_else(|| panic!("{name}: a pool past the limit must fail: {stdout}"));
        assert!(line.contains("RLIMIT_MEMLOCK"), "{line}");
        assert!(line.contains("ulimit -l"), "{line}");
    }
}
