//! The reactor: submits requests through their slots, drains completions into them, wakes
//! waiters after every borrow is released, cancels orphans and drains on shutdown.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{RawWakerVTable, Waker};
use std::time::Duration;

use ringaio_core::{is_unavailable, Iocb, OpSet, Opcode, Ring};

pub use self::chain::Link;
use crate::buffers::{FixedBuffers, Home};
use crate::config::{Backend, Config};
use crate::files::FixedFiles;
use crate::key::{Id, Key};
use crate::pool::Pool;
use crate::slots::{Closing, Outcome, Resources, Slots, NO_TASK};
use crate::timers::Timers;
use crate::Notifier;

mod blocking;
mod cancel;
mod chain;
mod complete;
mod direct;
mod registry;
mod shutdown;
mod submit;
mod user_timers;
mod wait;

/// Counters for tests, metrics and the benchmark harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Live slots (requests not yet reaped by their waiter, or orphans the kernel holds).
    pub slots: usize,
    /// Requests the kernel, pool or timer list holds.
    pub in_flight: usize,
    /// Requests waiting in user space for CQ room.
    pub queued: usize,
    /// Requests handed to the ring so far.
    pub via_ring: u64,
    /// Requests handed to the blocking pool so far.
    pub via_pool: u64,
    /// The ring's CQ overflow counter (stays 0: in-flight requests are bounded by CQ room).
    pub cq_overflow: u32,
    /// Slots in the ring's registered-buffer table (0: none).
    pub buffer_slots: usize,
    /// Free slots in the ring's registered-buffer table.
    pub buffer_slots_free: usize,
    /// Free slots in the reactor's part of the registered-file table (for files used often,
    /// and lent to linked chains).
    pub file_slots_free: usize,
}

/// The state behind the reactor's `RefCell`.
struct Inner {
    ring: Option<Ring>,
    /// The fds with a slot in the ring's registered-file table.
    files: FixedFiles,
    /// The slots of the ring's registered-buffer table.
    buffers: FixedBuffers,
    slots: Slots,
    /// Requests admitted beyond CQ room, in order.
    queue: VecDeque<(Id, Iocb, Link)>,
    /// CQEs the ring still owes us: requests, cancels and the wake read.
    in_kernel: usize,
    /// Most requests in the ring at once: half the CQ (cancels may take the other half).
    budget: usize,
    pool: Option<Pool>,
    pool_threads: usize,
    notifier: Notifier,
    timers: Timers,
    /// Results produced in user space (cancels of queued requests and of timers).
    local_done: Vec<(u64, i32)>,
    wake_buf: Box<u64>,
    wake_armed: bool,
    shut: bool,
    /// The process's fork generation when the reactor was built: in a forked child the
    /// ring, the pool and every request are the parent's (see `Inner::forked`).
    born: u32,
    via_ring: u64,
    via_pool: u64,
}

/// Work collected under the borrow and done after it: fds to close, resources to drop,
/// wakers to wake. Kept between drains so its vectors do not reallocate.
#[derive(Default)]
struct Deferred {
    close: Vec<Closing>,
    garbage: Vec<Resources>,
    wakers: Vec<Waker>,
    /// Tokens of executor tasks to wake (`Reactor::set_task_waker`), each once per drain
    /// when their completions come in a row.
    tasks: Vec<u32>,
    pool_done: Vec<(u64, i32)>,
    local_done: Vec<(u64, i32)>,
}

/// Refcounted request slots over an io_uring (or the blocking pool).
///
/// One reactor per thread: it is neither `Send` nor `Sync`. Its methods take `&self` and
/// borrow its state only for their own length, so wakers and drops of user resources always
/// run with no borrow held.
pub struct Reactor {
    inner: RefCell<Inner>,
    /// What this reactor's keys carry (`next_reactor_id`).
    id: u64,
    /// The process's fork generation when the reactor was built (`forked`).
    /// The opcodes the ring runs, read without a borrow.
    ring_ops: Cell<OpSet>,
    /// Whether the ring's registered-file table has an allocation range for direct
    /// descriptors (`direct.rs`).
    direct: Cell<bool>,
    /// Where this reactor's registered-buffer slots come back to.
    buffer_home: Arc<Home>,
    deferred: RefCell<Deferred>,
    /// The task being polled, as its executor named it: token, waker data and vtable.
    current: Cell<(u32, *const (), *const RawWakerVTable)>,
    /// Wakes an executor task by its token.
    task_waker: OnceCell<TaskWaker>,
    notifier: Notifier,
    backend: Cell<Backend>,
    /// Set when the reactor runs on the pool: at start, or by `fall_back`.
    fallback_reason: OnceCell<String>,
    shutdown_timeout: Duration,
    _thread_bound: PhantomData<*const ()>,
}

impl fmt::Debug for Reactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reactor")
            .field("backend", &self.backend.get())
            .field("stats", &self.stats())
            .finish()
    }
}

/// Smallest CQ a configuration may name: below it the in-flight budget (half the CQ, less
/// the wake read and the timer reserve) would leave no room for a request beside the wake
/// read, and a budget forced up to make room would let the CQ overflow.
pub const MIN_CQ_ENTRIES: u32 = 8;

fn too_small_cq(cq: u32) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("cq_entries {cq} is too small: the reactor needs at least {MIN_CQ_ENTRIES}"),
    )
}

/// Smallest CQ the reactor asks for.
const MIN_CQ: u32 = 4096;
/// Largest CQ the kernel allows (`IORING_MAX_CQ_ENTRIES`).
const MAX_CQ: u32 = 65536;
/// Most registered-buffer slots a ring may have (`IORING_MAX_REG_BUFFERS`).
const MAX_BUFFER_SLOTS: u16 = 1 << 14;
/// In-flight room kept for timers beyond the budget of other requests.
const TIMER_RESERVE: usize = 64;

/// How an executor wakes its tasks by token (`Reactor::set_task_waker`).
#[doc(hidden)]
pub type TaskWaker = Box<dyn Fn(&[u32])>;

/// No task is being polled.
const NOBODY: (u32, *const (), *const RawWakerVTable) =
    (NO_TASK, std::ptr::null(), std::ptr::null());

/// What [`Reactor::poll`] found.
#[must_use = "a pending poll hands the key back"]
#[derive(Debug)]
pub enum Polled {
    /// The request's final result: the request has ended and its key is gone.
    Ready(Outcome),
    /// Not yet: the waker is registered; poll again with this key.
    Pending(Key),
}

impl Polled {
    /// The outcome, if the request has ended.
    #[inline]
    pub fn ready(self) -> Option<Outcome> {
        match self {
            Polled::Ready(outcome) => Some(outcome),
            Polled::Pending(_) => None,
        }
    }
}

/// A key reached a reactor that did not issue it: a caller bug. The request belongs to the
/// other reactor, so no answer here could be true; the caller's memory stays where it is.
#[cold]
#[inline(never)]
#[track_caller]
fn foreign_key(key: &Key) -> ! {
    panic!("ringaio-reactor: {key:?} was issued by another reactor")
}

/// Registers the ring's sparse file table once: `config.fixed_files` slots for the reactor
/// to hand out, then `config.direct_files` for the kernel's allocation range (both cut in
/// proportion to what `RLIMIT_NOFILE` allows). Returns the reactor's part and whether the allocation range
/// is there. A kernel without sparse tables (5.19) or allocation ranges (6.0) gets less.
fn file_table(ring: &mut Ring, config: &Config) -> (u32, bool) {
    let wanted = u64::from(config.fixed_files) + u64::from(config.direct_files);
    let total = wanted.min(u64::from(nofile_limit()));
    // Over the limit, both parts shrink in proportion.
    let direct = match wanted {
        0 => 0,
        _ => (total * u64::from(config.direct_files) / wanted) as u32,
    };
    let own = total as u32 - direct;
    if own + direct == 0 {
        return (0, false);
    }
    if let Err(e) = ring.register_files_sparse(own + direct) {
        tracing::debug!(error = %e, "no registered files");
        return (0, false);
    }
    if direct == 0 {
        return (own, false);
    }
    match ring.register_file_alloc_range(own, direct) {
        Ok(()) => (own, true),
        Err(e) => {
            tracing::debug!(error = %e, "no direct descriptors");
            (own, false)
        }
    }
}

/// The soft `RLIMIT_NOFILE`: the kernel refuses a larger file table.
fn nofile_limit() -> u32 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a live rlimit the call fills in.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 1024;
    }
    u32::try_from(lim.rlim_cur).unwrap_or(u32::MAX)
}

/// A number for each reactor, never reused in the process, that its keys carry.
fn next_reactor_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn shut_down_error() -> io::Error {
    io::Error::other("the ringaio reactor has shut down")
}

impl Reactor {
    /// Builds a reactor. With [`Backend::Uring`] and no io_uring on this machine it starts in
    /// fallback mode and logs one warning saying why and how to enable io_uring.
    ///
    /// # Errors
    /// `InvalidInput` for `cq_entries` below [`MIN_CQ_ENTRIES`]; ring setup errors other than
    /// "unavailable" (say EMFILE), and eventfd errors.
    pub fn new(config: &Config) -> io::Result<Reactor> {
        if let Some(cq) = config.cq_entries.filter(|&cq| cq < MIN_CQ_ENTRIES) {
            return Err(too_small_cq(cq));
        }
        let born = ringaio_core::fork_generation();
        let notifier = Notifier::new()?;
        let mut fallback_reason = None;
        let mut fixed_files = 0;
        let mut direct = false;
        let mut fixed_buffers = 0;
        let ring = match config.backend {
            Backend::Fallback => {
                fallback_reason = Some("the fallback backend was asked for".to_owned());
                None
            }
            Backend::Uring => {
                let mut builder = Ring::builder();
                // A deep CQ (64 KiB of CQEs at least) so that many requests that wait long
                // (pipe and socket reads) do not fill the in-flight budget.
                let cq = config
                    .cq_entries
                    .unwrap_or_else(|| config.entries.saturating_mul(2).clamp(MIN_CQ, MAX_CQ));
                builder
                    .entries(config.entries)
                    .cq_entries(cq)
                    .single_issuer(true);
                if let Some(idle) = config.sqpoll {
                    builder.sqpoll(idle);
                }
                match builder.build() {
                    Ok(mut ring) => {
                        for op in &config.forbid {
                            ring.forbid(*op);
                        }
                        (fixed_files, direct) = file_table(&mut ring, config);
                        // The kernel's limit (`IORING_MAX_REG_BUFFERS`).
                        let wanted = config.fixed_buffers.min(MAX_BUFFER_SLOTS);
                        if wanted > 0 {
                            match ring.register_buffers_sparse(wanted.into()) {
                                Ok(()) => fixed_buffers = wanted,
                                Err(e) => tracing::debug!(error = %e, "no registered buffers"),
                            }
                        }
                        Some(ring)
                    }
                    Err(e) if is_unavailable(&e) => {
                        tracing::warn!(
                            "{e}; ringaio runs every operation on its blocking thread pool \
                             instead (set RINGAIO_BACKEND=fallback to silence this)"
                        );
                        fallback_reason = Some(e.to_string());
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let backend = if ring.is_some() {
            Backend::Uring
        } else {
            Backend::Fallback
        };
        // Half the CQ for requests (the wake read and the timer reserve included), half for
        // their cancels: the CQ cannot overflow.
        let budget = ring.as_ref().map_or(0, |r| {
            let half = r.cq_entries() / 2;
            half.saturating_sub(1 + TIMER_RESERVE.min(half / 4))
        });
        if ring.is_some() && budget < 2 {
            return Err(too_small_cq(config.cq_entries.unwrap_or(0)));
        }
        let mut slots = Slots::default();
        slots.reserve(budget.max(64));
        let ring_ops = ring.as_ref().map_or(OpSet::EMPTY, Ring::supported);
        let buffers = FixedBuffers::new(fixed_buffers);
        let buffer_home = buffers.home().clone();
        Ok(Reactor {
            id: next_reactor_id(),
            ring_ops: Cell::new(ring_ops),
            direct: Cell::new(direct),
            buffer_home,
            inner: RefCell::new(Inner {
                ring,
                files: FixedFiles::new(fixed_files),
                buffers,
                slots,
                queue: VecDeque::new(),
                in_kernel: 0,
                budget,
                pool: None,
                pool_threads: config.pool_threads,
                notifier: notifier.clone(),
                timers: Timers::default(),
                local_done: Vec::new(),
                wake_buf: Box::new(0),
                wake_armed: false,
                shut: false,
                born,
                via_ring: 0,
                via_pool: 0,
            }),
            deferred: RefCell::new(Deferred::default()),
            current: Cell::new(NOBODY),
            task_waker: OnceCell::new(),
            notifier,
            backend: Cell::new(backend),
            fallback_reason: fallback_reason.map_or_else(OnceCell::new, OnceCell::from),
            shutdown_timeout: config.shutdown_timeout,
            _thread_bound: PhantomData,
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend.get()
    }

    /// Why the reactor runs in fallback mode, if it does.
    pub fn fallback_reason(&self) -> Option<&str> {
        self.fallback_reason.get().map(String::as_str)
    }

    /// Gives up the ring for the blocking pool, which from then on runs every operation (as
    /// when io_uring is unavailable at start): for a ring that cannot be entered, such as
    /// under a seccomp profile that allows `io_uring_setup` but denies `io_uring_enter`.
    /// Only while the ring holds no request but the reactor's own wake read (requests
    /// already pushed cannot be moved), and not in a forked child (the ring is the
    /// parent's); returns whether it switched. `reason` becomes the
    /// [`fallback_reason`](Reactor::fallback_reason) and is logged as a warning.
    pub fn fall_back(&self, reason: &str) -> bool {
        let mut inner = self.inner.borrow_mut();
        if inner.ring.is_none()
            || inner.shut
            || inner.forked()
            || inner.in_kernel != usize::from(inner.wake_armed)
            || !inner.queue.is_empty()
        {
            return false;
        }
        if inner.wake_armed {
            // An earlier enter may have given the wake read to the kernel, which may write
            // into its buffer until the ring is torn down: leaked, not freed.
            std::mem::forget(std::mem::replace(&mut inner.wake_buf, Box::new(0)));
            inner.wake_armed = false;
        }
        inner.in_kernel = 0;
        inner.budget = 0;
        inner.ring = None;
        drop(inner);
        self.ring_ops.set(OpSet::EMPTY);
        self.backend.set(Backend::Fallback);
        tracing::warn!(
            "{reason}; ringaio runs every operation on its blocking thread pool instead (set \
             RINGAIO_BACKEND=fallback to silence this)"
        );
        let _ = self.fallback_reason.set(reason.to_owned());
        true
    }

    /// A handle that wakes this reactor's park from any thread.
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Whether `op` runs on the ring (rather than the blocking pool).
    #[inline]
    pub fn runs_on_ring(&self, op: Opcode) -> bool {
        self.ring_ops.get().contains(op)
    }

    /// For the executor driving this reactor (ringaio's): installs how it wakes one of its
    /// tasks by token. Once
    /// installed, a request polled while [`set_current_task`](Reactor::set_current_task)
    /// names the polling task (with the very waker passed to `poll`) records the token
    /// instead of cloning the waker, and each drain calls `wake(tokens)` once with the tokens
    /// of the tasks to wake (a run of completions of one task gives its token once). Returns
    /// false if one was installed already.
    ///
    /// `wake` must tolerate tokens of tasks that have finished (a spurious wake, or none).
    #[doc(hidden)]
    pub fn set_task_waker(&self, wake: TaskWaker) -> bool {
        self.task_waker.set(wake).is_ok()
    }

    /// Names the task about to be polled: `token` and the waker it is polled with; `None`
    /// when the executor is done polling it. Ignored until a task waker is installed.
    #[doc(hidden)]
    pub fn set_current_task(&self, task: Option<(u32, &Waker)>) {
        self.current.set(match task {
            Some((token, waker)) if token != NO_TASK && self.task_waker.get().is_some() => {
                (token, waker.data(), waker.vtable())
            }
            _ => NOBODY,
        });
    }

    /// The current task's token if `waker` is its waker, else `NO_TASK`.
    #[inline]
    fn task_of(&self, waker: &Waker) -> u32 {
        let (token, data, vtable) = self.current.get();
        if std::ptr::eq(data, waker.data()) && std::ptr::eq(vtable, waker.vtable()) {
            token
        } else {
            NO_TASK
        }
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        let mut inner = self.inner.borrow_mut();
        Stats {
            slots: inner.slots.len(),
            in_flight: inner.slots.held_by_kernel().count(),
            queued: inner.queue.len(),
            via_ring: inner.via_ring,
            via_pool: inner.via_pool,
            cq_overflow: inner.ring.as_mut().map_or(0, |r| r.overflow()),
            buffer_slots: inner.buffers.len(),
            buffer_slots_free: inner.buffers.available(),
            file_slots_free: inner.files.available(),
        }
    }
}

impl Drop for Reactor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Inner {
    /// Whether this is a forked child of the process that built the reactor: its ring,
    /// pool threads, eventfd read and requests are the parent's, so the child submits,
    /// cancels and waits for nothing, and leaks on shutdown.
    #[inline]
    fn forked(&self) -> bool {
        ringaio_core::is_forked_since(self.born)
    }
}
