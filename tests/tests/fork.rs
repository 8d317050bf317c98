//! fork() with a live runtime (issue 13, item 2). The SQ/CQ mappings are shared with a forked
//! child: before the fix a child's read ran in the parent's ring and overwrote the parent's
//! buffer at the same address, a child's completion matched the parent's timer so a sleep
//! fired early, and a child that only dropped the runtime cancelled the parent's pending
//! read. Now the child submits, cancels and waits for nothing on the inherited runtime (a
//! clear error), leaks it on drop, and the parent carries on untouched.
//!
//! Its own test binary without the harness: forking a process with other threads running
//! (the harness's) would copy their locks mid-use.

use std::io::Write;

use std::time::{Duration, Instant};

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::{pipe, TempPath};

/// What a child does with the runtime it inherited.
#[derive(Clone, Copy, Debug)]
enum Child {
    /// Reads a file into a buffer at the address of the parent's canary buffer.
    Submits,
    /// `block_on`s a sleep and a read.
    BlocksOn,
    /// Only drops the runtime.
    Drops,
}

const CANARY: u8 = 0xaa;
const FILE_BYTE: u8 = 0xbb;
const SLEEP: Duration = Duration::from_millis(300);

fn main() {
    let mut failures = 0;
    let mut passed = 0;
    for backend in [Backend::Uring, Backend::Fallback] {
        for child in [Child::Submits, Child::BlocksOn, Child::Drops] {
            match scenario(backend, child) {
                Ok(()) => passed += 1,
                Err(e) => {
                    eprintln!("fork {backend:?} {child:?}: FAILED: {e}");
                    failures += 1;
                }
            }
        }
    }
    println!("{passed} passed, {failures} failed");
    if failures > 0 {
        std::process::exit(1);
    }
}

fn scenario(backend: Backend, child: Child) -> Result<(), String> {
    let rt = Runtime::builder()
        .backend(backend)
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    if rt.backend() != backend {
        eprintln!("skipped: {backend:?} {child:?}: {backend:?} unavailable here");
        return Ok(());
    }
    let dir = TempPath::new(std::env::temp_dir(), "fork");
    std::fs::create_dir_all(dir.path()).map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    std::fs::write(&data, vec![FILE_BYTE; 4096]).map_err(|e| e.to_string())?;

    // The parent's pending work: a read of an empty pipe and a sleep.
    let (rd, mut wr) = pipe().map_err(|e| e.to_string())?;
    let rd = File::from_std(rd);
    let reader = rt.spawn(async move {
        let (res, buf) = rd.read_at(Vec::with_capacity(64), 0).await;
        (res.map_err(|e| e.to_string()), buf)
    });
    let slept_from = Instant::now();
    let sleeper =
        rt.spawn(async move { ringaio::time::sleep(SLEEP).await.map(|()| Instant::now()) });
    // Let both reach the kernel (or the pool / timer list).
    rt.block_on(async {
        for _ in 0..4 {
            let _ = ringaio::nop().await;
        }
    });
    // A buffer of the parent's that no request uses, at an address the child reads into.
    let canary = vec![CANARY; 4096];

    // SAFETY: this binary runs no other thread; the child only runs the scenario and
    // `_exit`s.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        let code = match in_child(rt, child, canary, &data) {
            Ok(()) => 0,
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "child {backend:?} {child:?}: {e}");
                1
            }
        };
        // SAFETY: ends the child without running the parent's atexit handlers or unwinding.
        unsafe { libc::_exit(code) };
    }
    let status = wait_child(pid)?;
    if status != 0 {
        return Err(format!("the child failed (status {status})"));
    }
    if canary.iter().any(|&b| b != CANARY) {
        return Err("the child's read wrote into the parent's buffer".into());
    }
    // The parent's runtime still works, and its pending requests were not touched.
    wr.write_all(b"parent").map_err(|e| e.to_string())?;
    let (res, buf) = rt.block_on(reader).map_err(|e| format!("reader: {e}"))?;
    if res != Ok(6) || buf != b"parent" {
        return Err(format!("the parent's pipe read gave {res:?} {buf:?}"));
    }
    let fired = rt
        .block_on(sleeper)
        .map_err(|e| format!("sleeper: {e}"))?
        .map_err(|e| format!("sleep: {e}"))?;
    if fired.duration_since(slept_from) < SLEEP {
        return Err(format!(
            "the parent's {SLEEP:?} sleep fired after {:?}",
            fired.duration_since(slept_from)
        ));
    }
    let back = rt.block_on(async {
        let file = File::open(&data).await?;
        let (res, buf) = file.read_at(vec![0; 16], 0).await;
        res.map(|n| buf[..n].to_vec())
    });
    match back {
        Ok(bytes) if bytes == [FILE_BYTE; 16] => Ok(()),
        other => Err(format!("the parent's runtime after the fork: {other:?}")),
    }
}

fn in_child(
    rt: Runtime,
    child: Child,
    canary: Vec<u8>,
    data: &std::path::Path,
) -> Result<(), String> {
    match child {
        Child::Submits => {
            let file = std::fs::File::open(data).map_err(|e| e.to_string())?;
            let file = File::from_std(file);
            // The child's copy of the parent's canary: the same address in both processes.
            let (res, buf) = rt.block_on(file.read_at(canary, 0));
            let err = match res {
                Ok(n) => return Err(format!("a read on the parent's ring ran ({n} bytes)")),
                Err(e) => e,
            };
            if !err.to_string().contains("fork") {
                return Err(format!("unclear error: {err}"));
            }
            if buf.iter().any(|&b| b != CANARY) {
                return Err("the child's buffer was written".into());
            }
            drop(file);
            drop(rt);
        }
        Child::BlocksOn => {
            let slept = rt.block_on(ringaio::time::sleep(Duration::from_millis(10)));
            if slept.is_ok() {
                return Err("a sleep on the parent's ring succeeded".into());
            }
            let (rd, _wr) = pipe().map_err(|e| e.to_string())?;
            let rd = File::from_std(rd);
            let (res, _) = rt.block_on(rd.read_at(vec![0; 8], 0));
            if res.is_ok() {
                return Err("a read on the parent's ring succeeded".into());
            }
            drop(rd);
            drop(rt);
            // A runtime built in the child is the child's own and works.
            let own = Runtime::new().map_err(|e| format!("a new runtime in the child: {e}"))?;
            let file = own
                .block_on(File::open(data))
                .map_err(|e| format!("open in the child's runtime: {e}"))?;
            let (res, buf) = own.block_on(file.read_at(vec![0; 4], 0));
            if res.map_err(|e| e.to_string())? != 4 || buf != [FILE_BYTE; 4] {
                return Err("the child's own runtime read the wrong bytes".into());
            }
        }
        Child::Drops => drop(rt),
    }
    Ok(())
}

/// The child's exit status, or an error if it is still running after a minute (a hang).
fn wait_child(pid: libc::pid_t) -> Result<i32, String> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waits for our own child; `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if r == pid {
            return Ok(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            });
        }
        if r < 0 {
            return Err(format!("waitpid: {}", std::io::Error::last_os_error()));
        }
        if start.elapsed() > Duration::from_secs(60) {
            // SAFETY: kills our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return Err("the child hung".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
