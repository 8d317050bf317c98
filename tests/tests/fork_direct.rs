//! fork() with direct files and a kept `block_on` runtime (issue 16): in the child a direct
//! file's operations fail cleanly and its drop touches nothing of the parent's ring, and
//! `ringaio::block_on` builds the child a fresh runtime instead of the parent's kept one.
//! The parent's direct file still reads afterwards.
//!
//! Its own test binary without the harness: forking with harness threads running would copy
//! their locks mid-use.

use std::io::Write;

use ringaio::fs::File;
use ringaio_tests::TempPath;

fn main() {
    match scenario() {
        Ok(()) => println!("1 passed, 0 failed"),
        Err(e) => {
            eprintln!("fork_direct: FAILED: {e}");
            std::process::exit(1);
        }
    }
}

fn scenario() -> Result<(), String> {
    let tmp = TempPath::new(std::env::temp_dir(), "fork-direct");
    std::fs::write(tmp.path(), b"parent data").map_err(|e| e.to_string())?;
    // Opened by a `block_on` whose runtime is kept on this thread.
    let file = ringaio::block_on(File::options().read(true).direct(true).open(tmp.path()))
        .map_err(|e| format!("open: {e}"))?;
    if !file.is_direct() {
        eprintln!("skipped: no direct descriptors here (io_uring, Linux 6.8+)");
        return Ok(());
    }
    // SAFETY: this binary runs no other thread; the child only runs `in_child` and `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let code = match in_child(file, &tmp) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "child: {e}");
                1
            }
        };
        // SAFETY: ends the child without unwinding or running the parent's handlers.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    if unsafe { libc::waitpid(pid, &mut status, 0) } != pid {
        return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("the child failed (status {status:#x})"));
    }
    let (n, buf) = ringaio::block_on(file.read_at(Vec::with_capacity(32), 0));
    if n.map_err(|e| format!("parent read: {e}"))? != 11 || buf != b"parent data" {
        return Err(format!("the parent's direct file read {buf:?}"));
    }
    ringaio::block_on(file.close()).map_err(|e| format!("parent close: {e}"))
}

fn in_child(file: File, tmp: &TempPath) -> Result<(), String> {
    // The kept runtime is the parent's: `block_on` builds a fresh one, whose ring does not
    // hold the parent's slot.
    let (res, _) = ringaio::block_on(file.read_at(Vec::with_capacity(32), 0));
    if res.is_ok() {
        return Err("a direct file read in the child succeeded".into());
    }
    // The child's own runtime works.
    let data = ringaio::block_on(ringaio::fs::read(tmp.path())).map_err(|e| e.to_string())?;
    if data != b"parent data" {
        return Err(format!("the child's fs::read gave {data:?}"));
    }
    // Dropping the parent's direct file in the child submits nothing to the parent's ring.
    drop(file);
    Ok(())
}
