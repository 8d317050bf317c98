//! What the integration tests share: skipping without io_uring, scratch directories, pipes.
#![allow(dead_code, unreachable_pub)]

use std::ffi::CString;
use std::fs;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ringaio_core::{Context, Event, Iocb, Opcode, Ring};

/// An fd number no process can have open: above any `RLIMIT_NOFILE`.
pub const NEVER_OPEN: RawFd = RawFd::MAX;

/// Prints a skip line. Written to the real stderr rather than with `eprintln!`, which the test
/// harness captures and shows only for failing tests: a skip must never pass silently.
pub fn skip(why: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "skipped: {why}");
}

/// `Context::new(n)`, or `None` after printing why when io_uring is unavailable here.
pub fn context(nr_events: usize) -> Option<Context> {
    match Context::new(nr_events) {
        Ok(ctx) => Some(ctx),
        Err(e) if ringaio_core::is_unavailable(&e) => {
            skip(e);
            None
        }
        Err(e) => panic!("Context::new({nr_events}): {e}"),
    }
}

/// A ring, or `None` after printing why when io_uring is unavailable here.
pub fn ring() -> Option<Ring> {
    match Ring::new(8) {
        Ok(ring) => Some(ring),
        Err(e) if ringaio_core::is_unavailable(&e) => {
            skip(e);
            None
        }
        Err(e) => panic!("Ring::new(8): {e}"),
    }
}

/// Whether the kernel's probe lists `op`; prints a skip line when it does not.
pub fn supported(op: Opcode) -> bool {
    let Some(ring) = ring() else { return false };
    let yes = ring.supports(op);
    if !yes {
        skip(format_args!("this kernel's io_uring lacks {op}"));
    }
    yes
}

/// Submits one iocb and waits for its event.
///
/// # Safety
/// - What `iocb` points at stays valid until this returns (the event is reaped before).
pub unsafe fn run(ctx: &mut Context, iocb: &Iocb) -> Event {
    // SAFETY: forwarded from the caller; the event is reaped below, before we return.
    let queued = unsafe { ctx.submit(&[iocb]) }.expect("submit");
    assert_eq!(queued, 1);
    let mut events = [Event::default(); 1];
    assert_eq!(ctx.get_events(1, &mut events, None).expect("get_events"), 1);
    assert_eq!(events[0].data, iocb.data);
    events[0]
}

/// A fresh directory under the temp dir, removed with what it holds on drop.
#[derive(Debug)]
pub struct Scratch(PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("ringaio-{tag}-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The path of `name` as a C string.
    pub fn cpath(&self, name: &str) -> CString {
        cstr(&self.path(name))
    }

    /// Creates `name` holding `contents` and opens it for reading and writing.
    pub fn file(&self, name: &str, contents: &[u8]) -> fs::File {
        let path = self.path(name);
        fs::write(&path, contents).expect("write scratch file");
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open scratch file")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn cstr(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("no NUL in a temp path")
}

/// A pipe: (read end, write end), both close-on-exec.
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    let res = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(res, 0, "pipe2: {}", io::Error::last_os_error());
    // SAFETY: pipe2 succeeded, so both are fresh fds that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}
