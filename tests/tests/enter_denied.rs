//! A seccomp profile that allows `io_uring_setup` but denies `io_uring_enter` (EPERM): a child
//! process installs such a filter. With nothing in the ring yet the runtime switches to the
//! thread pool and does its I/O there, saying why in `Runtime::fallback_reason`; with a
//! request already in the ring, `block_on` fails with the error. `block_on` used to loop
//! forever logging errors (still running after 20 s).

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = env!("CARGO_BIN_EXE_fallback_child");

/// How long a child may run before it counts as hung (a bound on hangs, not a timing
/// assertion: the work takes milliseconds).
const CHILD_LIMIT: Duration = Duration::from_secs(60);

/// Runs the child in `mode` on the default backend; kills it and fails the test if it has
/// not exited within [`CHILD_LIMIT`]. `None` (after saying why) when seccomp filters cannot
/// be installed here.
fn run_child(mode: &str) -> Option<(Output, String, String)> {
    let mut child = Command::new(CHILD)
        .arg(mode)
        .env_remove("RINGAIO_BACKEND")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let start = Instant::now();
    loop {
        match child.try_wait().expect("wait for the child") {
            Some(_) => break,
            None if start.elapsed() > CHILD_LIMIT => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("reap the child");
                panic!(
                    "{mode} child hung (still running after {CHILD_LIMIT:?}); stderr tail: {}",
                    tail(&String::from_utf8_lossy(&out.stderr))
                );
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    let out = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.code() == Some(3) {
        ringaio_tests::say!("skipped: seccomp filters cannot be installed here: {stderr}");
        return None;
    }
    Some((out, stdout, stderr))
}

fn tail(text: &str) -> &str {
    let start = text.len().saturating_sub(2000);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    &text[start..]
}

#[test]
fn enter_denied_from_the_start_runs_on_the_pool() {
    let Some((out, stdout, stderr)) = run_child("seccomp-enter") else {
        return;
    };
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        tail(&stderr)
    );
    assert!(stdout.contains("backend=Fallback"), "{stdout}");
    assert!(
        stdout.contains("reason=io_uring_enter was refused"),
        "the reason names the refused call: {stdout}"
    );
}

#[test]
fn enter_denied_with_requests_in_the_ring_fails_block_on() {
    let Some((out, stdout, stderr)) = run_child("seccomp-enter-late") else {
        return;
    };
    if stdout.contains("backend=Fallback") {
        ringaio_tests::say!("skipped: io_uring is unavailable here: {stdout}");
        return;
    }
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        tail(&stderr)
    );
    assert!(stdout.contains("backend=Uring"), "{stdout}");
    assert!(
        stdout.contains("panicked=") && stdout.contains("os error 1"),
        "block_on fails with the EPERM: {stdout}"
    );
    assert!(
        stdout.contains("dropped"),
        "the runtime drops after that: {stdout}"
    );
}
