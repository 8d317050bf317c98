//! Keys are move-only and name their reactor. Before, `Key` was `Copy` and any reactor took
//! any key: a copy released first (with nothing) made the owner's later release hand back a
//! buffer the kernel was still writing into. A copy no longer compiles (see `Key`'s docs);
//! what is left to try from safe code is a key of one reactor given to another whose slot
//! has the same index and generation. It must touch nothing there.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::Context;
use std::time::Duration;

use common::{DropLog, GuardBuf, OnDrop, Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};

#[test]
fn a_foreign_release_keeps_the_owners_buffer() {
    for backend in BACKENDS {
        let owner = common::reactor(backend);
        let other = common::reactor(backend);
        if !common::got(&owner, backend) {
            continue;
        }
        let pipe = Pipe::new();
        let log = DropLog::default();
        let mut buf = GuardBuf::new(0, 4096, OnDrop::Poison, &log);
        let token = buf.token.clone();
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: the buffer is released to its reactor below, before it is dropped.
        let key = unsafe { owner.submit(&iocb) }.expect("submit");
        common::park(&owner, Some(Duration::ZERO));
        // SAFETY: a no-op points at no memory.
        let twin = unsafe { other.submit(&Iocb::noop()) }.expect("submit");
        assert_eq!(
            common::slot_index(&twin),
            common::slot_index(&key),
            "the same slot in both reactors"
        );
        // The other reactor's key, released on the owner (safe code can try this).
        let foreign = Arc::new(());
        owner.release(twin, foreign.clone());
        assert_eq!(
            Arc::strong_count(&foreign),
            2,
            "{backend:?}: a foreign key's resources are leaked, not dropped"
        );
        assert_eq!(
            owner.stats().slots,
            1,
            "{backend:?}: the owner's read is untouched"
        );
        // A foreign poll panics rather than answer for a request it does not hold.
        // SAFETY: a no-op points at no memory.
        let twin = unsafe { other.submit(&Iocb::noop()) }.expect("submit");
        common::quiet_panics("was issued by another reactor");
        let (_, waker) = common::counting_waker();
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let _ = owner.poll(twin, &mut Context::from_waker(&waker));
        }));
        assert!(
            polled.is_err(),
            "{backend:?}: a foreign poll must not answer"
        );
        owner.release(key, buf);
        assert_eq!(
            Arc::strong_count(&token),
            2,
            "{backend:?}: dropped in flight"
        );
        pipe.write(b"late bytes");
        common::settle(&owner);
        assert_eq!(Arc::strong_count(&token), 1);
        for record in log.borrow().iter() {
            assert!(record.still_poisoned(), "written after it was dropped");
        }
    }
}
