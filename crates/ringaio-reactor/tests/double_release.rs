//! `release` is safe, so calling it twice for one key must not free what the first call
//! handed over while the kernel still uses it: the first resources stay held until the
//! request's final completion, whatever the second call brings.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{DropLog, GuardBuf, OnDrop, Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};

#[test]
fn second_release_keeps_the_first_resources() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        if !common::got(&reactor, backend) {
            continue;
        }
        let pipe = Pipe::new();
        let log = DropLog::default();
        let mut first = GuardBuf::new(0, 4096, OnDrop::Poison, &log);
        let token = first.token.clone();
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), first.as_mut_ptr(), first.len(), 0);
        // SAFETY: the buffer is released to the reactor right below.
        let key = unsafe { reactor.submit(&iocb) }.expect("submit");
        common::park(&reactor, Some(Duration::ZERO));
        reactor.release(key, &mut Some(first));
        assert_eq!(Arc::strong_count(&token), 2);
        // A second, mistaken, release of the same key (safe code can do this).
        let other = Arc::new(());
        let mut second = Some(other.clone());
        reactor.release(key, &mut second);
        drop(second);
        assert_eq!(
            Arc::strong_count(&token),
            2,
            "{backend:?}: the read is in flight, yet its buffer was dropped"
        );
        assert!(log.borrow().is_empty());
        pipe.write(b"late bytes");
        common::settle(&reactor);
        assert_eq!(Arc::strong_count(&token), 1);
        assert_eq!(Arc::strong_count(&other), 1);
        for record in log.borrow().iter() {
            assert!(record.still_poisoned(), "written after it was dropped");
        }
    }
}
