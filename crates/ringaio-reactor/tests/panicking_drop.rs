//! An orphan's resources whose `Drop` panics, dropped by the reactor in the same drain that
//! completes another request: the panic may reach the caller of `park`, but the other
//! request's waker must still be woken (a lost wake-up hangs an unrelated task), and the
//! reactor keeps working.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Context;
use std::time::{Duration, Instant};

use common::Pipe;
use ringaio_core::{Iocb, Target};
use ringaio_reactor::Reactor;

const MSG: &str = "this test's resource panics on drop, on purpose";

struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("{MSG}");
    }
}

/// Parks until nothing is in flight, catching panics from orphans' drops; returns how many
/// parks panicked.
fn park_through_panics(reactor: &Reactor) -> usize {
    let start = Instant::now();
    let mut panics = 0;
    loop {
        let parked = catch_unwind(AssertUnwindSafe(|| {
            common::park(reactor, Some(Duration::from_millis(20)))
        }));
        panics += usize::from(parked.is_err());
        if reactor.stats().in_flight == 0 {
            return panics;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "hang");
    }
}

#[test]
fn panicking_orphan_drop_loses_no_wakeup() {
    common::quiet_panics(MSG);
    let reactor = common::reactor(ringaio_reactor::Backend::Uring);
    if !common::uring_or_skip(&reactor, "one drain completing both requests") {
        return;
    }
    let pipe = Pipe::new();
    let mut buf = vec![0u8; 8];
    let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
    // SAFETY: the buffer is released to the reactor below.
    let orphan = unsafe { reactor.submit(&iocb) }.expect("submit");
    common::park(&reactor, Some(Duration::ZERO));
    // SAFETY: a no-op points at no memory.
    let other = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
    let (counter, waker) = common::counting_waker();
    let other = common::expect_pending(reactor.poll(other, &mut Context::from_waker(&waker)));
    // The cancel and the no-op reach the kernel in the same enter; both complete in one drain.
    reactor.release(orphan, (buf, PanicOnDrop));
    let panics = park_through_panics(&reactor);
    // The reactor catches the panic itself; it must never escape more than once.
    assert!(
        panics <= 1,
        "the orphan's drop panicked once, not {panics} times"
    );
    assert!(matches!(common::poll_once(&reactor, other), Ok(o) if o.result == 0));
    assert_eq!(
        counter.get(),
        1,
        "the no-op completed but its waker was never woken"
    );
    // SAFETY: a no-op points at no memory.
    let after = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
    assert_eq!(common::wait(&reactor, after).result, 0);
}

#[test]
fn reactor_keeps_working_after_a_panicking_orphan_drop() {
    common::quiet_panics(MSG);
    for backend in common::BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let pipe = Pipe::new();
        let mut buf = vec![0u8; 8];
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: the buffer is released to the reactor below.
        let orphan = unsafe { reactor.submit(&iocb) }.expect("submit");
        common::park(&reactor, Some(Duration::ZERO));
        reactor.release(orphan, (buf, PanicOnDrop));
        assert!(park_through_panics(&reactor) <= 1, "{backend:?}");
        assert_eq!(reactor.stats().slots, 0);
        let mut fresh = [0u8; 4];
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), fresh.as_mut_ptr(), fresh.len(), 0);
        // SAFETY: `fresh` outlives the read: its result is taken below.
        let key = unsafe { reactor.submit(&iocb) }.expect("submit");
        pipe.write(b"next");
        assert_eq!(common::wait(&reactor, key).result, 4, "{backend:?}");
        assert_eq!(&fresh, b"next");
    }
}
