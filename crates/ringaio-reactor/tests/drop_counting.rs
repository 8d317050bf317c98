//! Resources handed to the reactor are dropped exactly when the kernel is done with them: an
//! `Arc` inside each request's resources is counted after completion, after a release before
//! completion, after a cancel and after shutdown, and must not drop early.

mod common;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Fifo, Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Backend, Config, Key, Reactor};

/// What a request's memory lives in: a heap buffer, and a token the test counts.
#[derive(Debug)]
struct Res {
    buf: Box<[u8]>,
    _token: Arc<()>,
}

impl Res {
    fn new(token: &Arc<()>) -> Res {
        Res {
            buf: vec![0u8; 64].into_boxed_slice(),
            _token: token.clone(),
        }
    }
}

/// Submits a read of `pipe` into `res`.
fn read_into(reactor: &Reactor, pipe: &Pipe, res: &mut Res) -> Key {
    let iocb = Iocb::pread(
        Target::Fd(pipe.rd()),
        res.buf.as_mut_ptr(),
        res.buf.len(),
        0,
    );
    // SAFETY: `res` (whose heap buffer does not move with it) is either kept until the
    // request's result is taken or released to the reactor, in every test below.
    match unsafe { reactor.submit(&iocb) } {
        Ok(key) => key,
        Err(e) => panic!("submit: {e}"),
    }
}

/// Runs `test` on each backend this machine has.
fn each_backend(test: impl Fn(Backend, Reactor)) {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if common::got(&reactor, backend) {
            test(backend, reactor);
        }
    }
}

#[test]
fn completed_then_dropped_by_the_waiter() {
    each_backend(|backend, reactor| {
        let token = Arc::new(());
        let pipe = Pipe::new();
        let mut res = Res::new(&token);
        pipe.write(b"hello");
        let key = read_into(&reactor, &pipe, &mut res);
        assert_eq!(common::wait(&reactor, key).result, 5, "{backend:?}");
        assert_eq!(&res.buf[..5], b"hello");
        assert_eq!(Arc::strong_count(&token), 2);
        drop(res);
        assert_eq!(Arc::strong_count(&token), 1, "{backend:?}");
        assert_eq!(reactor.stats().slots, 0);
    });
}

#[test]
fn released_in_flight_is_held_until_the_final_completion() {
    each_backend(|backend, reactor| {
        for park_first in [false, true] {
            let token = Arc::new(());
            let pipe = Pipe::new();
            let mut res = Res::new(&token);
            let key = read_into(&reactor, &pipe, &mut res);
            if park_first {
                // Hand the read to the kernel (or pool) before letting go of it.
                common::park(&reactor, Some(Duration::ZERO));
            }
            reactor.release(key, res);
            assert_eq!(
                Arc::strong_count(&token),
                2,
                "{backend:?} park_first={park_first}: dropped before the read completed"
            );
            common::settle(&reactor);
            assert_eq!(
                Arc::strong_count(&token),
                1,
                "{backend:?} park_first={park_first}: leaked after the final completion"
            );
        }
    });
}

#[test]
fn released_after_completion_comes_back_to_the_caller() {
    each_backend(|backend, reactor| {
        let token = Arc::new(());
        let pipe = Pipe::new();
        let mut res = Res::new(&token);
        pipe.write(b"done");
        let key = read_into(&reactor, &pipe, &mut res);
        let start = Instant::now();
        while reactor.stats().in_flight > 0 {
            assert!(start.elapsed() < Duration::from_secs(60), "hang");
            common::park(&reactor, Some(Duration::from_millis(20)));
        }
        reactor.release(key, res);
        assert_eq!(reactor.stats().slots, 0);
        assert_eq!(
            Arc::strong_count(&token),
            1,
            "{backend:?}: the kernel is done, so release drops the resources at once"
        );
    });
}

#[test]
fn cancelled_ends_with_ecanceled_and_nothing_kept() {
    each_backend(|backend, reactor| {
        let token = Arc::new(());
        let pipe = Pipe::new();
        let mut res = Res::new(&token);
        let key = read_into(&reactor, &pipe, &mut res);
        common::park(&reactor, Some(Duration::ZERO));
        reactor.cancel(&key);
        reactor.cancel(&key);
        assert_eq!(
            common::wait(&reactor, key).result,
            -libc::ECANCELED,
            "{backend:?}"
        );
        assert_eq!(reactor.stats().slots, 0);
        assert_eq!(Arc::strong_count(&token), 2, "only the waiter holds it");
        drop(res);
        assert_eq!(Arc::strong_count(&token), 1);
        assert_eq!(pipe.pending(), 0);
    });
}

#[test]
fn released_then_reactor_dropped() {
    each_backend(|backend, reactor| {
        let token = Arc::new(());
        let pipe = Pipe::new();
        let mut res = Res::new(&token);
        let key = read_into(&reactor, &pipe, &mut res);
        common::park(&reactor, Some(Duration::ZERO));
        reactor.release(key, res);
        assert_eq!(Arc::strong_count(&token), 2, "{backend:?}: dropped early");
        drop(reactor);
        assert_eq!(
            Arc::strong_count(&token),
            1,
            "{backend:?}: shutdown must drop what it held once the kernel let go"
        );
    });
}

#[test]
fn shutdown_answers_a_waiter_still_holding_its_key() {
    each_backend(|backend, reactor| {
        let token = Arc::new(());
        let pipe = Pipe::new();
        let mut res = Res::new(&token);
        let key = read_into(&reactor, &pipe, &mut res);
        common::park(&reactor, Some(Duration::ZERO));
        reactor.shutdown();
        assert!(
            matches!(common::poll_once(&reactor, key), Ok(o) if o.result == -libc::ECANCELED),
            "{backend:?}"
        );
        // SAFETY: a no-op points at no memory.
        assert!(unsafe { reactor.submit(&Iocb::noop()) }.is_err());
        reactor.shutdown();
        drop(res);
        assert_eq!(Arc::strong_count(&token), 1);
    });
}

/// A path the pool's `openat` reads, with a token.
#[derive(Debug)]
struct PathRes {
    _path: CString,
    _token: Arc<()>,
}

#[test]
fn shutdown_timeout_leaks_what_the_pool_still_uses() {
    let reactor = common::reactor_with({
        let mut config = Config::default();
        config.backend = Backend::Fallback;
        config.shutdown_timeout = Duration::from_millis(100);
        config
    });
    let fifo = Fifo::new("leak");
    let token = Arc::new(());
    let path = fifo.path.clone();
    let iocb = Iocb::openat(libc::AT_FDCWD, &path, libc::O_RDONLY, 0);
    // SAFETY: `path`'s heap bytes are released to the reactor below along with it.
    let key = unsafe { reactor.submit(&iocb) }.expect("submit");
    let start = Instant::now();
    // A pool thread blocks in the open. A cancel wakes such an open by opening the FIFO's
    // other end through the open's path: with the FIFO moved away, no cancel reaches it.
    while common::threads_opening_fifos() == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "hang");
        common::park(&reactor, Some(Duration::from_millis(5)));
    }
    let named = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(path.as_bytes()));
    let moved = named.with_extension("moved");
    std::fs::rename(&named, &moved).expect("move the FIFO away");
    reactor.release(
        key,
        PathRes {
            _path: path,
            _token: token.clone(),
        },
    );
    drop(reactor);
    assert_eq!(
        Arc::strong_count(&token),
        2,
        "shutdown gave up on a request the pool still runs: its memory must be leaked"
    );
    // Let the detached pool thread finish its open (the leaked fd stays with this process).
    std::fs::rename(&moved, &named).expect("move the FIFO back");
    let start = Instant::now();
    let writer = loop {
        if let Some(w) = fifo.try_open_writer() {
            break w;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "hang");
        std::thread::sleep(Duration::from_millis(1));
    };
    drop(writer);
}
