//! `Runtime`, its builder, and `block_on`.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use ringaio_core::Opcode;
use ringaio_reactor::{Backend, Config, Reactor, Stats};

use crate::context::{self, Handle};
use crate::executor::{Executor, MAIN_TASK};
use crate::schedule::Shared;
use crate::task::CurrentTask;
use crate::JoinHandle;

/// Tasks run per tick before the reactor is polled again.
const TASKS_PER_TICK: usize = 128;

/// Failed waits in a row, with requests in the ring, after which `block_on` gives up (the
/// ring retries interruptions and a busy kernel itself).
const WAIT_FAILURES: u32 = 3;

/// Configures a [`Runtime`].
#[derive(Clone, Debug)]
pub struct Builder {
    config: Config,
    backend_set: bool,
}

impl Builder {
    /// SQ entries. Default 256. The CQ gets twice as many, and at least 4096, so that
    /// requests that wait long (pipe reads) do not fill the in-flight budget.
    pub fn entries(&mut self, entries: u32) -> &mut Self {
        self.config.entries = entries;
        self
    }

    /// Kernel-side SQ polling, sleeping after `idle` without work.
    pub fn sqpoll(&mut self, idle: Duration) -> &mut Self {
        self.config.sqpoll = Some(idle);
        self
    }

    /// Where operations run. Default: `RINGAIO_BACKEND` if set, else [`Backend::Uring`]
    /// (which still falls back to the thread pool when io_uring is unavailable).
    pub fn backend(&mut self, backend: Backend) -> &mut Self {
        self.config.backend = backend;
        self.backend_set = true;
        self
    }

    /// Most threads of the blocking pool (fallback operations). Default 16.
    pub fn pool_threads(&mut self, threads: usize) -> &mut Self {
        self.config.pool_threads = threads;
        self
    }

    /// Slots in the ring's registered-file table for the runtime to hand out (default 1024;
    /// 0 turns them off): a `File` used often enough (64 requests) takes one, if one is
    /// free, so its later requests skip the kernel's fd lookup; `fs::read` and `fs::write`
    /// borrow one for each linked open → read/write → close.
    pub fn fixed_files(&mut self, slots: u32) -> &mut Self {
        self.config.fixed_files = slots;
        self
    }

    /// Slots after those for files opened straight into the table, direct descriptors
    /// ([`OpenOptions::direct`](crate::fs::OpenOptions::direct); default 4096, 0 turns them
    /// off). The whole table is cut to `RLIMIT_NOFILE`. When they are all taken, direct
    /// opens fall back to plain fds.
    pub fn direct_files(&mut self, slots: u32) -> &mut Self {
        self.config.direct_files = slots;
        self
    }

    /// Slots in the ring's registered-buffer table (default 1024, at most 16384; 0 turns it
    /// off). An
    /// [`AlignedBuf`](crate::buf::AlignedBuf) used for I/O again and again takes one while
    /// it lives, if one is free, and its reads and writes then skip the kernel's mapping of
    /// its pages; [`FixedBufPool`](crate::buf::FixedBufPool)s take one per buffer.
    pub fn fixed_buffers(&mut self, slots: u16) -> &mut Self {
        self.config.fixed_buffers = slots;
        self
    }

    /// Runs `op` on the blocking pool even if the kernel has it.
    pub fn forbid_opcode(&mut self, op: Opcode) -> &mut Self {
        self.config.forbid.push(op);
        self
    }

    /// How long dropping the runtime waits for the kernel to finish cancelled requests before
    /// leaking their memory. Default 5 s.
    pub fn shutdown_timeout(&mut self, bound: Duration) -> &mut Self {
        self.config.shutdown_timeout = bound;
        self
    }

    /// Builds the runtime.
    ///
    /// # Errors
    /// An invalid `RINGAIO_BACKEND` value (the message names the valid ones); ring setup errors
    /// other than "io_uring unavailable" (which selects the fallback backend instead).
    pub fn build(&self) -> io::Result<Runtime> {
        let mut config = self.config.clone();
        if !self.backend_set {
            if let Some(backend) = Backend::from_env()? {
                config.backend = backend;
            }
        }
        let reactor = Rc::new(Reactor::new(&config)?);
        probe(&reactor)?;
        let executor = Executor::new(reactor.notifier().clone());
        // Requests a task awaits name it by token: no waker clone per request.
        // (The executor holds no reference to the reactor: no cycle.)
        let waking = executor.clone();
        reactor.set_task_waker(Box::new(move |tokens| waking.wake_tasks(tokens)));
        Ok(Runtime {
            handle: Rc::new(Handle { reactor, executor }),
        })
    }
}

/// A single-threaded runtime: one ring, one task queue, on the thread that runs it
/// (thread-per-core: build one per thread).
///
/// Dropping it drops every task (cancelling their operations), then waits for the kernel to
/// finish with every request, within the shutdown bound.
pub struct Runtime {
    handle: Rc<Handle>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

struct MainWaker {
    shared: Arc<Shared>,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // Completions often wake the main future many times per tick: once is enough.
        if self.shared.main_woken.raise() {
            self.shared.unpark();
        }
    }
}

impl Runtime {
    /// A builder with the defaults.
    pub fn builder() -> Builder {
        Builder {
            config: Config::default(),
            backend_set: false,
        }
    }

    /// A runtime with the defaults.
    ///
    /// # Errors
    /// As [`Builder::build`].
    pub fn new() -> io::Result<Runtime> {
        Runtime::builder().build()
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.handle.reactor.backend()
    }

    /// Why the runtime runs every operation on its thread pool, if it does: io_uring was
    /// unavailable at start (the cause and the fix), the fallback backend was asked for, or
    /// the ring could not be entered. The same text as the warning the runtime logs through
    /// `tracing`, for applications without a subscriber.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.handle.reactor.fallback_reason()
    }

    /// The reactor's counters.
    pub fn stats(&self) -> Stats {
        self.handle.reactor.stats()
    }

    /// A [`Handle`](crate::Handle) to this runtime: `Send + Sync`, for spawning onto it from
    /// other threads.
    pub fn handle(&self) -> crate::Handle {
        crate::Handle::new(self.handle.executor.shared.clone())
    }

    /// Spawns `future` on this runtime; it runs while the runtime runs a `block_on`.
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.handle.executor.spawn(future)
    }

    /// Runs `future` to completion on this thread, running spawned tasks and the reactor
    /// meanwhile. Each tick runs the queued tasks, then enters the kernel once for all the
    /// requests they made (and waits there only when nothing is runnable).
    ///
    /// When the ring cannot be entered (`io_uring_enter` fails, say under a seccomp profile
    /// that denies it) while it holds no request yet, the runtime switches to the blocking
    /// pool, as when io_uring is unavailable at start ([`fallback_reason`](Runtime::fallback_reason)
    /// says why).
    ///
    /// # Panics
    /// When called from inside a ringaio runtime (that would deadlock); when `future` panics;
    /// when waiting for completions fails again and again with requests already in the ring
    /// (the message carries the error).
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let _enter = context::enter(self.handle.clone());
        let executor = &self.handle.executor;
        let reactor = &self.handle.reactor;
        let shared = executor.shared.clone();
        let _running = shared.enter();
        shared.main_woken.raise();
        let waker = Waker::from(Arc::new(MainWaker {
            shared: shared.clone(),
        }));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        let woken = &shared.main_woken;
        // A ring that cannot be entered shows here, before a request reaches it.
        let mut failures = 0;
        if let Err(e) = probe(reactor) {
            wait_failed(reactor, &e, &mut failures);
        }
        loop {
            if woken.take() {
                let _current = CurrentTask::enter(reactor, MAIN_TASK, &waker);
                if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                    return out;
                }
            }
            executor.run(TASKS_PER_TICK, reactor);
            let mut timeout = Some(Duration::ZERO);
            if !woken.is_raised() && !executor.has_work() {
                shared.park.announce();
                if !woken.is_raised() && !executor.has_work() {
                    timeout = None;
                }
            }
            let waited = reactor.wait(timeout);
            // Awake before the wakers run: their wakes need no eventfd write.
            shared.park.awake();
            reactor.drain();
            match waited {
                Ok(()) => failures = 0,
                Err(e) => wait_failed(reactor, &e, &mut failures),
            }
        }
    }
}

/// Submits what is queued without waiting (arming the wake read on a new ring): a ring that
/// cannot be entered shows before any request reaches it, and the reactor then switches to
/// the blocking pool. No system call on a ring with nothing queued.
///
/// # Errors
/// The enter's error, when the reactor could not switch.
fn probe(reactor: &Reactor) -> io::Result<()> {
    if reactor.backend() != Backend::Uring {
        return Ok(());
    }
    match reactor.wait(Some(Duration::ZERO)) {
        Err(e) if !reactor.fall_back(&enter_failure_reason(&e)) => Err(e),
        _ => Ok(()),
    }
}

/// A failed wait: the reactor switches to the blocking pool if its ring holds nothing yet;
/// otherwise the wait is tried again after 1 ms, and after [`WAIT_FAILURES`] in a row
/// `block_on` panics with the error (looping on it would hang the caller for good).
fn wait_failed(reactor: &Reactor, e: &io::Error, failures: &mut u32) {
    if reactor.fall_back(&enter_failure_reason(e)) {
        *failures = 0;
        return;
    }
    *failures += 1;
    if *failures >= WAIT_FAILURES {
        panic!(
            "ringaio: waiting for completions failed {failures} times in a row with requests \
             in flight: {e}"
        );
    }
    tracing::error!(error = %e, "ringaio: waiting for completions failed");
    std::thread::sleep(Duration::from_millis(1));
}

/// Why the runtime gave up its ring after `e` from `io_uring_enter`.
fn enter_failure_reason(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EPERM | libc::EACCES) => format!(
            "io_uring_enter was refused ({e}) although io_uring_setup was allowed: a seccomp \
             profile denies it; allow io_uring_enter to use io_uring"
        ),
        _ => format!("io_uring_enter failed before any request reached the ring: {e}"),
    }
}

impl Drop for Runtime {
    /// Drops every task with the runtime current (a task's `Drop` may spawn: the new task is
    /// dropped too, unpolled), then shuts the reactor down; tasks spawned by what the reactor
    /// drops meanwhile are dropped last.
    fn drop(&mut self) {
        let _enter = context::enter_for_shutdown(self.handle.clone());
        self.handle.executor.shutdown();
        self.handle.reactor.shutdown();
        self.handle.executor.shutdown();
    }
}

/// Runs `future` to completion on this thread's runtime with the default settings.
///
/// The runtime is kept in a thread-local and used again by the next `block_on` on this
/// thread (building one costs a ring setup, some 200 µs), when that cannot be told from a
/// fresh one: only if `block_on` returned with no task left, nothing queued, and no
/// [`Handle`](crate::Handle) or task waker of it alive. Otherwise, and after a panic in
/// `future`, it is dropped as it always was, and the next call builds a new one; so does a
/// forked child (the kept runtime is its parent's). Requests abandoned by dropped futures
/// stay with the kept runtime until the kernel ends them. For full control (its options,
/// when it drops) build a [`Runtime`] and call [`Runtime::block_on`] on it.
///
/// ```
/// let a = ringaio::block_on(async { 1 });
/// let b = ringaio::block_on(async { 2 }); // the same runtime again
/// assert_eq!(a + b, 3);
/// ```
///
/// # Panics
/// When the runtime cannot be built (an invalid `RINGAIO_BACKEND`, no file descriptors
/// left), when called inside a runtime, or when `future` panics.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let (rt, refs) = match crate::reuse::take() {
        Some(kept) => kept,
        None => match Runtime::new() {
            Ok(rt) => {
                let refs = Arc::strong_count(&rt.handle.executor.shared);
                (rt, refs)
            }
            Err(e) => panic!("ringaio: cannot build a runtime: {e}"),
        },
    };
    // A panic unwinds through here and drops the runtime.
    let out = rt.block_on(future);
    let idle = rt.handle.executor.is_idle()
        && Arc::strong_count(&rt.handle.executor.shared) == refs
        && Rc::strong_count(&rt.handle) == 1;
    if idle {
        crate::reuse::keep(rt, refs);
    }
    out
}

/// Spawns `future` on the current thread's runtime.
///
/// # Panics
/// When no ringaio runtime runs on this thread.
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    match context::with_current(|h| h.executor.spawn(future)) {
        Ok(handle) => handle,
        Err(e) => panic!("ringaio::spawn: {e}"),
    }
}
