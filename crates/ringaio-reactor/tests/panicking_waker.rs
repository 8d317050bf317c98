//! A waker that panics when woken: the drain catches it and carries on, every other waker
//! still runs, and the reactor keeps working afterwards.

mod common;

use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use common::{Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Key, Reactor};

const MSG: &str = "this test's waker panics on purpose";

struct Panicker;

impl Wake for Panicker {
    fn wake(self: Arc<Self>) {
        panic!("{MSG}");
    }
}

fn noop(reactor: &Reactor) -> Key {
    // SAFETY: a no-op points at no memory.
    unsafe { reactor.submit(&Iocb::noop()) }.expect("submit")
}

/// Parks until every key is ready; returns their outcomes' results.
fn finish_all(reactor: &Reactor, keys: Vec<Key>) -> Vec<i32> {
    let start = Instant::now();
    while reactor.stats().in_flight > 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "hang");
        common::park(reactor, Some(Duration::from_millis(20)));
    }
    keys.into_iter()
        .map(|key| match common::poll_once(reactor, key) {
            Ok(outcome) => outcome.result,
            Err(key) => panic!("{key:?} not ready with nothing in flight"),
        })
        .collect()
}

#[test]
fn a_panicking_waker_does_not_stop_the_others() {
    common::quiet_panics(MSG);
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let panicker = Waker::from(Arc::new(Panicker));
        let mut counters = Vec::new();
        let mut keys = Vec::new();
        for i in 0..8 {
            let key = noop(&reactor);
            // Nothing completes before a park, so each poll registers its waker.
            let key = if i % 2 == 0 {
                common::expect_pending(reactor.poll(key, &mut Context::from_waker(&panicker)))
            } else {
                let (counter, waker) = common::counting_waker();
                counters.push(counter);
                common::expect_pending(reactor.poll(key, &mut Context::from_waker(&waker)))
            };
            keys.push(key);
        }
        assert_eq!(finish_all(&reactor, keys), vec![0; 8], "{backend:?}");
        for counter in &counters {
            assert_eq!(
                counter.get(),
                1,
                "{backend:?}: a waker after a panicking one never ran"
            );
        }
        assert_eq!(reactor.stats().slots, 0);

        // Still working: a pipe read woken by a panicking waker, next to a counted one.
        let pipe = Pipe::new();
        let mut buf = [0u8; 8];
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: `buf` outlives the read: its result is taken below.
        let read = unsafe { reactor.submit(&iocb) }.expect("submit");
        let read = common::expect_pending(reactor.poll(read, &mut Context::from_waker(&panicker)));
        let other = noop(&reactor);
        let (counter, waker) = common::counting_waker();
        let other = common::expect_pending(reactor.poll(other, &mut Context::from_waker(&waker)));
        common::park(&reactor, Some(Duration::ZERO));
        pipe.write(b"again");
        assert_eq!(
            finish_all(&reactor, vec![read, other]),
            vec![5, 0],
            "{backend:?}"
        );
        assert_eq!(&buf[..5], b"again");
        assert_eq!(counter.get(), 1);
        assert_eq!(reactor.stats().slots, 0);
    }
}

#[test]
fn drain_survives_only_panicking_wakers() {
    common::quiet_panics(MSG);
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let panicker = Waker::from(Arc::new(Panicker));
        let keys: Vec<Key> = (0..4)
            .map(|_| {
                let key = noop(&reactor);
                common::expect_pending(reactor.poll(key, &mut Context::from_waker(&panicker)))
            })
            .collect();
        assert_eq!(finish_all(&reactor, keys), vec![0; 4], "{backend:?}");
        let key = noop(&reactor);
        assert_eq!(common::wait(&reactor, key).result, 0);
        drop(reactor);
    }
}
