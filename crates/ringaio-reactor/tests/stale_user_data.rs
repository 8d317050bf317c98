//! A key outlives its request: once the slot is freed and reused, the old key must reach
//! nothing. `poll(old)` answers `ECANCELED` (never the new request's result), `cancel(old)`
//! and `release(old)` leave the new request alone, and the new request completes normally.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::{Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Backend, Key, Reactor};

fn reactors() -> impl Iterator<Item = Reactor> {
    BACKENDS.into_iter().filter_map(|backend: Backend| {
        let reactor = common::reactor(backend);
        common::got(&reactor, backend).then_some(reactor)
    })
}

fn noop(reactor: &Reactor) -> Key {
    // SAFETY: a no-op points at no memory.
    unsafe { reactor.submit(&Iocb::noop()) }.expect("submit")
}

/// Submits a read of `pipe` into `buf`.
///
/// # Safety
/// - `buf` stays alive and unmoved until the read's result has been taken.
unsafe fn read(reactor: &Reactor, pipe: &Pipe, buf: &mut [u8]) -> Key {
    let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
    // SAFETY: forwarded from the caller.
    unsafe { reactor.submit(&iocb) }.expect("submit")
}

/// The stale key touches nothing, then the new read completes with the bytes written.
fn check_stale(reactor: &Reactor, old: Key, new: Key, pipe: &Pipe, buf: &[u8]) {
    assert_ne!(old, new);
    assert_eq!(
        common::slot_index(old),
        common::slot_index(new),
        "the test needs the slot reused"
    );
    let stale = common::poll_once(reactor, old);
    assert!(
        matches!(stale, Poll::Ready(o) if o.result == -libc::ECANCELED),
        "{:?}: a stale key answers ECANCELED, got {stale:?}",
        reactor.backend()
    );
    reactor.cancel(old);
    let token = Arc::new(());
    let mut theirs = Some(token.clone());
    reactor.release(old, &mut theirs);
    assert!(
        theirs.is_some(),
        "a stale release must leave the resources with the caller"
    );
    drop(theirs);
    assert_eq!(Arc::strong_count(&token), 1);
    for _ in 0..3 {
        common::park(reactor, Some(Duration::from_millis(5)));
    }
    assert!(
        common::poll_once(reactor, new).is_pending(),
        "{:?}: the new read must still wait for its bytes",
        reactor.backend()
    );
    assert_eq!(reactor.stats().slots, 1);
    pipe.write(b"fresh");
    let outcome = common::wait(reactor, new);
    assert_eq!(outcome.result, 5, "{:?}", reactor.backend());
    assert_eq!(&buf[..5], b"fresh");
    let again = common::poll_once(reactor, old);
    assert!(matches!(again, Poll::Ready(o) if o.result == -libc::ECANCELED));
    assert_eq!(reactor.stats().slots, 0);
}

#[test]
fn reaped_key_after_slot_reuse() {
    for reactor in reactors() {
        let old = noop(&reactor);
        assert_eq!(common::wait(&reactor, old).result, 0);
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 16];
        // SAFETY: `buf` outlives the read, whose result `check_stale` takes.
        let new = unsafe { read(&reactor, &pipe, &mut buf) };
        check_stale(&reactor, old, new, &pipe, &buf);
    }
}

#[test]
fn orphaned_key_after_slot_reuse() {
    for reactor in reactors() {
        let first = Pipe::new();
        let mut old_buf = vec![0u8; 16];
        // SAFETY: `old_buf` is released to the reactor right below.
        let old = unsafe { read(&reactor, &first, &mut old_buf) };
        common::park(&reactor, Some(Duration::ZERO));
        reactor.release(old, &mut Some(old_buf));
        common::settle(&reactor);
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 16];
        // SAFETY: `buf` outlives the read, whose result `check_stale` takes.
        let new = unsafe { read(&reactor, &pipe, &mut buf) };
        check_stale(&reactor, old, new, &pipe, &buf);
        assert_eq!(first.pending(), 0);
    }
}

#[test]
fn cancelled_key_after_slot_reuse() {
    for reactor in reactors() {
        let first = Pipe::new();
        let mut old_buf = vec![0u8; 16];
        // SAFETY: `old_buf` outlives the read, whose result is taken right below.
        let old = unsafe { read(&reactor, &first, &mut old_buf) };
        common::park(&reactor, Some(Duration::ZERO));
        reactor.cancel(old);
        assert_eq!(common::wait(&reactor, old).result, -libc::ECANCELED);
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 16];
        // SAFETY: `buf` outlives the read, whose result `check_stale` takes.
        let new = unsafe { read(&reactor, &pipe, &mut buf) };
        check_stale(&reactor, old, new, &pipe, &buf);
    }
}

#[test]
fn many_generations_never_cross() {
    for reactor in reactors() {
        let mut stale = Vec::new();
        for _ in 0..200 {
            let key = noop(&reactor);
            assert_eq!(common::wait(&reactor, key).result, 0);
            stale.push(key);
        }
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 16];
        // SAFETY: `buf` outlives the read, whose result is taken below.
        let new = unsafe { read(&reactor, &pipe, &mut buf) };
        for key in &stale {
            reactor.cancel(*key);
            let answer = common::poll_once(&reactor, *key);
            assert!(matches!(answer, Poll::Ready(o) if o.result == -libc::ECANCELED));
        }
        common::park(&reactor, Some(Duration::from_millis(5)));
        assert!(common::poll_once(&reactor, new).is_pending());
        pipe.write(b"ok");
        assert_eq!(common::wait(&reactor, new).result, 2);
        assert_eq!(&buf[..2], b"ok");
    }
}
