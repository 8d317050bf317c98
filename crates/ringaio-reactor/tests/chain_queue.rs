//! Linked chains against full queues: a chain that does not fit the in-flight budget waits
//! whole in the user-space queue and enters the ring whole once room frees; a chain pushed
//! onto a nearly full SQ makes room first, so no submit boundary cuts it (a cut chain would
//! run its second half unlinked). Both show in the results: a failing first link still
//! cancels the second.

mod common;

use common::{Pipe, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Backend, Config, Key, Link, Reactor};

const ENTRIES: u32 = 8;

/// A ring of `ENTRIES` SQ entries and `cq` CQ entries.
fn small_reactor(cq: u32) -> Option<Reactor> {
    let reactor = common::reactor_with({
        let mut config = Config::default();
        config.entries = ENTRIES;
        config.cq_entries = Some(cq);
        config
    });
    common::uring_or_skip(&reactor, "linked chains need io_uring").then_some(reactor)
}

/// A chain whose first request fails (a read of fd -1) and whose second would succeed.
fn failing_chain(reactor: &Reactor, buf: &mut [u8]) -> Vec<Key> {
    let chain = [
        (
            Iocb::pread(Target::Fd(-1), buf.as_mut_ptr(), buf.len(), 0),
            Link::Next,
        ),
        (Iocb::noop(), Link::End),
    ];
    // SAFETY: `buf` outlives the chain: every key is waited for below.
    unsafe { reactor.submit_chain(&chain) }.expect("submit_chain")
}

fn check(reactor: &Reactor, keys: Vec<Key>) {
    let results: Vec<i32> = keys
        .into_iter()
        .map(|k| common::wait(reactor, k).result)
        .collect();
    assert_eq!(results, [-libc::EBADF, -libc::ECANCELED], "the link held");
}

#[test]
fn a_chain_beyond_the_budget_waits_whole() {
    let Some(reactor) = small_reactor(2 * ENTRIES) else {
        return;
    };
    // Fill the ring's room with reads that wait.
    let pipes: Vec<Pipe> = (0..ENTRIES).map(|_| Pipe::new()).collect();
    let mut bufs: Vec<Box<[u8]>> = (0..ENTRIES).map(|_| vec![0u8; 8].into()).collect();
    let mut reads = Vec::new();
    for (pipe, buf) in pipes.iter().zip(bufs.iter_mut()) {
        let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
        // SAFETY: `bufs` outlives every read: each is waited for below.
        reads.push(unsafe { reactor.submit(&iocb) }.expect("submit"));
    }
    common::park(&reactor, Some(std::time::Duration::ZERO));
    let mut buf = vec![0u8; 8];
    let keys = failing_chain(&reactor, &mut buf);
    // The budget (under half the CQ) is full of reads: the chain waits, behind the reads
    // that did not fit either.
    let stats = reactor.stats();
    assert!(stats.queued >= 2, "the chain waits whole: {stats:?}");
    for pipe in &pipes {
        pipe.write(b"x");
    }
    for key in reads {
        assert_eq!(common::wait(&reactor, key).result, 1);
    }
    check(&reactor, keys);
}

#[test]
fn a_chain_on_a_nearly_full_sq_is_not_cut() {
    // A deep CQ: the budget is larger than the SQ, so the NOPs wait in the SQ itself.
    let Some(reactor) = small_reactor(8 * ENTRIES) else {
        return;
    };
    for round in 0..ENTRIES {
        // Leave `round` NOPs queued in the SQ, then a chain of two.
        let nops: Vec<Key> = (0..round)
            // SAFETY: a NOP points at no memory.
            .map(|_| unsafe { reactor.submit(&Iocb::noop()) }.expect("nop"))
            .collect();
        let mut buf = vec![0u8; 8];
        let keys = failing_chain(&reactor, &mut buf);
        check(&reactor, keys);
        for nop in nops {
            assert_eq!(common::wait(&reactor, nop).result, 0);
        }
    }
}

#[test]
fn chains_are_refused_where_they_cannot_run_linked() {
    for backend in BACKENDS {
        let reactor = common::reactor(backend);
        let mut buf = vec![0u8; 8];
        let chain = [
            (
                Iocb::pread(Target::Fd(-1), buf.as_mut_ptr(), buf.len(), 0),
                Link::Next,
            ),
            (Iocb::noop(), Link::End),
        ];
        // SAFETY: nothing is submitted on error; on success every key is waited for.
        match unsafe { reactor.submit_chain(&chain) } {
            Ok(keys) => {
                assert_eq!(reactor.backend(), Backend::Uring);
                check(&reactor, keys);
            }
            Err(e) => {
                assert_eq!(reactor.backend(), Backend::Fallback, "{e}");
                assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
            }
        }
        // Malformed chains: empty, a last request that links on, a middle one that ends.
        let bad: [&[(Iocb, Link)]; 3] = [
            &[],
            &[(Iocb::noop(), Link::Next)],
            &[(Iocb::noop(), Link::End), (Iocb::noop(), Link::End)],
        ];
        if reactor.backend() == Backend::Uring {
            for chain in bad {
                // SAFETY: NOPs point at no memory.
                let e = unsafe { reactor.submit_chain(chain) }.unwrap_err();
                assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
            }
        }
        drop(buf);
    }
}
