//! Wakers and orphaned resources' drops run with no borrow of the reactor held: a waker that
//! submits, polls and drains from inside the drain, and a released resource whose `Drop`
//! does the same, both work (no `BorrowMutError`), and what they submit completes.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use common::{Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Key, Polled, Reactor};

thread_local! {
    /// The reactor the re-entrant callbacks use (wakers must be `Send`, the reactor is not).
    static REACTOR: RefCell<Option<Rc<Reactor>>> = const { RefCell::new(None) };
    /// Keys submitted from inside callbacks, and by which.
    static SUBMITTED: RefCell<Vec<(&'static str, Key)>> = const { RefCell::new(Vec::new()) };
}

/// Uses the reactor from inside a callback: stats, a submit, polls, and a nested drain.
fn reenter(who: &'static str) {
    let Some(reactor) = REACTOR.with(|r| r.borrow().clone()) else {
        return;
    };
    let _ = reactor.stats();
    // SAFETY: a no-op points at no memory.
    let key = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit from a callback");
    let key = common::poll_once(&reactor, key).expect_err("a NOP is not done before a park");
    let (_, waker) = common::counting_waker();
    let Polled::Pending(key) = reactor.poll(key, &mut Context::from_waker(&waker)) else {
        panic!("a NOP is not done before a park");
    };
    let _ = reactor.drain();
    SUBMITTED.with(|s| s.borrow_mut().push((who, key)));
}

struct Reenter;

impl Wake for Reenter {
    fn wake(self: Arc<Self>) {
        reenter("waker");
    }
}

/// A read buffer whose drop (by the reactor, once the orphaned read is over) re-enters.
struct ReenterOnDrop {
    _buf: Box<[u8]>,
}

impl Drop for ReenterOnDrop {
    fn drop(&mut self) {
        reenter("drop");
    }
}

#[test]
fn callbacks_may_use_the_reactor() {
    for backend in BACKENDS {
        let reactor = Rc::new(common::reactor(backend));
        if !common::got(&reactor, backend) {
            continue;
        }
        REACTOR.with(|r| *r.borrow_mut() = Some(reactor.clone()));
        SUBMITTED.with(|s| s.borrow_mut().clear());

        let woken = {
            // SAFETY: a no-op points at no memory.
            unsafe { reactor.submit(&Iocb::noop()) }.expect("submit")
        };
        let waker = Waker::from(Arc::new(Reenter));
        let Polled::Pending(woken) = reactor.poll(woken, &mut Context::from_waker(&waker)) else {
            panic!("a NOP is not done before a park");
        };

        let pipe = Pipe::new();
        let mut buf = vec![0u8; 32].into_boxed_slice();
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: the buffer is released to the reactor right below.
        let orphan = unsafe { reactor.submit(&iocb) }.expect("submit");
        common::park(&reactor, Some(Duration::ZERO));
        reactor.release(orphan, ReenterOnDrop { _buf: buf });

        let start = Instant::now();
        let mut done = Vec::new();
        loop {
            let pending: Vec<(&str, Key)> = SUBMITTED.with(|s| s.borrow_mut().drain(..).collect());
            if pending.is_empty() && done.len() == 2 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "hang: {backend:?} {pending:?} {:?}",
                reactor.stats()
            );
            common::park(&reactor, Some(Duration::from_millis(20)));
            for (who, key) in pending {
                match common::poll_once(&reactor, key) {
                    Ok(outcome) => done.push((who, outcome.result)),
                    Err(key) => SUBMITTED.with(|s| s.borrow_mut().push((who, key))),
                }
            }
        }
        done.sort();
        assert_eq!(done, vec![("drop", 0), ("waker", 0)], "{backend:?}");
        assert!(matches!(common::poll_once(&reactor, woken), Ok(o) if o.result == 0));
        common::settle(&reactor);
        REACTOR.with(|r| r.borrow_mut().take());
        assert_eq!(Rc::strong_count(&reactor), 1);
    }
}
