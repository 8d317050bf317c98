//! The reactor: submits requests through their slots, drains completions into them, wakes
//! waiters after every borrow is released, cancels orphans and drains on shutdown.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::os::fd::RawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWakerVTable, Waker};
use std::time::{Duration, Instant};

use ringaio_core::{is_unavailable, to_sqe, Completion, Iocb, OpSet, Opcode, Ring, Target};

use crate::buffers::{BufferSlot, FixedBuffers, Home};
use crate::config::{Backend, Config};
use crate::files::FixedFiles;
use crate::key::{Id, Key, CANCEL, WAKE};
use crate::pool::Pool;
use crate::slots::{Finished, Outcome, Release, Resources, Route, Slots, NO_TASK};
use crate::state::{KERNEL, QUEUED};
use crate::timers::Timers;
use crate::Notifier;

mod blocking;
mod user_timers;

/// Counters for tests, metrics and the benchmark harness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
    queue: VecDeque<(Id, Iocb)>,
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
    close: Vec<RawFd>,
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
                        if config.fixed_files > 0 {
                            match ring.register_files_sparse(config.fixed_files) {
                                Ok(()) => fixed_files = config.fixed_files,
                                Err(e) => tracing::debug!(error = %e, "no registered files"),
                            }
                        }
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

    /// The io_uring's fd, for registrations made outside this file (`pbuf.rs`); `None` in
    /// fallback mode or after shutdown.
    pub(crate) fn ring_fd(&self) -> Option<RawFd> {
        self.inner
            .borrow()
            .ring
            .as_ref()
            .map(|ring| ring.as_raw_fd())
    }

    /// Registers `bufs` as the ring's whole registered-buffer table (`buf_index` i is
    /// `bufs[i]`), for a reactor built without a table of slots (`Config::fixed_buffers` 0).
    /// Returns false in fallback mode (no ring: the buffers do plain I/O).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS`: EBUSY when the ring has a table already (a table of
    /// slots, or an earlier call), ENOMEM over the locked-memory limit (`RLIMIT_MEMLOCK`).
    ///
    /// # Safety
    /// The memory of every iovec stays allocated until
    /// [`unregister_buffers`](Reactor::unregister_buffers) has returned or the reactor is
    /// dropped, and requests name a `buf_index` of the table only while the caller keeps it.
    pub unsafe fn register_buffers(&self, bufs: &[libc::iovec]) -> io::Result<bool> {
        let mut inner = self.inner.borrow_mut();
        if inner.buffers.len() > 0 {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let Some(ring) = inner.ring.as_mut() else {
            return Ok(false);
        };
        // SAFETY: forwarded from the caller.
        unsafe { ring.register_buffers(bufs) }.map(|()| true)
    }

    /// Drops the table [`register_buffers`](Reactor::register_buffers) installed (requests
    /// in flight keep the pages they were issued with). Nothing when there is none, or when
    /// the ring's table is the reactor's own table of slots.
    ///
    /// # Safety
    /// The caller installed the table, and no request names one of its indexes from now on
    /// (a later table would give the same indexes other memory).
    pub unsafe fn unregister_buffers(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.buffers.len() > 0 {
            return;
        }
        if let Some(ring) = inner.ring.as_mut() {
            if let Err(e) = ring.unregister_buffers() {
                tracing::debug!(error = %e, "no registered buffers to drop");
            }
        }
    }

    /// Gives `fd` a slot in the ring's registered-file table, if there is a free one: from
    /// then on requests on `fd` that go to the ring use the slot (`IOSQE_FIXED_FILE`) and skip
    /// the kernel's fd lookup. Returns whether it did. One `io_uring_register` call.
    ///
    /// Call [`unregister_file`](Reactor::unregister_file) before closing `fd`, or a later file
    /// given the same fd number would be confused with this one.
    pub fn register_file(&self, fd: RawFd) -> bool {
        let mut inner = self.inner.borrow_mut();
        let Some(slot) = inner.files.insert(fd) else {
            return false;
        };
        let registered = inner
            .ring
            .as_mut()
            .is_some_and(|ring| ring.update_files(slot, &[fd]).is_ok());
        if !registered {
            inner.files.remove(fd);
        }
        registered
    }

    /// Empties `fd`'s registered-file slot (requests in flight keep their own reference to
    /// the file). One `io_uring_register` call; nothing if `fd` has no slot.
    pub fn unregister_file(&self, fd: RawFd) {
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            return;
        }
        let Some(slot) = inner.files.remove(fd) else {
            return;
        };
        if let Some(ring) = inner.ring.as_mut() {
            if let Err(e) = ring.update_files(slot, &[-1]) {
                tracing::warn!(error = %e, fd, "could not empty a registered-file slot");
            }
        }
    }

    /// Registers the `len` bytes at `ptr` in a free slot of the ring's registered-buffer
    /// table (one `io_uring_register` call), so that `ReadFixed` / `WriteFixed` requests with
    /// the slot's index can use any range inside them. `None` with no ring, no table, no
    /// free slot, or when the kernel refuses (over the memlock limit, more than 1 GiB).
    ///
    /// # Safety
    /// The memory stays allocated (not freed, unmapped or remapped) until the returned slot is
    /// dropped, and requests name the slot's index only while the caller holds the slot, and
    /// only on this reactor (check with [`owns_buffer`](Reactor::owns_buffer)).
    pub unsafe fn register_buffer(&self, ptr: *mut u8, len: usize) -> Option<BufferSlot> {
        let mut guard = self.inner.try_borrow_mut().ok()?;
        let inner = &mut *guard;
        if inner.buffers.available() == 0 {
            inner.reclaim_buffers();
        }
        let ring = inner.ring.as_mut()?;
        let slot = inner.buffers.take()?;
        let iov = libc::iovec {
            iov_base: ptr.cast(),
            iov_len: len,
        };
        // SAFETY: our caller keeps the memory until the slot is dropped and names the index
        // only while it holds the slot; a dropped slot is emptied in the kernel's table
        // before it is handed out again.
        match unsafe { ring.update_buffers(slot.index().into(), &[iov]) } {
            Ok(()) => Some(slot),
            Err(e) => {
                if e.raw_os_error() == Some(libc::ENOMEM) && inner.buffers.first_refusal() {
                    tracing::warn!(
                        len,
                        "registering a buffer hit the locked-memory limit; such buffers do \
                         plain I/O (raise RLIMIT_MEMLOCK, `ulimit -l`, to register them)"
                    );
                } else {
                    tracing::debug!(error = %e, len, "buffer not registered");
                }
                inner.buffers.untake(slot);
                None
            }
        }
    }

    /// Empties the registered-buffer slots given back since the last wait and makes them
    /// available again (every wait does this too).
    pub fn reclaim_buffers(&self) {
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.reclaim_buffers();
        }
    }

    /// Whether `slot` belongs to this reactor's ring (a buffer registered with one runtime
    /// and used on another does plain reads and writes there).
    #[inline]
    pub fn owns_buffer(&self, slot: &BufferSlot) -> bool {
        slot.is_from(&self.buffer_home)
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
        }
    }

    /// Gives `iocb` a slot and sends it on its way: to the ring's SQ (flushed at the next
    /// [`park`](Reactor::park)), to a user-space queue while the CQ has no room, or to the
    /// blocking pool when the ring cannot run it. Its `data` field is replaced by the key.
    ///
    /// # Errors
    /// The iocb's validation error; a shut-down reactor; a reactor inherited across `fork`
    /// (it belongs to the parent); a failed SQ flush.
    ///
    /// # Safety
    /// - Every buffer, iovec array, path, timespec or statx buffer `iocb` points at stays
    ///   valid, and unaliased where the kernel writes, until either [`poll`](Reactor::poll)
    ///   has returned the request's result or [`release`](Reactor::release) has been called
    ///   for it (handing that memory to the reactor); if neither ever happens, the memory
    ///   must be leaked.
    pub unsafe fn submit(&self, iocb: &Iocb) -> io::Result<Key> {
        let id = self.inner.borrow_mut().submit(iocb, NO_TASK)?;
        Ok(Key::new(id, self.id))
    }

    /// [`submit`](Reactor::submit), with `cx`'s task registered as the waiter at once (as a
    /// [`poll`](Reactor::poll) returning `Pending` would), saving the first poll's lookup.
    ///
    /// # Errors
    /// As [`submit`](Reactor::submit).
    ///
    /// # Safety
    /// As [`submit`](Reactor::submit).
    #[inline(always)]
    pub unsafe fn submit_waiting(&self, iocb: &Iocb, cx: &Context<'_>) -> io::Result<Key> {
        let task = self.task_of(cx.waker());
        // A waker clone runs user code and may panic: before the request reaches the
        // kernel, while the caller can still free its memory safely.
        let waker = (task == NO_TASK).then(|| cx.waker().clone());
        let mut inner = self.inner.borrow_mut();
        let id = inner.submit(iocb, task)?;
        if let Some(waker) = waker {
            inner.slots.set_waker(id, waker);
        }
        Ok(Key::new(id, self.id))
    }

    /// The request's final result, once it is in: [`Polled::Ready`] ends the request and
    /// consumes its key. Until then registers the task's waker and hands the key back
    /// ([`Polled::Pending`]).
    ///
    /// # Panics
    /// If `key` was issued by another reactor (its request is still that reactor's; the
    /// caller must keep its memory alive).
    #[inline(always)]
    pub fn poll(&self, key: Key, cx: &mut Context<'_>) -> Polled {
        self.check_owner(&key);
        let waker = cx.waker();
        let mut inner = self.inner.borrow_mut();
        match inner.slots.poll(key.id(), waker, || self.task_of(waker)) {
            Poll::Ready(outcome) => Polled::Ready(outcome),
            Poll::Pending if inner.forked() => {
                // The request is the parent's, running on the parent's memory: this copy of
                // it never completes here, and nothing will write into the child's copy.
                inner.slots.remove(key.id());
                Polled::Ready(Outcome {
                    result: -libc::ECANCELED,
                    flags: 0,
                })
            }
            Poll::Pending => Polled::Pending(key),
        }
    }

    /// The next non-final completion of a multishot request, if one is queued.
    ///
    /// # Panics
    /// If `key` was issued by another reactor.
    pub fn poll_shot(&self, key: &Key, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.check_owner(key);
        let task = self.task_of(cx.waker());
        let shot = self
            .inner
            .borrow_mut()
            .slots
            .poll_shot(key.id(), cx.waker(), task);
        match shot {
            Some(outcome) => Poll::Ready(outcome),
            None => Poll::Pending,
        }
    }

    /// The waiting side lets go of `key` before taking its result, handing over `resources`
    /// (whatever holds the memory the request points at). If the kernel is done they are
    /// dropped at once, outside any borrow. Otherwise they are held until the request's final
    /// completion, and the request is cancelled; if that result is an fd (openat), the
    /// reactor closes it. If shutdown gave up on the request, or `key` was issued by another
    /// reactor, they are leaked: the kernel may still write into them.
    pub fn release<T: 'static>(&self, key: Key, resources: T) {
        if key.owner() != self.id {
            tracing::error!(
                ?key,
                "a key was released on a reactor that did not issue it"
            );
            std::mem::forget(resources);
            return;
        }
        let mut resources = Some(resources);
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            // The pool and ring are the parent's: touch neither, and keep what was handed over.
            drop(inner);
            std::mem::forget(resources);
            return;
        }
        let keep = || -> Resources { Box::new(resources.take()) };
        let released = inner.slots.release(key.id(), keep);
        if released == (Release::Kept { cancel: true }) {
            inner.send_cancel(key.id());
        }
        drop(inner);
        match released {
            Release::Close(fd) => {
                // SAFETY: an fd nobody will receive (an openat's result) or that a close that never
                // ran still owned: the reactor is its owner now.
                unsafe { libc::close(fd) };
            }
            // Shutdown gave up on the kernel: the memory may still be written. Leak it.
            Release::Leak => std::mem::forget(resources.take()),
            Release::Kept { .. } | Release::Done => {}
        }
        drop(resources);
    }

    /// Asks for `key`'s request to be cancelled; its result (`-ECANCELED`, or the real one if
    /// it won the race) still arrives through [`poll`](Reactor::poll). Nothing for a key of
    /// another reactor.
    pub fn cancel(&self, key: &Key) {
        if key.owner() != self.id {
            return;
        }
        let mut inner = self.inner.borrow_mut();
        if inner.forked() {
            return;
        }
        if inner.slots.mark_cancelling(key.id()) {
            inner.send_cancel(key.id());
        }
    }

    #[inline(always)]
    fn check_owner(&self, key: &Key) {
        if key.owner() != self.id {
            foreign_key(key);
        }
    }

    /// Reaps every available completion (ring, pool, timers) into its slot, admits queued
    /// requests into the room that freed, then — with no borrow held — closes orphaned fds,
    /// drops orphaned resources and wakes waiters, each wake guarded against panics.
    /// Returns how many completions were reaped.
    pub fn drain(&self) -> usize {
        let mut out = std::mem::take(&mut *self.deferred.borrow_mut());
        let n = self.inner.borrow_mut().collect(&mut out);
        for fd in out.close.drain(..) {
            // SAFETY: an fd nobody will receive (an openat's result) or that a close that never
            // ran still owned: the reactor is its owner now.
            unsafe { libc::close(fd) };
        }
        for garbage in out.garbage.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| drop(garbage))).is_err() {
                tracing::error!("dropping an orphaned request's resources panicked");
            }
        }
        for waker in out.wakers.drain(..) {
            if catch_unwind(AssertUnwindSafe(|| waker.wake())).is_err() {
                tracing::error!("a waker panicked; the reactor carries on");
            }
        }
        if !out.tasks.is_empty() {
            if let Some(wake) = self.task_waker.get() {
                if catch_unwind(AssertUnwindSafe(|| wake(&out.tasks))).is_err() {
                    tracing::error!("waking tasks panicked; the reactor carries on");
                }
            }
            out.tasks.clear();
        }
        *self.deferred.borrow_mut() = out;
        n
    }

    /// Submits what is pending and waits, in a single `io_uring_enter`, for at least one
    /// completion, a [`notify`](Notifier::notify), or `timeout` (`Some(ZERO)`: do not wait);
    /// then [`drain`](Reactor::drain)s. Returns how many completions were reaped.
    ///
    /// # Errors
    /// `io_uring_enter` errors other than interruptions and timeouts.
    pub fn park(&self, timeout: Option<Duration>) -> io::Result<usize> {
        self.wait(timeout)?;
        Ok(self.drain())
    }

    /// The first half of [`park`](Reactor::park): submit and wait, without draining, so the
    /// caller can note that it is awake before wakers run.
    ///
    /// # Errors
    /// As [`park`](Reactor::park).
    pub fn wait(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.inner.borrow_mut().wait(timeout, &self.notifier)
    }

    /// Shuts down: cancels everything in flight and drains until every request's final
    /// completion has arrived, at most for the configured bound; whatever the kernel still
    /// holds then is leaked on purpose (with a warning), never freed. Later submissions fail.
    /// Idempotent; also run by `Drop`.
    pub fn shutdown(&self) {
        {
            let mut inner = self.inner.borrow_mut();
            if inner.shut {
                return;
            }
            inner.shut = true;
            if inner.forked() {
                // A forked child's copy: the ring, the pool's threads and every request are
                // the parent's. Cancel and wait for nothing, join nothing, leak it all.
                inner.leak_everything();
                std::mem::forget(inner.pool.take());
                std::mem::forget(inner.ring.take());
                self.ring_ops.set(OpSet::EMPTY);
                return;
            }
            inner.cancel_everything();
        }
        let start = Instant::now();
        let deadline = start.checked_add(self.shutdown_timeout);
        loop {
            self.drain();
            let mut inner = self.inner.borrow_mut();
            let held = inner.slots.held_by_kernel().count();
            if held == 0 && !inner.wake_armed {
                break;
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                let leaked = inner.leak_everything();
                tracing::warn!(
                    leaked,
                    "ringaio reactor shutdown: the kernel still holds requests after {:?}; \
                     their memory is leaked, not freed",
                    self.shutdown_timeout
                );
                break;
            }
            if let Err(e) = inner.wait(left, &self.notifier) {
                let leaked = inner.leak_everything();
                tracing::error!(error = %e, leaked, "ringaio reactor shutdown: wait failed; \
                    what the kernel still holds is leaked, not freed");
                break;
            }
        }
        let mut inner = self.inner.borrow_mut();
        self.ring_ops.set(OpSet::EMPTY);
        inner.timers.clear();
        if let Some(pool) = inner.pool.as_mut() {
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if !pool.shutdown(left.max(Duration::from_millis(100))) {
                tracing::warn!("ringaio blocking pool: threads still busy at shutdown, detached");
            }
        }
        inner.ring = None;
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

    fn route(&self, iocb: &Iocb) -> Route {
        match &self.ring {
            Some(ring) if ring.supports(iocb.opcode) => Route::Ring,
            _ if iocb.opcode == Opcode::Timeout => Route::Timer,
            _ => Route::Pool,
        }
    }

    /// Submits `iocb` with the executor task `task` (or `NO_TASK`) as its waiter.
    #[inline(always)]
    fn submit(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        // The fast path: a request the ring runs, with CQ room and nobody queued ahead.
        let fast = !self.shut
            && self.in_kernel < self.budget
            && self.queue.is_empty()
            && iocb.opcode != Opcode::AsyncCancel
            && self.ring.as_ref().is_some_and(|r| r.supports(iocb.opcode));
        if fast {
            return self.submit_to_ring(iocb, task);
        }
        self.submit_slow(iocb, task)
    }

    /// Validates `iocb`, gives it a slot the kernel holds and pushes its SQE; the slot goes
    /// again if the push fails.
    #[inline(always)]
    fn submit_to_ring(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        iocb.validate()?;
        let key = self.slots.insert(iocb, KERNEL, Route::Ring, task);
        if let Err(e) = self.push(key, iocb) {
            self.slots.remove(key);
            return Err(e);
        }
        Ok(key)
    }

    #[inline(never)]
    fn submit_slow(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        if self.shut {
            return Err(shut_down_error());
        }
        if self.forked() {
            return Err(ringaio_core::forked_error());
        }
        if iocb.opcode == Opcode::AsyncCancel {
            // Cancellation goes through `Reactor::cancel`, which knows the request's route.
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        match self.route(iocb) {
            // Timers skip the queue into their own reserve: a ring full of requests that
            // never finish (pipe reads) must not stop a timeout from firing.
            Route::Ring
                if (self.in_kernel < self.budget && self.queue.is_empty())
                    || (iocb.opcode == Opcode::Timeout && self.in_kernel < self.timer_limit()) =>
            {
                self.submit_to_ring(iocb, task)
            }
            // With the reserve full too, a timer goes to the timer list, never to the queue.
            Route::Ring if Inner::is_plain_timeout(iocb) => self.submit_user_timer(iocb, task),
            Route::Ring => {
                iocb.validate()?;
                let key = self.slots.insert(iocb, QUEUED, Route::Ring, task);
                self.queue.push_back((key, *iocb));
                Ok(key)
            }
            Route::Pool => {
                iocb.validate()?;
                if matches!(iocb.fd, Target::Fixed(_)) {
                    return Err(io::Error::new(
                        io::ErrorKind::Unsupported,
                        "registered files need io_uring; this request would run on the pool",
                    ));
                }
                if self.pool.is_none() {
                    self.pool = Some(Pool::new(self.pool_threads, self.notifier.clone()));
                }
                let key = self.slots.insert(iocb, KERNEL, Route::Pool, task);
                let Some(pool) = self.pool.as_mut() else {
                    return Err(io::Error::other("blocking pool missing"));
                };
                // SAFETY: `Reactor::submit`'s caller keeps the memory valid until the slot's
                // final result is taken or released to the reactor.
                unsafe { pool.submit(key.user_data(), *iocb) };
                self.via_pool += 1;
                Ok(key)
            }
            Route::Timer => self.submit_user_timer(iocb, task),
        }
    }

    /// Most requests in the ring when the new one is a timer: the budget plus the reserve.
    fn timer_limit(&self) -> usize {
        let half = self.ring.as_ref().map_or(0, |r| r.cq_entries() / 2);
        half.saturating_sub(1).max(self.budget)
    }

    /// Pushes `key`'s request (validated) to the ring, on its registered file where it has
    /// one.
    #[inline(always)]
    fn push(&mut self, key: Id, iocb: &Iocb) -> io::Result<()> {
        let ring = self.ring.as_mut().ok_or_else(shut_down_error)?;
        let target = fixed_target(&self.files, iocb);
        // SAFETY: the slot keeps the request alive until its final CQE, and the memory it
        // points at is kept by the waiter or by the slot (`Reactor::submit`'s contract).
        unsafe { ring.push_request(iocb, target, key.user_data()) }?;
        self.in_kernel += 1;
        self.via_ring += 1;
        Ok(())
    }

    fn send_cancel(&mut self, key: Id) {
        let Some(slot) = self.slots.get(key) else {
            return;
        };
        let route = slot.route;
        if slot.state & QUEUED != 0 {
            self.local_done.push((key.user_data(), -libc::ECANCELED));
            return;
        }
        match route {
            Route::Ring => {
                let cancel =
                    Iocb::async_cancel(key.user_data()).with_data(CANCEL | key.user_data());
                let pushed = match (to_sqe(&cancel), self.ring.as_mut()) {
                    // SAFETY: a cancel request points at no memory.
                    (Ok(sqe), Some(ring)) => unsafe { ring.push(&sqe) },
                    (Err(e), _) => Err(e),
                    (_, None) => Err(shut_down_error()),
                };
                match pushed {
                    Ok(()) => self.in_kernel += 1,
                    Err(e) => tracing::warn!(error = %e, "could not queue a cancel"),
                }
            }
            Route::Pool => {
                if let Some(pool) = &self.pool {
                    pool.cancel(key.user_data());
                }
            }
            Route::Timer => self.local_done.push((key.user_data(), -libc::ECANCELED)),
        }
    }

    /// Gives up on every request the kernel still holds, and on the eventfd read: what they
    /// point at is leaked, never freed. Returns how many requests.
    fn leak_everything(&mut self) -> usize {
        if self.wake_armed {
            std::mem::forget(std::mem::replace(&mut self.wake_buf, Box::new(0)));
        }
        self.slots.leak_all_held()
    }

    fn cancel_everything(&mut self) {
        let held: Vec<Id> = self
            .slots
            .held_by_kernel()
            .map(|(k, _)| k)
            .chain(self.queue.iter().map(|(k, _)| *k))
            .collect();
        for key in held {
            if self.slots.mark_cancelling(key) {
                self.send_cancel(key);
            }
        }
        self.queue.clear();
        if self.wake_armed {
            let cancel = Iocb::async_cancel(WAKE).with_data(CANCEL | 1);
            if let (Ok(sqe), Some(ring)) = (to_sqe(&cancel), self.ring.as_mut()) {
                // SAFETY: a cancel request points at no memory.
                if unsafe { ring.push(&sqe) }.is_ok() {
                    self.in_kernel += 1;
                }
            }
        }
    }

    /// One wait: arm the wake read, then one enter (or a poll of the eventfd in fallback).
    fn wait(&mut self, timeout: Option<Duration>, notifier: &Notifier) -> io::Result<()> {
        if self.forked() {
            return Err(ringaio_core::forked_error());
        }
        let timeout = match (timeout, self.timers.next_in(Instant::now)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let has_local = !self.local_done.is_empty();
        self.reclaim_buffers();
        let Some(ring) = self.ring.as_mut() else {
            let wait = if has_local {
                Some(Duration::ZERO)
            } else {
                timeout
            };
            notifier.wait(wait);
            return Ok(());
        };
        if !self.wake_armed && !self.shut {
            let read = Iocb::pread(
                Target::Fd(notifier.as_raw_fd()),
                (&mut *self.wake_buf as *mut u64).cast(),
                8,
                0,
            )
            .with_data(WAKE);
            let sqe = to_sqe(&read)?;
            // SAFETY: `wake_buf` is boxed, owned by the reactor, and freed only after this
            // read's final CQE (or leaked by shutdown).
            unsafe { ring.push(&sqe) }?;
            self.in_kernel += 1;
            self.wake_armed = true;
        }
        match timeout {
            Some(d) if d.is_zero() || has_local => {
                // Without deferred task work the CQ fills on its own: enter only to submit.
                let deferred =
                    ring.mode().defer_taskrun && self.in_kernel > usize::from(self.wake_armed);
                if ring.sq_pending() > 0 || deferred {
                    ring.submit()?;
                }
            }
            t => {
                ring.submit_and_wait(1, t)?;
            }
        }
        Ok(())
    }

    /// Reaps completions into slots and collects the follow-up work into `out`.
    fn collect(&mut self, out: &mut Deferred) -> usize {
        let mut n = 0;
        if let Some(ring) = self.ring.as_mut() {
            let slots = &mut self.slots;
            let in_kernel = &mut self.in_kernel;
            let wake_armed = &mut self.wake_armed;
            for c in ring.completions() {
                reap(c, slots, in_kernel, wake_armed, out);
                n += 1;
            }
        }
        if let Some(pool) = self
            .pool
            .as_ref()
            .filter(|_| !ringaio_core::is_forked_since(self.born))
        {
            pool.take_done(&mut out.pool_done);
        }
        std::mem::swap(&mut self.local_done, &mut out.local_done);
        let (mut pool_done, mut local_done) = (
            std::mem::take(&mut out.pool_done),
            std::mem::take(&mut out.local_done),
        );
        for (user_data, result) in pool_done.drain(..).chain(local_done.drain(..)) {
            if let Some(key) = Id::from_user_data(user_data) {
                let finished = self.slots.finish(key, Outcome { result, flags: 0 });
                defer(finished, out);
                n += 1;
            }
        }
        (out.pool_done, out.local_done) = (pool_done, local_done);
        if !self.timers.is_empty() {
            let slots = &mut self.slots;
            self.timers.expired(Instant::now(), |key| {
                let finished = slots.finish(
                    key,
                    Outcome {
                        result: -libc::ETIME,
                        flags: 0,
                    },
                );
                n += 1;
                defer(finished, out);
            });
        }
        self.admit();
        n
    }

    /// Empties, in the kernel's table, the registered-buffer slots given back since the last
    /// wait, and makes them available again.
    fn reclaim_buffers(&mut self) {
        let mut returned = self.buffers.returned();
        if returned.is_empty() {
            return;
        }
        let Some(ring) = self.ring.as_mut() else {
            return;
        };
        let empty = libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        };
        // One update per run of consecutive slots (a dropped pool gives back whole runs).
        returned.sort_unstable();
        let empties = vec![empty; returned.len()];
        for run in returned.chunk_by(|a, b| b.checked_sub(*a) == Some(1)) {
            // SAFETY: an empty slot points at no memory.
            match unsafe { ring.update_buffers(run[0].into(), &empties[..run.len()]) } {
                Ok(()) => run.iter().for_each(|&index| self.buffers.free(index)),
                // Left out of the free list: never handed out while it may hold old pages.
                Err(e) => tracing::warn!(error = %e, first = run[0], n = run.len(),
                    "could not empty buffer slots"),
            }
        }
    }

    /// Moves queued requests into the ring while there is CQ room.
    fn admit(&mut self) {
        while self.in_kernel < self.budget {
            let Some((key, iocb)) = self.queue.pop_front() else {
                return;
            };
            let Some(slot) = self.slots.get(key) else {
                continue;
            };
            if slot.state & QUEUED == 0 {
                continue;
            }
            self.slots.mark_submitted(key);
            if let Err(e) = self.push(key, &iocb) {
                tracing::warn!(error = %e, "queued request could not be submitted");
                self.local_done
                    .push((key.user_data(), -e.raw_os_error().unwrap_or(libc::EIO)));
            }
        }
    }
}

/// The file `iocb` runs on: its registered-file slot where its fd has one.
#[inline]
fn fixed_target(files: &FixedFiles, iocb: &Iocb) -> Target {
    if let Target::Fd(fd) = iocb.fd {
        // Close on a slot would close the slot, not the fd: leave it alone.
        if iocb.opcode != Opcode::Close && iocb.opcode.takes_fixed_file() {
            if let Some(slot) = files.lookup(fd) {
                return Target::Fixed(slot);
            }
        }
    }
    iocb.fd
}

/// One CQE into its slot. Inlined into the ring's drain loop: a call per CQE would cost
/// more than the work.
#[inline(always)]
fn reap(
    c: Completion,
    slots: &mut Slots,
    in_kernel: &mut usize,
    wake_armed: &mut bool,
    out: &mut Deferred,
) {
    let outcome = Outcome {
        result: c.result,
        flags: c.flags,
    };
    let Some(key) = Id::from_user_data(c.user_data) else {
        *in_kernel -= 1;
        if c.user_data == WAKE {
            *wake_armed = false;
        }
        return;
    };
    let finished = if c.more() {
        slots.more(key, outcome)
    } else {
        *in_kernel -= 1;
        slots.finish(key, outcome)
    };
    defer(finished, out);
}

#[inline(always)]
fn defer(finished: Finished, out: &mut Deferred) {
    match finished {
        Finished::Wake(Some(waker)) => out.wakers.push(waker),
        Finished::Wake(None) => {}
        Finished::Task(token) => {
            if out.tasks.last() != Some(&token) {
                out.tasks.push(token);
            }
        }
        Finished::Orphan { close, garbage } => {
            out.close.extend(close);
            out.garbage.extend(garbage);
        }
        Finished::Stale => tracing::trace!("completion for a finished request ignored"),
    }
}
