//! Shared helpers for the integration tests: runtimes on both backends, temporary paths,
//! pipes, a drop-counting buffer, a seeded generator, a poll-until loop and a hang detector.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Poll;
use std::time::Duration;

use ringaio::buf::{IoBuf, IoBufMut};
use ringaio::fs::File;
use ringaio::{Backend, Builder, Pool, Runtime};

/// Both backends, for tests whose body runs on each.
pub const BACKENDS: [Backend; 2] = [Backend::Uring, Backend::Fallback];

/// Most 1 ms sleeps [`wait_until`] takes before it fails the test: a bound on hangs, not a
/// timing assertion.
pub const WAIT_ROUNDS: usize = 20_000;

/// How long [`watchdog`] lets a test body run before calling it hung.
pub const HANG_LIMIT: Duration = Duration::from_secs(120);

/// A runtime on `backend`. When io_uring was asked for but is unavailable, says so: the
/// test then runs on the fallback, and uring-specific checks must look at
/// [`Runtime::backend`].
///
/// # Panics
/// When the runtime cannot be built.
pub fn runtime(backend: Backend) -> Runtime {
    let rt = Runtime::builder()
        .backend(backend)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a {backend:?} runtime: {e}"));
    if backend == Backend::Uring && rt.backend() != Backend::Uring {
        eprintln!(
            "skipped: uring-specific checks: io_uring is unavailable ({}); running on the fallback",
            rt.fallback_reason().unwrap_or("no reason given")
        );
    }
    rt
}

/// A pool of `threads` runtime threads on `backend`.
///
/// # Panics
/// When the pool cannot be built.
pub fn pool(backend: Backend, threads: usize) -> Pool {
    let mut runtime = Runtime::builder();
    runtime.backend(backend);
    Pool::builder()
        .threads(threads)
        .runtime(runtime)
        .build()
        .unwrap_or_else(|e| panic!("cannot build a {backend:?} pool of {threads}: {e}"))
}

/// A runtime from `builder` with a registered-buffer slot table on io_uring; `None`, after
/// saying why, where it has none (the fallback backend, a kernel before 5.19, a table of 0).
///
/// # Panics
/// When the runtime cannot be built.
pub fn slot_table_runtime(builder: &mut Builder) -> Option<Runtime> {
    let rt = builder
        .build()
        .unwrap_or_else(|e| panic!("cannot build a runtime: {e}"));
    if rt.backend() != Backend::Uring || rt.stats().buffer_slots == 0 {
        say!(
            "skipped: no io_uring registered-buffer slot table here ({})",
            rt.fallback_reason().unwrap_or("no slots")
        );
        return None;
    }
    Some(rt)
}

/// Opens `path` for reading and writing, created empty (truncated if it exists).
///
/// # Errors
/// As `openat`.
pub async fn create_rw(path: impl AsRef<Path>) -> io::Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .await
}

/// A path removed (if it exists) when dropped.
#[derive(Debug)]
pub struct TempPath(PathBuf);

impl TempPath {
    /// A fresh name in `dir` (pass `env!("CARGO_TARGET_TMPDIR")`), unique in this process.
    ///
    /// # Panics
    /// When `dir` cannot be created.
    pub fn new(dir: impl AsRef<Path>, tag: &str) -> TempPath {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TempPath(dir.join(format!("ringaio-{tag}-{}-{n}", std::process::id())))
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A fresh, empty directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory in `dir` (pass `env!("CARGO_TARGET_TMPDIR")`), unique in this process.
    ///
    /// # Panics
    /// When it cannot be created.
    pub fn new(dir: impl AsRef<Path>, tag: &str) -> TempDir {
        let path = TempPath::new(dir, tag).path().to_owned();
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        TempDir(path)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A pipe as two std files: `(read end, write end)`, both blocking and close-on-exec.
///
/// # Errors
/// As `pipe2(2)`.
pub fn pipe() -> io::Result<(std::fs::File, std::fs::File)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two fds into a live array of two c_ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded: both fds are new and owned by nobody else.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((r.into(), w.into()))
}

/// How many fds this process has open (`/proc/self/fd`, the listing's own included): tests
/// that count it run one at a time in their binary, since other tests open fds too.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// A buffer that holds a clone of an `Arc<()>` for as long as it lives: the `Arc`'s strong
/// count shows whether anyone (the reactor, after a cancel) still keeps it.
#[derive(Debug)]
pub struct CountedBuf {
    _alive: Arc<()>,
    data: Vec<u8>,
}

impl CountedBuf {
    /// An empty buffer with room for `capacity` bytes, counted by `alive`.
    pub fn new(alive: &Arc<()>, capacity: usize) -> CountedBuf {
        CountedBuf {
            _alive: alive.clone(),
            data: Vec::with_capacity(capacity),
        }
    }

    /// The initialized bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.data
    }
}

// SAFETY: the bytes live in the Vec's heap block, which does not move when the buffer is
// moved and is freed only when the buffer is dropped; `len` bytes of it are initialized.
unsafe impl IoBuf for CountedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.data.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.data.len()
    }
    fn bytes_total(&self) -> usize {
        self.data.capacity()
    }
}

// SAFETY: as for IoBuf; the Vec's whole capacity is ours to write through `as_mut_ptr`.
unsafe impl IoBufMut for CountedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.data.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        // SAFETY: our caller promises the first `pos` bytes are initialized, within capacity.
        unsafe { self.data.set_init(pos) };
    }
}

/// Sleeps 1 ms on the current runtime (so it keeps reaping completions) until `cond` holds.
///
/// # Panics
/// After [`WAIT_ROUNDS`] sleeps, naming `what`; when no runtime runs.
pub async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    for _ in 0..WAIT_ROUNDS {
        if cond() {
            return;
        }
        ringaio::time::sleep(Duration::from_millis(1))
            .await
            .expect("sleep");
    }
    panic!("gave up waiting for {what} after {WAIT_ROUNDS} sleeps");
}

/// Spawns `n` reads of `pipe` (a pipe's read end nobody writes to: reads that never finish)
/// on the current runtime `rt`, and yields until all `n` are in its ring or queued behind the
/// in-flight budget. Yields, not sleeps: a sleep is itself a timer.
///
/// # Panics
/// When the reads have not all been submitted after 100,000 yields.
pub async fn idle_reads(rt: &Runtime, pipe: &std::rc::Rc<File>, n: usize) {
    for _ in 0..n {
        let pipe = pipe.clone();
        ringaio::spawn(async move {
            let _ = pipe.read_at(Vec::with_capacity(16), 0).await;
        });
    }
    for _ in 0..100_000 {
        let stats = rt.stats();
        if stats.in_flight + stats.queued >= n {
            return;
        }
        yield_now().await;
    }
    let stats = rt.stats();
    assert!(stats.in_flight + stats.queued >= n, "{stats:?}");
}

/// Returns `Pending` once, waking itself: the runtime runs its other tasks and reaps
/// completions (without waiting) before polling the caller again. Unlike a sleep it needs no
/// request, so it works even while the ring is full.
pub async fn yield_now() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
}

/// Runs `body` on its own thread and fails the test if it has not finished within
/// [`HANG_LIMIT`], so a hang shows as a failure rather than a stuck `cargo test`. Panics in
/// `body` are passed on.
pub fn watchdog<T: Send + 'static>(name: &str, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let out = body();
            let _ = done.send(());
            out
        })
        .expect("spawn test thread");
    match finished.recv_timeout(HANG_LIMIT) {
        // Disconnected: the body panicked; join passes the panic on.
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: hung (still running after {HANG_LIMIT:?})")
        }
    }
}

/// A small seeded generator (SplitMix64): reproducible tests without a dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Fills `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        for chunk in out.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// `eprintln!` that the test harness does not capture: a skipped test's reason shows in a
/// plain `cargo test` run instead of vanishing with a passing test's output.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// An address on the IPv4 loopback with a port the kernel picks.
pub fn loopback() -> std::net::SocketAddr {
    std::net::SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A TCP connection over loopback: `(client, server)`.
///
/// # Panics
/// When the listener, the connect or the accept fails.
pub async fn tcp_pair() -> (ringaio::net::TcpStream, ringaio::net::TcpStream) {
    let listener = ringaio::net::TcpListener::bind(loopback()).expect("bind");
    let addr = listener.local_addr().expect("local_addr");
    let client = ringaio::net::TcpStream::connect(addr)
        .await
        .expect("connect");
    let (server, _) = listener.accept().await.expect("accept");
    (client, server)
}
