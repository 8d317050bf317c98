//! A storm: 100,000 reads (4 KiB at random offsets of a 16 MiB file of known content, some
//! straddling or past its end, plus pipe reads) in waves, with random releases and cancels,
//! before and after the requests reach the kernel. Every read a waiter sees holds exactly the
//! file's (or pipe's) bytes; no read fails with EFAULT; every buffer dropped is filled with
//! poison and checked once the wave is over, so a kernel write after a drop shows; at the end
//! the reactor holds no slot and every resource has been dropped.

mod common;

use std::cell::RefCell;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use common::{Pipe, Prng, BACKENDS};
use ringaio_core::{Iocb, Opcode, Target};
use ringaio_reactor::{Backend, Config, Key, Outcome, Polled, Reactor};

const FILE_SIZE: usize = 16 << 20;
const READ: usize = 4096;
const TOTAL: usize = 100_000;
/// The fallback backend runs every read as a syscall on a pool thread, and slows down as the
/// storm goes on: every cancel that reaches the pool after a job finished but before its
/// result is reaped stays in the pool's `cancelled` list for good (`pool.rs`, `Pool::cancel`),
/// and every completion scans that list under the pool's lock. 100,000 reads take about 5 s
/// in debug mode there (0.6 s without the leak), so it runs fewer.
const TOTAL_FALLBACK: usize = 30_000;
/// Requests per wave: more than the ring's CQ budget (255 with 256 entries), so some queue.
const WAVE: usize = 1000;
const PIPES: usize = 8;
const PIPE_BYTES: usize = 64;
const POISON: u8 = 0xdb;

/// Buffers dropped (by the waiter or by the reactor) are poisoned and parked here until the
/// wave is over, then checked and reused.
type Quarantine = Rc<RefCell<Vec<Vec<u8>>>>;

/// One request's memory, as released to the reactor.
struct StormBuf {
    buf: Vec<u8>,
    quarantine: Quarantine,
    _token: Arc<()>,
}

impl Drop for StormBuf {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.fill(POISON);
        self.quarantine.borrow_mut().push(buf);
    }
}

/// Wakes by noting the request's id.
struct Woken {
    id: usize,
    list: Arc<Mutex<Vec<usize>>>,
}

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.list
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.id);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    File { offset: usize },
    Pipe { pipe: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Keep,
    ReleaseEarly,
    CancelEarly,
    ReleaseLate,
    CancelLate,
}

struct Req {
    key: Option<Key>,
    what: What,
    act: Act,
    buf: Option<StormBuf>,
    waker: Waker,
    done: bool,
}

#[derive(Debug, Default)]
struct Tally {
    completed: usize,
    cancelled: usize,
    released: usize,
    efault: usize,
    wrong: Vec<String>,
}

fn content() -> Vec<u8> {
    let mut rng = Prng::new(0xf11e);
    let mut data = vec![0u8; FILE_SIZE];
    for chunk in data.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next().to_le_bytes());
    }
    data
}

fn pipe_pattern(wave: usize, pipe: usize) -> Vec<u8> {
    (0..PIPE_BYTES)
        .map(|i| (wave * 13 + pipe * 7 + i) as u8)
        .collect()
}

/// Checks what a waiter got.
fn check(req: &Req, outcome: Outcome, wave: usize, data: &[u8], tally: &mut Tally) {
    let buf = &req.buf.as_ref().expect("the waiter holds its buffer").buf;
    let cancellable = matches!(req.act, Act::CancelEarly | Act::CancelLate);
    match outcome.result {
        r if r == -libc::ECANCELED && cancellable => tally.cancelled += 1,
        r if r == -libc::EFAULT => tally.efault += 1,
        r if r < 0 => tally
            .wrong
            .push(format!("{:?} {:?}: error {r}", req.what, req.act)),
        n => {
            let n = n as usize;
            let want: &[u8] = match req.what {
                What::File { offset } => {
                    &data[offset.min(FILE_SIZE)..(offset + READ).min(FILE_SIZE)]
                }
                What::Pipe { pipe } => &pipe_pattern(wave, pipe),
            };
            if n != want.len() || buf[..n] != *want {
                tally.wrong.push(format!(
                    "{:?} {:?}: {n} bytes, wanted {} (or wrong contents)",
                    req.what,
                    req.act,
                    want.len()
                ));
            }
            tally.completed += 1;
        }
    }
}

fn storm(config: Config, total: usize, file: &File, data: &[u8]) {
    let backend = config.backend;
    let reactor = common::reactor_with(config);
    if !common::got(&reactor, backend) {
        return;
    }
    let started = Instant::now();
    let pipes: Vec<Pipe> = (0..PIPES).map(|_| Pipe::new()).collect();
    let quarantine = Quarantine::default();
    let mut free: Vec<Vec<u8>> = Vec::new();
    let token = Arc::new(());
    let woken = Arc::new(Mutex::new(Vec::new()));
    let poison = vec![POISON; READ];
    let mut rng = Prng::new(0x5707_u64 ^ backend as u64);
    let mut tally = Tally::default();
    let mut submitted = 0;
    let mut wave = 0;
    while submitted < total {
        let n = WAVE.min(total - submitted);
        let mut pipe_used = [false; PIPES];
        let mut reqs: Vec<Req> = Vec::with_capacity(n);
        for id in 0..n {
            let free_pipe = (0..PIPES).find(|p| !pipe_used[*p]);
            let what = match (rng.below(64), free_pipe) {
                (0, Some(pipe)) => {
                    pipe_used[pipe] = true;
                    What::Pipe { pipe }
                }
                _ => {
                    let offset = match rng.below(200) {
                        0 => FILE_SIZE + rng.below(READ as u64) as usize,
                        1 | 2 => FILE_SIZE - rng.below(READ as u64) as usize,
                        _ => rng.below((FILE_SIZE - READ) as u64) as usize,
                    };
                    What::File { offset }
                }
            };
            let act = match rng.below(100) {
                0..=69 => Act::Keep,
                70..=77 => Act::ReleaseEarly,
                78..=85 => Act::CancelEarly,
                86..=92 => Act::ReleaseLate,
                _ => Act::CancelLate,
            };
            let mut buf = free.pop().unwrap_or_else(|| vec![0; READ]);
            buf.fill(0);
            let mut res = StormBuf {
                buf,
                quarantine: quarantine.clone(),
                _token: token.clone(),
            };
            let iocb = match what {
                What::File { offset } => Iocb::pread(
                    Target::Fd(file.as_raw_fd()),
                    res.buf.as_mut_ptr(),
                    READ,
                    offset as u64,
                ),
                What::Pipe { pipe } => {
                    Iocb::pread(Target::Fd(pipes[pipe].rd()), res.buf.as_mut_ptr(), READ, 0)
                }
            };
            // SAFETY: `res`'s heap buffer is kept in `reqs` until the result is taken, or
            // released to the reactor; moving `res` does not move it.
            let key = unsafe { reactor.submit(&iocb) }.expect("submit");
            let waker = Waker::from(Arc::new(Woken {
                id,
                list: woken.clone(),
            }));
            let mut req = Req {
                key: Some(key),
                what,
                act,
                buf: Some(res),
                waker,
                done: false,
            };
            match act {
                Act::ReleaseEarly => release(&reactor, &mut req, &mut tally),
                Act::CancelEarly => {
                    if let Some(key) = &req.key {
                        reactor.cancel(key);
                    }
                }
                _ => {}
            }
            reqs.push(req);
        }
        submitted += n;
        // Register every waiter's waker before anything can complete unseen.
        for req in reqs.iter_mut().filter(|r| !r.done) {
            let Some(key) = req.key.take() else {
                continue;
            };
            let polled = reactor.poll(key, &mut Context::from_waker(&req.waker));
            if let Some(outcome) = take_ready(req, polled) {
                check(req, outcome, wave, data, &mut tally);
                req.done = true;
                req.buf = None;
            }
        }
        common::park(&reactor, Some(Duration::ZERO));
        for req in reqs.iter_mut().filter(|r| !r.done) {
            match req.act {
                Act::ReleaseLate => release(&reactor, req, &mut tally),
                Act::CancelLate => {
                    if let Some(key) = &req.key {
                        reactor.cancel(key);
                    }
                }
                _ => {}
            }
        }
        for (pipe, used) in pipe_used.iter().enumerate() {
            if *used {
                pipes[pipe].write(&pipe_pattern(wave, pipe));
            }
        }
        let mut left = reqs.iter().filter(|r| !r.done).count();
        let start = Instant::now();
        while left > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "hang: {left} reads never completed: {:?}",
                reactor.stats()
            );
            common::park(&reactor, Some(Duration::from_millis(20)));
            let ids = std::mem::take(&mut *woken.lock().unwrap_or_else(|e| e.into_inner()));
            for id in ids {
                let req = &mut reqs[id];
                if req.done {
                    continue;
                }
                let Some(key) = req.key.take() else {
                    continue;
                };
                let polled = reactor.poll(key, &mut Context::from_waker(&req.waker));
                if let Some(outcome) = take_ready(req, polled) {
                    check(req, outcome, wave, data, &mut tally);
                    req.done = true;
                    req.buf = None;
                    left -= 1;
                }
            }
        }
        common::settle(&reactor);
        // The kernel is done with every buffer of the wave: none may have changed since it
        // was dropped.
        for buf in quarantine.borrow_mut().drain(..) {
            if buf != poison {
                tally
                    .wrong
                    .push(format!("wave {wave}: a buffer was written after its drop"));
            }
            free.push(buf);
        }
        for pipe in &pipes {
            pipe.take_pending();
        }
        wave += 1;
    }
    let stats = reactor.stats();
    common::note(format_args!(
        "{backend:?}: {total} reads ({} via the ring, {} via the pool) in {wave} waves \
         ({:?}): {} completed, {} cancelled, {} released",
        stats.via_ring,
        stats.via_pool,
        started.elapsed(),
        tally.completed,
        tally.cancelled,
        tally.released
    ));
    assert_eq!(
        tally.efault, 0,
        "{backend:?}: reads into freed memory (EFAULT)"
    );
    assert!(
        tally.wrong.is_empty(),
        "{backend:?}: {:#?}",
        &tally.wrong[..tally.wrong.len().min(20)]
    );
    assert_eq!(stats.slots, 0);
    assert_eq!(stats.cq_overflow, 0);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "{backend:?}: resources never dropped"
    );
}

/// The outcome of a poll, or the key put back into `req`.
fn take_ready(req: &mut Req, polled: Polled) -> Option<Outcome> {
    match polled {
        Polled::Ready(outcome) => Some(outcome),
        Polled::Pending(key) => {
            req.key = Some(key);
            None
        }
    }
}

fn release(reactor: &Reactor, req: &mut Req, tally: &mut Tally) {
    if let Some(key) = req.key.take() {
        reactor.release(key, req.buf.take());
    }
    req.done = true;
    tally.released += 1;
}

/// The 16 MiB file, written and opened (then unlinked), and its content.
fn data_file(tag: &str) -> (File, Vec<u8>) {
    let data = content();
    let name = format!("ringaio-storm-{tag}-{}", std::process::id());
    let dir = std::env::temp_dir().join(name);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    let path = dir.join("data");
    std::fs::write(&path, &data).expect("write the file");
    let file = File::open(&path).expect("open the file");
    let _ = std::fs::remove_dir_all(&dir);
    (file, data)
}

#[test]
fn storm_of_reads_with_releases_and_cancels() {
    let (file, data) = data_file("both");
    for backend in BACKENDS {
        let total = match backend {
            Backend::Uring => TOTAL,
            Backend::Fallback => TOTAL_FALLBACK,
        };
        let config = {
            let mut config = Config::default();
            config.backend = backend;
            config
        };
        storm(config, total, &file, &data);
    }
}

/// Reads forbidden on the ring run on the pool beside it (as opcodes the kernel lacks do):
/// their completions reach the reactor through the pool's wake-up of the ring.
#[test]
fn storm_on_the_pool_beside_a_ring() {
    let (file, data) = data_file("beside");
    let config = {
        let mut config = Config::default();
        config.forbid = vec![Opcode::Pread];
        config
    };
    storm(config, TOTAL_FALLBACK / 3, &file, &data);
}
