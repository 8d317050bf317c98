//! A pipe read whose waiter lets go (an orphan), and which a later write could complete.
//! `release` also sends a cancel, so the read usually ends `ECANCELED` with the bytes left in
//! the pipe; if the read wins, the bytes must land in the buffer while the reactor still holds
//! it. Either way the buffer is dropped exactly once, after the final completion, and nothing
//! is written into it after that.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{DropLog, GuardBuf, OnDrop, Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::Backend;

const DATA: &[u8] = b"sixteen bytes!!!";

/// When the pipe is written, relative to the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WriteAt {
    /// After the release: the cancel is already on its way.
    Later,
    /// Before the release, with the read already armed in the kernel (or the pool): its
    /// completion is on its way when the waiter lets go.
    Sooner,
    /// Before the release, and the pool has already copied the bytes (its result not yet
    /// reaped): the orphan's final result is a full read. Fallback only: the ring runs
    /// completions only inside `park`, which would reap the result too.
    SoonerAndRead,
}

fn orphan(backend: Backend, mode: OnDrop, write_at: WriteAt) {
    let reactor = common::reactor(backend);
    if !common::got(&reactor, backend) {
        return;
    }
    let pipe = Pipe::new();
    let log = DropLog::default();
    let mut buf = GuardBuf::new(0, 4096, mode, &log);
    let token = buf.token.clone();
    let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
    // SAFETY: `buf` is released to the reactor below, before it could be dropped.
    let key = unsafe { reactor.submit(&iocb) }.expect("submit");
    common::park(&reactor, Some(Duration::ZERO));
    match write_at {
        WriteAt::Later => {}
        WriteAt::Sooner => pipe.write(DATA),
        WriteAt::SoonerAndRead => {
            pipe.write(DATA);
            let start = Instant::now();
            while pipe.pending() > 0 {
                assert!(
                    start.elapsed() < Duration::from_secs(60),
                    "hang: never read"
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    reactor.release(key, buf);
    assert_eq!(
        Arc::strong_count(&token),
        2,
        "dropped before the read completed"
    );
    assert!(log.borrow().is_empty());
    if write_at == WriteAt::Later {
        pipe.write(DATA);
    }
    common::settle(&reactor);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "not dropped after the final completion"
    );
    let log = log.borrow();
    assert_eq!(log.len(), 1, "dropped exactly once");
    let left = pipe.take_pending();
    let at_drop = &log[0].contents;
    if left.is_empty() {
        // The read won the race: its bytes reached the buffer before the reactor dropped it.
        assert_eq!(
            &at_drop[..DATA.len()],
            DATA,
            "bytes read into a dropped buffer"
        );
        common::note(format_args!(
            "{backend:?} {mode:?} {write_at:?}: the read completed"
        ));
    } else {
        // Cancelled: the bytes are still in the pipe and the buffer never saw them.
        assert_eq!(left, DATA);
        assert!(at_drop.iter().all(|b| *b == 0));
        common::note(format_args!("{backend:?} {mode:?} {write_at:?}: cancelled"));
    }
    if mode == OnDrop::Poison {
        assert!(log[0].still_poisoned(), "written after it was dropped");
    }
}

#[test]
fn written_after_release_prot_none() {
    for backend in BACKENDS {
        orphan(backend, OnDrop::ProtNone, WriteAt::Later);
    }
}

#[test]
fn written_after_release_poison() {
    for backend in BACKENDS {
        orphan(backend, OnDrop::Poison, WriteAt::Later);
    }
}

#[test]
fn written_before_release_prot_none() {
    for backend in BACKENDS {
        orphan(backend, OnDrop::ProtNone, WriteAt::Sooner);
    }
}

#[test]
fn written_before_release_poison() {
    for backend in BACKENDS {
        orphan(backend, OnDrop::Poison, WriteAt::Sooner);
    }
}

#[test]
fn read_before_release_prot_none() {
    orphan(Backend::Fallback, OnDrop::ProtNone, WriteAt::SoonerAndRead);
}

#[test]
fn read_before_release_poison() {
    orphan(Backend::Fallback, OnDrop::Poison, WriteAt::SoonerAndRead);
}
