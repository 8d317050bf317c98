//! No buffer is let go of while the kernel may still write into it. Pipe reads go into guard
//! buffers (mmap'ed pages that are never unmapped: a drop makes them `PROT_NONE`, or fills
//! them with poison); some are released (dropped) or cancelled before or after their pipe is
//! written, the rest kept. A buffer freed too early would show as a read failing with EFAULT
//! (`PROT_NONE`), or as poison overwritten after the drop (poison), or as pipe bytes gone
//! nowhere.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{DropLog, GuardBuf, OnDrop, Pipe, Prng, BACKENDS};
use ringaio_core::{Iocb, Target};
use ringaio_reactor::{Backend, Key, Reactor};

const PIPES: usize = 64;
const ROUNDS: usize = 8;
/// Bytes written to each pipe per round (one atomic write); each read asks for a page.
const LEN: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Keep,
    ReleaseBeforeWrite,
    CancelBeforeWrite,
    ReleaseAfterWrite,
    CancelAfterWrite,
}

impl Act {
    fn pick(rng: &mut Prng) -> Act {
        match rng.below(5) {
            0 => Act::Keep,
            1 => Act::ReleaseBeforeWrite,
            2 => Act::CancelBeforeWrite,
            3 => Act::ReleaseAfterWrite,
            _ => Act::CancelAfterWrite,
        }
    }

    fn releases(self) -> bool {
        matches!(self, Act::ReleaseBeforeWrite | Act::ReleaseAfterWrite)
    }
}

/// The bytes written for buffer `id`.
fn pattern(id: usize) -> Vec<u8> {
    (0..LEN).map(|i| (id * 31 + i * 7 + 1) as u8 | 1).collect()
}

struct Req {
    id: usize,
    key: Option<Key>,
    act: Act,
    buf: Option<GuardBuf>,
    token: Arc<()>,
}

#[derive(Debug, Default)]
struct Tally {
    efault: usize,
    wrong: Vec<String>,
    released_consumed: usize,
    released_not_consumed: usize,
    cancelled_won: usize,
}

/// Lets go of the read: the reactor keeps the buffer until the kernel is done with it (and
/// drops it at once if it is; the guard pages catch a drop that came too early).
fn release(reactor: &Reactor, req: &mut Req) {
    if let Some(key) = req.key.take() {
        reactor.release(key, req.buf.take());
    }
}

fn storm(backend: Backend, mode: OnDrop, seed: u64) {
    let reactor = common::reactor(backend);
    if !common::got(&reactor, backend) {
        return;
    }
    let pipes: Vec<Pipe> = (0..PIPES).map(|_| Pipe::new()).collect();
    let log = DropLog::default();
    let mut rng = Prng::new(seed);
    let mut tally = Tally::default();
    for round in 0..ROUNDS {
        let mut reqs: Vec<Req> = pipes
            .iter()
            .enumerate()
            .map(|(p, pipe)| {
                let id = round * PIPES + p;
                let mut buf = GuardBuf::new(id, 4096, mode, &log);
                let iocb = Iocb::pread(Target::Fd(pipe.rd()), buf.as_mut_ptr(), buf.len(), 0);
                // SAFETY: `buf` is kept until the result is taken, or released to the reactor.
                let key = unsafe { reactor.submit(&iocb) }.expect("submit");
                let token = buf.token.clone();
                Req {
                    id,
                    key: Some(key),
                    act: Act::pick(&mut rng),
                    buf: Some(buf),
                    token,
                }
            })
            .collect();
        if rng.below(2) == 0 {
            // Sometimes the reads reach the kernel before anything else happens to them.
            common::park(&reactor, Some(Duration::ZERO));
        }
        for req in &mut reqs {
            match req.act {
                Act::ReleaseBeforeWrite => release(&reactor, req),
                Act::CancelBeforeWrite => reactor.cancel(req.key.as_ref().expect("held")),
                _ => {}
            }
        }
        for req in &reqs {
            pipes[req.id % PIPES].write(&pattern(req.id));
        }
        for req in &mut reqs {
            match req.act {
                Act::ReleaseAfterWrite => release(&reactor, req),
                Act::CancelAfterWrite => reactor.cancel(req.key.as_ref().expect("held")),
                _ => {}
            }
        }
        // Collect what the waiters see, and whether each pipe's bytes were consumed.
        let mut consumed = [false; PIPES];
        for req in &mut reqs {
            if req.act.releases() {
                continue;
            }
            let outcome = common::wait(&reactor, req.key.take().expect("held"));
            let buf = req.buf.take().expect("kept until the result is taken");
            match outcome.result {
                n if n == LEN as i32 && buf.as_slice()[..LEN] == pattern(req.id)[..] => {
                    consumed[req.id % PIPES] = true;
                    if req.act != Act::Keep {
                        tally.cancelled_won += 1;
                    }
                }
                r if r == -libc::ECANCELED && req.act != Act::Keep => {}
                r if r == -libc::EFAULT => tally.efault += 1,
                r => tally
                    .wrong
                    .push(format!("{:?} {:?}: result {r}", req.act, req.id)),
            }
        }
        common::settle(&reactor);
        for req in &reqs {
            assert_eq!(
                Arc::strong_count(&req.token),
                1,
                "buffer {} ({:?}) still held after every completion",
                req.id,
                req.act
            );
        }
        let dropped = log.borrow();
        for req in reqs.iter().filter(|r| r.act.releases()) {
            let record = dropped
                .iter()
                .find(|d| d.id == req.id)
                .expect("every released buffer is dropped once the kernel is done");
            let want = pattern(req.id);
            if record.contents[..LEN] == want[..] {
                consumed[req.id % PIPES] = true;
                tally.released_consumed += 1;
            } else if record.contents.iter().all(|b| *b == 0) {
                tally.released_not_consumed += 1;
            } else {
                tally
                    .wrong
                    .push(format!("released {}: torn contents", req.id));
            }
        }
        if mode == OnDrop::Poison {
            for record in dropped.iter() {
                if !record.still_poisoned() {
                    tally.wrong.push(format!(
                        "buffer {} was written after it was dropped",
                        record.id
                    ));
                }
            }
        }
        drop(dropped);
        for (p, pipe) in pipes.iter().enumerate() {
            let left = pipe.take_pending();
            let id = round * PIPES + p;
            let want: Vec<u8> = if consumed[p] { Vec::new() } else { pattern(id) };
            if left != want {
                tally.wrong.push(format!(
                    "pipe {p} round {round}: {} bytes left, expected {} (bytes read into a \
                     buffer nobody saw alive)",
                    left.len(),
                    want.len()
                ));
            }
        }
    }
    assert_eq!(
        log.borrow().len(),
        PIPES * ROUNDS,
        "every buffer dropped once"
    );
    common::note(format_args!(
        "{backend:?} {mode:?}: released reads that still got the bytes: {}, cancelled by the \
         release: {}, cancels that lost the race: {}",
        tally.released_consumed, tally.released_not_consumed, tally.cancelled_won
    ));
    assert_eq!(
        tally.efault, 0,
        "{backend:?}: reads into freed buffers (EFAULT)"
    );
    assert!(
        tally.wrong.is_empty(),
        "{backend:?} {mode:?}: {:#?}",
        tally.wrong
    );
    assert_eq!(reactor.stats().slots, 0);
}

#[test]
fn prot_none_storm() {
    for backend in BACKENDS {
        storm(backend, OnDrop::ProtNone, 0x5eed_0001);
    }
}

#[test]
fn poison_storm() {
    for backend in BACKENDS {
        storm(backend, OnDrop::Poison, 0x5eed_0002);
    }
}
