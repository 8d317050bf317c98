//! io_uring really taken away: a child process denies itself `io_uring_setup` with a seccomp
//! filter (as Docker's default profile does) and must still do its file I/O correctly, on
//! the fallback backend.

use std::process::Command;

const CHILD: &str = env!("CARGO_BIN_EXE_fallback_child");

/// Runs the child with `RINGAIO_BACKEND` set to `backend`; returns (exit code, stdout, stderr).
fn child_with_backend(backend: &str) -> (Option<i32>, String, String) {
    let out = Command::new(CHILD)
        .env("RINGAIO_BACKEND", backend)
        .output()
        .expect("spawn child");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn seccomp_denied_io_uring_runs_on_the_pool() {
    let out = Command::new(CHILD)
        .arg("seccomp")
        .env_remove("RINGAIO_BACKEND")
        .output()
        .expect("spawn child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        ringaio_tests::say!("skipped: seccomp filters cannot be installed here: {stderr}");
        return;
    }
    assert!(out.status.success(), "child failed: {stdout}\n{stderr}");
    assert!(stdout.contains("backend=Fallback"), "{stdout}");
    assert!(
        stdout.contains("EPERM"),
        "the reason names the errno: {stdout}"
    );
}

#[test]
fn environment_selects_the_fallback() {
    let (code, stdout, stderr) = child_with_backend("fallback");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("backend=Fallback"), "{stdout}");
}

#[test]
fn environment_selects_uring() {
    let (code, stdout, stderr) = child_with_backend("uring");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    if stdout.contains("backend=Fallback") {
        ringaio_tests::say!("skipped: io_uring is unavailable on this machine: {stdout}");
        return;
    }
    assert!(stdout.contains("backend=Uring"), "{stdout}");
}

#[test]
fn unknown_backend_is_an_error_naming_the_valid_ones() {
    let (code, _, stderr) = child_with_backend("epoll");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("\"epoll\""), "{stderr}");
    assert!(
        stderr.contains("uring") && stderr.contains("fallback"),
        "{stderr}"
    );
}
