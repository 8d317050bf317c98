//! More requests than the completion queue can hold: with 8 SQ entries (a 16-entry CQ) the
//! reactor keeps at most half the CQ in the ring and queues the rest in user space, so the
//! kernel never overflows the CQ, even with cancels on top. Everything still completes, in
//! full, and released queued requests never reach the kernel.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Pipe, Prng, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Backend, Config, Key, Outcome, Reactor};

const ENTRIES: u32 = 8;
/// Half the CQ: the most requests the ring may hold.
const HALF_CQ: usize = ENTRIES as usize;
const NOPS: usize = 1000;
const PIPES: usize = 24;
const BYTES: &[u8] = b"sixty-four bytes, more or less: enough to see where they end up.";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    Keep,
    Cancel,
    Release,
}

struct Req {
    key: Option<Key>,
    pipe: Option<usize>,
    fate: Fate,
    buf: Option<Box<[u8]>>,
    outcome: Option<Outcome>,
}

fn submit_read(reactor: &Reactor, pipe: &Pipe) -> (Key, Box<[u8]>) {
    let mut buf = vec![0u8; 128].into_boxed_slice();
    let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
    // SAFETY: the boxed buffer is kept in its `Req` until the result is taken, or released to
    // the reactor.
    let key = unsafe { reactor.submit(&iocb) }.expect("submit");
    (key, buf)
}

fn bounded(reactor: &Reactor, uring: bool) {
    if uring {
        let stats = reactor.stats();
        assert!(
            stats.in_flight <= HALF_CQ,
            "more in the ring than half the CQ: {stats:?}"
        );
        assert_eq!(stats.cq_overflow, 0, "{stats:?}");
    }
}

fn flood(backend: Backend) {
    let reactor = common::reactor_with({
        let mut config = Config::default();
        config.backend = backend;
        config.entries = ENTRIES;
        config.cq_entries = Some(2 * ENTRIES);
        config
    });
    if !common::got(&reactor, backend) {
        return;
    }
    let uring = backend == Backend::Uring;
    let pipes: Vec<Pipe> = (0..PIPES).map(|_| Pipe::new()).collect();
    let mut rng = Prng::new(0xc0 + backend as u64);
    let mut reqs: Vec<Req> = Vec::new();
    // First the reads of the first pipes take the ring's room; then nops and the other
    // reads pile up behind them.
    let mut next_pipe = 0;
    for i in 0..NOPS + PIPES {
        let is_read = next_pipe < PIPES && (i < HALF_CQ || rng.below(40) == 0);
        let fate = match rng.below(10) {
            0 => Fate::Cancel,
            1 => Fate::Release,
            _ => Fate::Keep,
        };
        let req = if is_read {
            let (key, buf) = submit_read(&reactor, &pipes[next_pipe]);
            next_pipe += 1;
            Req {
                key: Some(key),
                pipe: Some(next_pipe - 1),
                fate,
                buf: Some(buf),
                outcome: None,
            }
        } else {
            // SAFETY: a no-op points at no memory.
            let key = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
            Req {
                key: Some(key),
                pipe: None,
                fate,
                buf: None,
                outcome: None,
            }
        };
        reqs.push(req);
    }
    while next_pipe < PIPES {
        let (key, buf) = submit_read(&reactor, &pipes[next_pipe]);
        reqs.push(Req {
            key: Some(key),
            pipe: Some(next_pipe),
            fate: Fate::Keep,
            buf: Some(buf),
            outcome: None,
        });
        next_pipe += 1;
    }
    if uring {
        let stats = reactor.stats();
        assert!(
            stats.queued > 0,
            "nothing queued behind a full ring: {stats:?}"
        );
        common::note(format_args!("{stats:?} after submitting {}", reqs.len()));
    } else {
        common::skip("user-space queueing: the fallback backend has no CQ to bound");
    }
    bounded(&reactor, uring);
    // The reads hold the ring and nothing arrives on their pipes: the queue cannot move.
    for _ in 0..3 {
        common::park(&reactor, Some(Duration::ZERO));
        bounded(&reactor, uring);
    }
    if uring {
        assert!(reactor.stats().queued > 0, "{:?}", reactor.stats());
    }
    // Cancels and releases, of requests in the ring and of queued ones, on top.
    for req in &mut reqs {
        match (req.fate, req.key.take()) {
            (Fate::Keep, key) => req.key = key,
            (Fate::Cancel, Some(key)) => {
                reactor.cancel(&key);
                req.key = Some(key);
            }
            (Fate::Release, Some(key)) => reactor.release(key, req.buf.take()),
            (_, None) => unreachable!("every request holds its key until here"),
        }
    }
    bounded(&reactor, uring);
    for pipe in &pipes {
        pipe.write(BYTES);
    }
    let start = Instant::now();
    loop {
        let mut left = 0;
        for req in reqs.iter_mut() {
            if req.fate == Fate::Release || req.outcome.is_some() {
                continue;
            }
            let Some(key) = req.key.take() else {
                continue;
            };
            match common::poll_once(&reactor, key) {
                Ok(outcome) => req.outcome = Some(outcome),
                Err(key) => {
                    req.key = Some(key);
                    left += 1;
                }
            }
        }
        if left == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "hang: {left} never completed: {:?}",
            reactor.stats()
        );
        common::park(&reactor, Some(Duration::from_millis(20)));
        bounded(&reactor, uring);
    }
    common::settle(&reactor);
    bounded(&reactor, uring);
    let mut consumed = [false; PIPES];
    for req in &reqs {
        let Some(outcome) = req.outcome else { continue };
        let cancelled = req.fate == Fate::Cancel && outcome.result == -libc::ECANCELED;
        match req.pipe {
            None => assert!(
                outcome.result == 0 || cancelled,
                "{backend:?}: nop ended {outcome:?}"
            ),
            Some(p) => {
                if cancelled {
                    continue;
                }
                assert_eq!(outcome.result, BYTES.len() as i32, "{backend:?} pipe {p}");
                let buf = req.buf.as_ref().expect("kept");
                assert_eq!(&buf[..BYTES.len()], BYTES);
                consumed[p] = true;
            }
        }
    }
    for (p, pipe) in pipes.iter().enumerate() {
        let left = pipe.take_pending();
        // A released read may have been cancelled or have won the race; a read never
        // released or cancelled must have taken the bytes.
        if consumed[p] {
            assert!(left.is_empty(), "{backend:?} pipe {p}: bytes read twice?");
        } else if !left.is_empty() {
            assert_eq!(left, BYTES, "{backend:?} pipe {p}");
        }
    }
    let stats = reactor.stats();
    assert_eq!(stats.slots, 0, "{stats:?}");
    assert_eq!(stats.queued, 0, "{stats:?}");
    assert_eq!(stats.cq_overflow, 0, "{stats:?}");
}

#[test]
fn more_requests_than_the_cq_holds() {
    for backend in BACKENDS {
        flood(backend);
    }
}

#[test]
fn released_while_queued_never_reaches_the_kernel() {
    let reactor = common::reactor_with({
        let mut config = Config::default();
        config.entries = ENTRIES;
        config.cq_entries = Some(2 * ENTRIES);
        config
    });
    if !common::uring_or_skip(&reactor, "queued requests") {
        return;
    }
    // Fill the ring's room with reads that wait for bytes, until one has to queue.
    let mut held = Vec::new();
    while reactor.stats().queued == 0 {
        let pipe = Pipe::new();
        let (key, buf) = submit_read(&reactor, &pipe);
        held.push((Some(key), buf, pipe));
        assert!(
            held.len() <= 4 * HALF_CQ,
            "nothing ever queued: {:?}",
            reactor.stats()
        );
    }
    // The last read is queued: released, its buffer comes straight back and it never runs.
    let (key, buf, pipe) = held.pop().expect("one was queued");
    let token = Arc::new(());
    reactor.release(key.expect("held until here"), (buf, token.clone()));
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "a queued request holds nothing the kernel uses: dropped at once"
    );
    pipe.write(BYTES);
    for (_, _, p) in &held {
        p.write(BYTES);
    }
    for (key, buf, _) in held.iter_mut() {
        let key = key.take().expect("held until here");
        assert_eq!(common::wait(&reactor, key).result, BYTES.len() as i32);
        assert_eq!(&buf[..BYTES.len()], BYTES);
    }
    common::settle(&reactor);
    assert_eq!(
        pipe.pending(),
        BYTES.len(),
        "the released queued read ran anyway"
    );
    assert_eq!(reactor.stats().cq_overflow, 0);
}

/// A CQ too small for any budget used to be given a budget of one anyway (`budget.max(1)`),
/// which let the CQ overflow; such configurations are refused.
#[test]
fn a_cq_too_small_for_a_budget_is_refused() {
    for cq in [0, 1, 2, 4, 7] {
        let err = Reactor::new(&{
            let mut config = Config::default();
            config.entries = 1;
            config.cq_entries = Some(cq);
            config
        })
        .expect_err("too small");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "cq {cq}");
        assert!(err.to_string().contains("cq_entries"), "{err}");
    }
    let reactor = common::reactor_with({
        let mut config = Config::default();
        config.entries = 1;
        config.cq_entries = Some(ringaio_reactor::MIN_CQ_ENTRIES);
        config
    });
    if !common::uring_or_skip(&reactor, "the smallest CQ") {
        return;
    }
    // SAFETY: a no-op points at no memory.
    let keys: Vec<_> = (0..16)
        .map(|_| unsafe { reactor.submit(&Iocb::noop()) }.expect("submit"))
        .collect();
    for key in keys {
        assert_eq!(common::wait(&reactor, key).result, 0);
    }
    assert_eq!(reactor.stats().cq_overflow, 0);
}
