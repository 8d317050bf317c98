//! Task tokens: a request polled by the executor's current task (with that task's own waker)
//! records the task's token, and its completion wakes the task through the executor's hook,
//! once per drain for a run of completions. A request polled with any other waker (a
//! combinator's, a sub-executor's) keeps that waker and is woken through it: no wake-up is
//! lost or sent to the wrong place.

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::task::Context;

use common::BACKENDS;
use ringaio_core::Iocb;
use ringaio_reactor::{Polled, Reactor};

/// Installs a hook that logs the tokens it is asked to wake.
fn logging_hook(reactor: &Reactor) -> Rc<RefCell<Vec<u32>>> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    assert!(reactor.set_task_waker(Box::new(move |tokens| {
        sink.borrow_mut().extend_from_slice(tokens)
    })));
    assert!(
        !reactor.set_task_waker(Box::new(|_| {})),
        "the hook is installed once"
    );
    log
}

/// Drives the reactor until every key in `keys` polled ready (with a throwaway waker).
fn finish_all(reactor: &Reactor, keys: Vec<ringaio_reactor::Key>) {
    for key in keys {
        assert_eq!(common::wait(reactor, key).result, 0);
    }
}

#[test]
fn the_current_tasks_requests_wake_it_by_token_once_per_drain() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let log = logging_hook(&reactor);
        let (counter, waker) = common::counting_waker();
        let mut cx = Context::from_waker(&waker);
        reactor.set_current_task(Some((7, &waker)));
        let keys: Vec<_> = (0..32)
            .map(|_| {
                // SAFETY: a no-op points at no memory.
                let key = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
                common::expect_pending(reactor.poll(key, &mut cx))
            })
            .collect();
        reactor.set_current_task(None);
        let mut pending = keys;
        common::park_until(&reactor, "all 32 NOPs polled ready", || {
            reactor.set_current_task(Some((7, &waker)));
            pending = std::mem::take(&mut pending)
                .into_iter()
                .filter_map(|key| match reactor.poll(key, &mut cx) {
                    Polled::Pending(key) => Some(key),
                    Polled::Ready(_) => None,
                })
                .collect();
            reactor.set_current_task(None);
            pending.is_empty()
        });
        let woken = log.borrow().clone();
        assert!(!woken.is_empty(), "{backend:?}: the task was never woken");
        assert!(
            woken.iter().all(|&t| t == 7),
            "{backend:?}: wrong tokens {woken:?}"
        );
        assert!(
            woken.len() <= 32,
            "{backend:?}: more wakes than completions: {}",
            woken.len()
        );
        assert_eq!(
            counter.get(),
            0,
            "{backend:?}: the waker itself was not cloned and woken"
        );
        common::settle(&reactor);
    }
}

#[test]
fn another_wakers_requests_keep_their_waker() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let log = logging_hook(&reactor);
        let (_, task_waker) = common::counting_waker();
        let (other, other_waker) = common::counting_waker();
        // The task is current, but a combinator polls this request with its own waker.
        reactor.set_current_task(Some((3, &task_waker)));
        // SAFETY: a no-op points at no memory.
        let key = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
        let mut cx = Context::from_waker(&other_waker);
        let key = common::expect_pending(reactor.poll(key, &mut cx));
        reactor.set_current_task(None);
        common::park_until(&reactor, "the combinator's waker woken", || other.get() > 0);
        assert!(log.borrow().is_empty(), "{backend:?}: {:?}", log.borrow());
        assert!(matches!(reactor.poll(key, &mut cx), Polled::Ready(_)));
        common::settle(&reactor);
    }
}

#[test]
fn without_a_current_task_or_hook_wakers_are_used() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        // No hook installed: naming a task is ignored.
        let (counter, waker) = common::counting_waker();
        reactor.set_current_task(Some((1, &waker)));
        // SAFETY: a no-op points at no memory.
        let key = unsafe { reactor.submit(&Iocb::noop()) }.expect("submit");
        let key = common::expect_pending(reactor.poll(key, &mut Context::from_waker(&waker)));
        reactor.set_current_task(None);
        common::park_until(&reactor, "the waker woken", || counter.get() > 0);
        finish_all(&reactor, vec![key]);
        common::settle(&reactor);
    }
}
