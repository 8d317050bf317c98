//! An `openat` whose waiter lets go: the fd it produces belongs to nobody, so the reactor must
//! close it. The open is of a FIFO with no writer, which blocks (on the pool, or in io_uring's
//! io-wq) until a writer comes; fds are counted in `/proc/self/fd` before and after.
//!
//! Every test here counts this process's fds, so they take `SERIAL` and no other file's tests
//! share the process.

mod common;

use std::ffi::CString;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::{Fifo, BACKENDS};
use ringaio_core::Iocb;
use ringaio_reactor::{Backend, Key, Reactor};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The path the open reads, and a token the test counts.
#[derive(Debug)]
struct PathRes {
    path: CString,
    _token: Arc<()>,
}

fn open(reactor: &Reactor, res: &PathRes, flags: i32) -> Key {
    let iocb = Iocb::openat(libc::AT_FDCWD, &res.path, flags | libc::O_CLOEXEC, 0o600);
    // SAFETY: `res.path` (heap bytes that do not move with `res`) is released to the reactor
    // or kept until the result is taken, in every test below.
    match unsafe { reactor.submit(&iocb) } {
        Ok(key) => key,
        Err(e) => panic!("submit: {e}"),
    }
}

fn hang_guard(start: Instant, what: &str) {
    assert!(start.elapsed() < Duration::from_secs(60), "hang: {what}");
}

/// Parks (without waiting) until a thread is blocked opening the FIFO, or the open is over.
/// Returns whether it blocked.
fn until_blocked(reactor: &Reactor) -> bool {
    let start = Instant::now();
    loop {
        common::park(reactor, Some(Duration::ZERO));
        if common::threads_opening_fifos() > 0 {
            return true;
        }
        if reactor.stats().in_flight == 0 {
            return false;
        }
        hang_guard(start, "the open neither blocked nor finished");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `O_RDONLY` alone, and with `O_CREAT`, which makes io_uring run the open in io-wq at once
/// (a plain `O_RDONLY` open is first tried non-blocking, which succeeds on a FIFO).
const FLAGS: [i32; 2] = [libc::O_RDONLY, libc::O_RDONLY | libc::O_CREAT];

/// When the waiter lets go of the open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReleaseAt {
    /// Before any park: the open and its cancel reach the kernel (or pool) together.
    Submitted,
    /// Once a thread is blocked in the open, waiting for a writer.
    Blocked,
}

/// Submits an open of a fresh FIFO, releases it at `at`, then lets a writer in; the
/// orphan's fd (if it got one) must be closed and its path dropped.
fn orphan_then_writer(backend: Backend, flags: i32, at: ReleaseAt) {
    let reactor = common::reactor(backend);
    if !common::got(&reactor, backend) {
        return;
    }
    let fifo = Fifo::new("orphan-open");
    let token = Arc::new(());
    let before = common::open_fds();
    let res = PathRes {
        path: fifo.path.clone(),
        _token: token.clone(),
    };
    let key = open(&reactor, &res, flags);
    if at == ReleaseAt::Blocked && !until_blocked(&reactor) {
        // Reaped already: that is `released_after_the_result_was_reaped`.
        common::skip(format_args!(
            "{backend:?} flags {flags:#o}: the open completed without blocking"
        ));
        let _ = common::wait(&reactor, key);
        return;
    }
    reactor.release(key, res);
    assert_eq!(Arc::strong_count(&token), 2, "the path was dropped early");
    // The writer gets in while the open holds (or held) the read side.
    let start = Instant::now();
    let writer = loop {
        if let Some(w) = fifo.try_open_writer() {
            break Some(w);
        }
        if reactor.stats().slots == 0 {
            break None; // cancelled before it had a reader
        }
        hang_guard(start, "the orphaned open never ended");
        common::park(&reactor, Some(Duration::from_millis(1)));
    };
    common::settle(&reactor);
    assert_eq!(Arc::strong_count(&token), 1, "the path was never dropped");
    let got_writer = writer.is_some();
    drop(writer);
    common::note(format_args!(
        "{backend:?} flags {flags:#o} {at:?}: writer got in {got_writer}"
    ));
    assert_eq!(
        common::open_fds(),
        before,
        "{backend:?} flags {flags:#o} {at:?}: the orphaned open's fd was not closed"
    );
}

#[test]
fn released_as_submitted_then_a_writer_opens() {
    let _serial = serial();
    for backend in BACKENDS {
        for flags in FLAGS {
            orphan_then_writer(backend, flags, ReleaseAt::Submitted);
        }
    }
}

#[test]
fn released_while_blocked_then_a_writer_opens() {
    let _serial = serial();
    for backend in BACKENDS {
        for flags in FLAGS {
            orphan_then_writer(backend, flags, ReleaseAt::Blocked);
        }
    }
}

#[test]
fn released_after_the_open_succeeded_unreaped() {
    let _serial = serial();
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let fifo = Fifo::new("orphan-open-done");
        let token = Arc::new(());
        let before = common::open_fds();
        let res = PathRes {
            path: fifo.path.clone(),
            _token: token.clone(),
        };
        let key = open(&reactor, &res, libc::O_RDONLY | libc::O_CREAT);
        if !until_blocked(&reactor) {
            common::skip(format_args!("{backend:?}: the FIFO open did not block"));
            continue;
        }
        // The writer unblocks the open; its fd exists before the waiter lets go, and no park
        // reaps it in between.
        let writer = fifo
            .try_open_writer()
            .expect("a reader is blocked in the open");
        let start = Instant::now();
        while common::threads_opening_fifos() > 0 {
            hang_guard(start, "the open never returned");
            std::thread::sleep(Duration::from_millis(1));
        }
        reactor.release(key, res);
        common::settle(&reactor);
        drop(writer);
        assert_eq!(Arc::strong_count(&token), 1);
        assert_eq!(
            common::open_fds(),
            before,
            "{backend:?}: the orphaned open's fd was not closed"
        );
    }
}

#[test]
fn released_after_the_result_was_reaped() {
    let _serial = serial();
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let dir = std::env::temp_dir();
        let token = Arc::new(());
        let before = common::open_fds();
        let res = PathRes {
            path: CString::new(dir.as_os_str().as_encoded_bytes()).expect("no NUL"),
            _token: token.clone(),
        };
        let key = open(&reactor, &res, libc::O_RDONLY | libc::O_DIRECTORY);
        let start = Instant::now();
        // Reap the completion into the slot, as a drain before the waiter runs would.
        while reactor.stats().in_flight > 0 {
            hang_guard(start, "the open never completed");
            common::park(&reactor, Some(Duration::from_millis(5)));
        }
        // The waiter (say a future dropped by a `select!`) lets go without polling.
        reactor.release(key, res);
        assert_eq!(reactor.stats().slots, 0);
        assert_eq!(
            common::open_fds(),
            before,
            "{backend:?}: the fd of an open released after completion leaked"
        );
    }
}
