//! What the reactor's integration tests share: building a reactor per backend (and saying so
//! when io_uring is missing), driving it without an executor, pipes, a seeded PRNG, and
//! guard buffers that catch the kernel writing into memory the reactor let go of.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::{Duration, Instant};

use ringaio_reactor::{Backend, Config, Key, Outcome, Polled, Reactor};

/// Both backends, in the order tests run them.
pub(crate) const BACKENDS: [Backend; 2] = [Backend::Uring, Backend::Fallback];

/// How long a drive loop may go without finishing before the test calls it a hang. Not a
/// timing assertion: nothing here takes more than a fraction of this unless it is stuck.
const HANG: Duration = Duration::from_secs(60);

/// How long one park may sleep inside the drive loops (they re-check their condition).
const NAP: Duration = Duration::from_millis(20);

/// Prints a skip line. Written to the real stderr rather than with `eprintln!`, which the test
/// harness captures and shows only for failing tests: a skip must never pass silently.
pub(crate) fn skip(why: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "skipped: {why}");
}

/// Prints a note (counts used, the path a race took) past the harness's capture.
pub(crate) fn note(what: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "note: {what}");
}

/// A reactor with the default configuration on `backend`.
pub(crate) fn reactor(backend: Backend) -> Reactor {
    reactor_with({
        let mut config = Config::default();
        config.backend = backend;
        config
    })
}

/// A reactor with `config`.
pub(crate) fn reactor_with(config: Config) -> Reactor {
    match Reactor::new(&config) {
        Ok(reactor) => reactor,
        Err(e) => panic!("Reactor::new({config:?}): {e}"),
    }
}

/// Whether `reactor` runs on io_uring; prints a skip line for `what` when it does not.
pub(crate) fn uring_or_skip(reactor: &Reactor, what: &str) -> bool {
    if reactor.backend() == Backend::Uring {
        return true;
    }
    skip(format_args!(
        "{what}: no io_uring here ({})",
        reactor.fallback_reason().unwrap_or("fallback backend")
    ));
    false
}

/// Whether `reactor` runs the backend that was asked for; prints a skip line when Uring was
/// asked for and the machine lacks it (the fallback run covers that backend already).
pub(crate) fn got(reactor: &Reactor, asked: Backend) -> bool {
    if reactor.backend() == asked {
        return true;
    }
    skip(format_args!(
        "{asked:?} asked for, {:?} given ({})",
        reactor.backend(),
        reactor.fallback_reason().unwrap_or("no reason given")
    ));
    false
}

/// A waker that counts its wake-ups.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicUsize);

impl Counter {
    pub(crate) fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and its counter.
pub(crate) fn counting_waker() -> (Arc<Counter>, Waker) {
    let counter = Arc::new(Counter::default());
    (counter.clone(), Waker::from(counter))
}

/// Polls `key` once with a throwaway waker: its outcome (the key gone), or the key back.
pub(crate) fn poll_once(reactor: &Reactor, key: Key) -> Result<Outcome, Key> {
    let (_, waker) = counting_waker();
    match reactor.poll(key, &mut Context::from_waker(&waker)) {
        Polled::Ready(outcome) => Ok(outcome),
        Polled::Pending(key) => Err(key),
    }
}

/// Parks until `key` is ready and returns its outcome.
pub(crate) fn wait(reactor: &Reactor, key: Key) -> Outcome {
    let (_, waker) = counting_waker();
    let mut cx = Context::from_waker(&waker);
    let start = Instant::now();
    let mut key = key;
    loop {
        key = match reactor.poll(key, &mut cx) {
            Polled::Ready(outcome) => return outcome,
            Polled::Pending(key) => key,
        };
        assert!(start.elapsed() < HANG, "hang: {key:?} never completed");
        park(reactor, Some(NAP));
    }
}

/// Parks until the reactor holds no slot at all: every orphan's final completion is in.
/// Call it only once every key the test still holds has been polled to `Ready`.
pub(crate) fn settle(reactor: &Reactor) {
    let start = Instant::now();
    while reactor.stats().slots > 0 {
        assert!(
            start.elapsed() < HANG,
            "hang: slots never emptied: {:?}",
            reactor.stats()
        );
        park(reactor, Some(NAP));
    }
}

/// Parks until `done()` holds; `what` names it if that never happens (a hang).
pub(crate) fn park_until(reactor: &Reactor, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < HANG, "hang: {what} never happened");
        park(reactor, Some(NAP));
    }
}

/// One park, which must not fail.
pub(crate) fn park(reactor: &Reactor, timeout: Option<Duration>) -> usize {
    match reactor.park(timeout) {
        Ok(n) => n,
        Err(e) => panic!("park: {e}"),
    }
}

/// A slot index, read from the key's `Debug` form (the tests watch slots being reused).
pub(crate) fn slot_index(key: &Key) -> u32 {
    let text = format!("{key:?}");
    let digits: String = text
        .split("index:")
        .nth(1)
        .unwrap_or_default()
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no slot index in {text}"))
}

/// A pipe with a blocking read end (io_uring arms a poll on it rather than failing EAGAIN).
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) rd: OwnedFd,
    pub(crate) wr: OwnedFd,
}

impl Pipe {
    pub(crate) fn new() -> Pipe {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two fds pipe2 writes.
        let res = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
        assert_eq!(res, 0, "pipe2: {}", io::Error::last_os_error());
        // SAFETY: pipe2 succeeded, so both are fresh fds that nothing else owns.
        let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Pipe { rd, wr }
    }

    pub(crate) fn rd(&self) -> RawFd {
        self.rd.as_raw_fd()
    }

    /// Writes all of `bytes` (at most `PIPE_BUF`, so in one atomic write).
    pub(crate) fn write(&self, bytes: &[u8]) {
        assert!(bytes.len() <= libc::PIPE_BUF);
        // SAFETY: `bytes` is live and readable for its length.
        let n = unsafe { libc::write(self.wr.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        assert_eq!(n, bytes.len() as isize, "{}", io::Error::last_os_error());
    }

    /// How many bytes wait in the pipe.
    pub(crate) fn pending(&self) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one int into `n`.
        let res = unsafe { libc::ioctl(self.rd(), libc::FIONREAD, &mut n) };
        assert_eq!(res, 0, "FIONREAD: {}", io::Error::last_os_error());
        n as usize
    }

    /// Reads every byte waiting in the pipe, without blocking.
    pub(crate) fn take_pending(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.pending()];
        let mut at = 0;
        while at < out.len() {
            // SAFETY: `out[at..]` is live and writable; the bytes are there, so no blocking.
            let n = unsafe { libc::read(self.rd(), out[at..].as_mut_ptr().cast(), out.len() - at) };
            assert!(n > 0, "read: {}", io::Error::last_os_error());
            at += n as usize;
        }
        out
    }
}

/// A small seeded PRNG (splitmix64): deterministic runs without the rand crate.
#[derive(Debug)]
pub(crate) struct Prng(u64);

impl Prng {
    pub(crate) fn new(seed: u64) -> Prng {
        Prng(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What a [`GuardBuf`] does to its pages when dropped. Either way the pages are never
/// unmapped, so their addresses are never handed out again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OnDrop {
    /// `mprotect(PROT_NONE)`: a later kernel write into them fails with EFAULT.
    ProtNone,
    /// Fill with [`POISON`] and keep them writable: a later kernel write changes the poison,
    /// which [`Dropped::still_poisoned`] sees.
    Poison,
}

/// The byte a [`OnDrop::Poison`] buffer is filled with when dropped.
pub(crate) const POISON: u8 = 0xdb;

/// A dropped guard buffer: where it was and what it held at the moment it was dropped.
#[derive(Debug)]
pub(crate) struct Dropped {
    pub(crate) id: usize,
    addr: usize,
    len: usize,
    mode: OnDrop,
    /// The contents when `drop` ran (before protection or poison).
    pub(crate) contents: Vec<u8>,
}

impl Dropped {
    /// Whether a poisoned buffer still holds only poison (nothing wrote into it after drop).
    pub(crate) fn still_poisoned(&self) -> bool {
        assert_eq!(self.mode, OnDrop::Poison);
        // SAFETY: poisoned pages stay mapped read-write forever (leaked, never unmapped).
        let bytes = unsafe { std::slice::from_raw_parts(self.addr as *const u8, self.len) };
        bytes.iter().all(|b| *b == POISON)
    }
}

/// The record of drops a set of guard buffers share.
pub(crate) type DropLog = Rc<RefCell<Vec<Dropped>>>;

/// Anonymous mmap'ed pages for the kernel to read into. Dropping one never unmaps it: the
/// pages are protected or poisoned ([`OnDrop`]) and leaked, so if the reactor ever drops one
/// before the kernel is done with it, the kernel's late write shows (EFAULT, or changed
/// poison) instead of landing in someone else's memory.
#[derive(Debug)]
pub(crate) struct GuardBuf {
    id: usize,
    ptr: NonNull<u8>,
    len: usize,
    mode: OnDrop,
    log: DropLog,
    /// Counts who holds the buffer: the test keeps a clone to watch `strong_count`.
    pub(crate) token: Arc<()>,
}

impl GuardBuf {
    /// `len` bytes (rounded up to whole pages), zeroed.
    pub(crate) fn new(id: usize, len: usize, mode: OnDrop, log: &DropLog) -> GuardBuf {
        // SAFETY: sysconf takes no pointers.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        let len = len.max(1).div_ceil(page) * page;
        // SAFETY: a fresh anonymous private mapping; no existing memory is touched.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(
            addr,
            libc::MAP_FAILED,
            "mmap: {}",
            io::Error::last_os_error()
        );
        let ptr = NonNull::new(addr.cast::<u8>()).expect("mmap never returns null on success");
        GuardBuf {
            id,
            ptr,
            len,
            mode,
            log: log.clone(),
            token: Arc::new(()),
        }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        // SAFETY: the pages are mapped read-write while the buffer is alive.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for GuardBuf {
    fn drop(&mut self) {
        let contents = self.as_slice().to_vec();
        match self.mode {
            OnDrop::ProtNone => {
                // SAFETY: the range is exactly our own mapping, which nothing else uses.
                let res = unsafe { libc::mprotect(self.ptr.as_ptr().cast(), self.len, 0) };
                assert_eq!(res, 0, "mprotect: {}", io::Error::last_os_error());
            }
            OnDrop::Poison => {
                // SAFETY: the pages are mapped read-write and ours alone.
                unsafe { std::ptr::write_bytes(self.ptr.as_ptr(), POISON, self.len) };
            }
        }
        self.log.borrow_mut().push(Dropped {
            id: self.id,
            addr: self.ptr.as_ptr() as usize,
            len: self.len,
            mode: self.mode,
            contents,
        });
    }
}

/// Counts the entries of `/proc/self/fd` (including the one the listing itself uses).
pub(crate) fn open_fds() -> usize {
    match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir.count(),
        Err(e) => panic!("/proc/self/fd: {e}"),
    }
}

/// How many of this process's threads are blocked opening a FIFO that has no partner yet
/// (`wchan` = `wait_for_partner`): blocking-pool threads and io_uring's io-wq workers alike.
pub(crate) fn threads_opening_fifos() -> usize {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter(|task| {
            std::fs::read_to_string(task.path().join("wchan"))
                .is_ok_and(|w| w.trim() == "wait_for_partner")
        })
        .count()
}

/// A FIFO in a fresh temp directory, both removed on drop.
#[derive(Debug)]
pub(crate) struct Fifo {
    dir: std::path::PathBuf,
    pub(crate) path: std::ffi::CString,
}

impl Fifo {
    pub(crate) fn new(tag: &str) -> Fifo {
        use std::os::unix::ffi::OsStrExt;
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ringaio-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create scratch dir");
        let path = std::ffi::CString::new(dir.join("fifo").as_os_str().as_bytes())
            .expect("no NUL in a temp path");
        // SAFETY: `path` is a valid C string.
        let res = unsafe { libc::mkfifo(path.as_ptr(), 0o600) };
        assert_eq!(res, 0, "mkfifo: {}", io::Error::last_os_error());
        Fifo { dir, path }
    }

    /// Opens the write end without blocking: `None` (ENXIO) while no reader has it open.
    pub(crate) fn try_open_writer(&self) -> Option<OwnedFd> {
        let flags = libc::O_WRONLY | libc::O_NONBLOCK | libc::O_CLOEXEC;
        // SAFETY: `path` is a valid C string.
        let fd = unsafe { libc::open(self.path.as_ptr(), flags) };
        if fd < 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.raw_os_error(), Some(libc::ENXIO), "open fifo writer: {e}");
            return None;
        }
        // SAFETY: open succeeded: a fresh fd nothing else owns.
        Some(unsafe { OwnedFd::from_raw_fd(fd) })
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Keeps panics whose message is `msg` (the ones a test provokes on purpose) out of the test
/// output; every other panic is reported as usual. Installed once per test binary.
#[allow(dead_code)]
pub(crate) fn quiet_panics(msg: &'static str) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let ours = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|s| s.contains(msg));
            if !ours {
                previous(info);
            }
        }));
    });
}

/// The key of a poll that must still be pending.
#[track_caller]
pub(crate) fn expect_pending(polled: Polled) -> Key {
    match polled {
        Polled::Pending(key) => key,
        Polled::Ready(outcome) => panic!("expected Pending, got {outcome:?}"),
    }
}
