//! `Reactor::metrics` counts exactly what a known sequence of requests did: how many went
//! in and came out, where they ran, what waited for SQ or CQ room, how many
//! `io_uring_enter`s and parks it took, and what is in flight by opcode.

mod common;

use common::{Pipe, BACKENDS};
use ringaio_core::{Iocb, Opcode, Target};
use ringaio_reactor::{Backend, Config, Key, Reactor};

/// SQ entries: the fifth push in a row finds the SQ full.
const SQ: u32 = 4;
/// CQ entries: half (8) less the wake read (1) and the timer reserve (16 / 8 = 2) leaves an
/// in-flight budget of 5 requests (with messages from other rings off: their credits would
/// come out of it too).
const CQ: u32 = 16;
const BUDGET: usize = 5;
const NOPS: usize = 8;

fn small_reactor(backend: Backend) -> Reactor {
    common::reactor_with({
        let mut config = Config::default();
        config.backend = backend;
        config.entries = SQ;
        config.cq_entries = Some(CQ);
        config.msg_ring = false;
        config
    })
}

fn nop(reactor: &Reactor) -> Key {
    // SAFETY: a no-op points at no memory.
    unsafe { reactor.submit(&Iocb::noop()) }.expect("submit nop")
}

fn ready(reactor: &Reactor, keys: Vec<Key>) -> Vec<Key> {
    keys.into_iter()
        .filter_map(|key| match common::poll_once(reactor, key) {
            Ok(outcome) => {
                assert_eq!(outcome.result, 0, "{outcome:?}");
                None
            }
            Err(key) => Some(key),
        })
        .collect()
}

#[test]
fn nops_on_the_ring_count_exactly() {
    let reactor = small_reactor(Backend::Uring);
    if !common::uring_or_skip(&reactor, "exact ring counts") {
        return;
    }
    let keys: Vec<Key> = (0..NOPS).map(|_| nop(&reactor)).collect();
    let m = reactor.metrics();
    assert_eq!(m.backend, Backend::Uring);
    assert_eq!(m.submitted, NOPS as u64, "{m:?}");
    assert_eq!(m.completed, 0, "{m:?}");
    assert_eq!(m.via_ring, BUDGET as u64, "{m:?}");
    assert_eq!(m.via_pool, 0, "{m:?}");
    assert_eq!(m.in_flight, BUDGET, "{m:?}");
    assert_eq!(m.in_flight_of(Opcode::Noop), BUDGET, "{m:?}");
    assert_eq!(m.in_flight_by_opcode, vec![(Opcode::Noop, BUDGET)], "{m:?}");
    assert_eq!(m.queued, NOPS - BUDGET, "{m:?}");
    assert_eq!(m.cq_room_waits, (NOPS - BUDGET) as u64, "{m:?}");
    // The fifth push found 4 SQEs queued: one enter to flush them.
    assert_eq!(m.sq_full, 1, "{m:?}");
    assert_eq!(m.submit_syscalls, 1, "{m:?}");
    assert_eq!(m.parks, 0, "{m:?}");

    // Park 1: submits the fifth NOP and the wake read; the drain reaps the five and admits
    // the three queued ones. Park 2 submits them.
    let mut keys = keys;
    let mut parks = 0;
    while !keys.is_empty() {
        assert!(parks < 100, "NOPs never completed: {:?}", reactor.metrics());
        common::park(&reactor, None);
        parks += 1;
        keys = ready(&reactor, keys);
    }
    let m = reactor.metrics();
    assert_eq!(m.submitted, NOPS as u64, "{m:?}");
    assert_eq!(m.completed, NOPS as u64, "{m:?}");
    assert_eq!(m.via_ring, NOPS as u64, "{m:?}");
    assert_eq!(m.in_flight, 0, "{m:?}");
    assert!(m.in_flight_by_opcode.is_empty(), "{m:?}");
    assert_eq!(m.queued, 0, "{m:?}");
    assert_eq!(m.cq_room_waits, (NOPS - BUDGET) as u64, "{m:?}");
    assert_eq!(m.sq_full, 1, "{m:?}");
    assert_eq!(m.parks, parks, "{m:?}");
    // One enter per park, beside the flush.
    assert_eq!(m.submit_syscalls, 1 + parks, "{m:?}");
    assert_eq!(m.cq_overflow, 0, "{m:?}");
}

#[test]
fn nops_on_the_pool_count_exactly() {
    let reactor = small_reactor(Backend::Fallback);
    let mut keys: Vec<Key> = (0..NOPS).map(|_| nop(&reactor)).collect();
    let m = reactor.metrics();
    assert_eq!(m.backend, Backend::Fallback);
    assert_eq!(m.submitted, NOPS as u64, "{m:?}");
    assert_eq!(m.completed, 0, "{m:?}");
    assert_eq!(m.via_ring, 0, "{m:?}");
    assert_eq!(m.via_pool, NOPS as u64, "{m:?}");
    // The pool may have run some already; their results reach the slots at the next drain.
    assert_eq!(m.in_flight_of(Opcode::Noop), NOPS, "{m:?}");
    assert_eq!((m.queued, m.cq_room_waits, m.sq_full), (0, 0, 0), "{m:?}");
    assert_eq!(m.submit_syscalls, 0, "{m:?}");
    let mut parks = 0;
    while !keys.is_empty() {
        assert!(
            parks < 10_000,
            "NOPs never completed: {:?}",
            reactor.metrics()
        );
        common::park(&reactor, None);
        parks += 1;
        keys = ready(&reactor, keys);
    }
    let m = reactor.metrics();
    assert_eq!(m.completed, NOPS as u64, "{m:?}");
    assert_eq!(m.via_pool, NOPS as u64, "{m:?}");
    assert_eq!(m.in_flight, 0, "{m:?}");
    assert_eq!(m.parks, parks, "{m:?}");
    assert_eq!(m.submit_syscalls, 0, "{m:?}");
}

/// A read that waits on an empty pipe is in flight as a `Pread` until data comes, on both
/// backends; cancelling another one counts as its completion.
#[test]
fn in_flight_by_opcode_follows_a_pending_read() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let (pipe, other) = (Pipe::new(), Pipe::new());
        let mut buf = vec![0u8; 16];
        let mut buf2 = vec![0u8; 16];
        let read = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        let read2 = Iocb::pread(Target::Fd(other.rd()), buf2.as_mut_ptr(), buf2.len(), 0);
        // SAFETY: both buffers outlive their requests: each is polled to its end below.
        let key = unsafe { reactor.submit(&read) }.expect("submit read");
        // SAFETY: as above.
        let key2 = unsafe { reactor.submit(&read2) }.expect("submit read");
        let key3 = nop(&reactor);
        let m = reactor.metrics();
        assert_eq!(m.in_flight, 3, "{backend:?}: {m:?}");
        assert_eq!(
            m.in_flight_by_opcode,
            vec![(Opcode::Pread, 2), (Opcode::Noop, 1)],
            "{backend:?}: {m:?}"
        );
        assert_eq!(common::wait(&reactor, key3).result, 0);
        pipe.write(b"hello");
        assert_eq!(common::wait(&reactor, key).result, 5, "{backend:?}");
        assert_eq!(&buf[..5], b"hello");
        let m = reactor.metrics();
        assert_eq!(m.in_flight_by_opcode, vec![(Opcode::Pread, 1)], "{m:?}");
        reactor.cancel(&key2);
        let outcome = common::wait(&reactor, key2);
        // A pool thread blocked in read(2) may need the data to let go.
        assert!(
            outcome.result == -libc::ECANCELED || outcome.result == -libc::EINTR,
            "{backend:?}: {outcome:?}"
        );
        let m = reactor.metrics();
        assert_eq!((m.submitted, m.completed), (3, 3), "{backend:?}: {m:?}");
        assert_eq!(m.in_flight, 0, "{backend:?}: {m:?}");
        drop(buf2);
    }
}

/// A read whose waiter lets go stays in flight (the kernel or a pool thread still holds its
/// buffer) until its cancel or its data ends it; then it counts as completed, on both
/// backends, and nothing is left in flight.
#[test]
fn a_released_read_stays_in_flight_until_it_ends() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 16].into_boxed_slice();
        let read = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: the buffer is handed to the reactor by `release` below, which keeps it
        // until the request's final completion.
        let key = unsafe { reactor.submit(&read) }.expect("submit read");
        let key = common::poll_once(&reactor, key).expect_err("an empty pipe");
        reactor.release(key, buf);
        let m = reactor.metrics();
        assert_eq!(m.in_flight_of(Opcode::Pread), 1, "{backend:?}: {m:?}");
        assert_eq!(m.completed, 0, "{backend:?}: {m:?}");
        // The cancel ends it on the ring; a pool thread blocked in read(2) needs the data.
        pipe.write(b"x");
        common::settle(&reactor);
        let m = reactor.metrics();
        assert_eq!((m.submitted, m.completed), (1, 1), "{backend:?}: {m:?}");
        assert_eq!(m.in_flight, 0, "{backend:?}: {m:?}");
    }
}

/// A timeout is in flight as `Timeout` while it waits: on the ring, or on the reactor's
/// timer list on the fallback backend.
#[test]
fn a_pending_timeout_counts_as_a_timeout() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let ts = Box::new(ringaio_core::Timespec::from_duration(
            std::time::Duration::from_secs(3600),
        ));
        let iocb = Iocb::timeout(&*ts);
        // SAFETY: the timespec is boxed and outlives the request, polled to its end below.
        let key = unsafe { reactor.submit(&iocb) }.expect("submit timeout");
        let m = reactor.metrics();
        assert_eq!(
            m.in_flight_by_opcode,
            vec![(Opcode::Timeout, 1)],
            "{backend:?}: {m:?}"
        );
        reactor.cancel(&key);
        let outcome = common::wait(&reactor, key);
        assert_eq!(outcome.result, -libc::ECANCELED, "{backend:?}");
        let m = reactor.metrics();
        assert_eq!(
            (m.submitted, m.completed, m.in_flight),
            (1, 1, 0),
            "{backend:?}: {m:?}"
        );
        drop(ts);
    }
}
