//! One AIO context: a ringaio-core [`Ring`], the requests in flight on it, and the
//! `struct aio_ring` its completions go to.
//!
//! Completions travel CQE → `aio_ring` → the program (through `io_getevents`, or read
//! directly by a user-space reaper). One lock guards the ring, the slots and the ring's
//! tail; nobody holds it while waiting. At most one thread at a time waits in
//! `io_uring_enter` (the *poller*); others wanting completions wait on a condition variable
//! that the poller signals after moving what it reaped into the `aio_ring`. Only the
//! poller, or anyone while nobody polls, moves CQEs: a CQE reaped between the poller's
//! unlock and its `io_uring_enter` could otherwise leave it asleep on a ring that has
//! something for it.

use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use ringaio_core::{to_sqe, Iocb, Ring};
use slab::Slab;

use crate::abi::{self, IoEvent, KIOCB_KEY};
use crate::aio_ring::AioRing;
use crate::fd_cache::FdCache;
use crate::prepare::prepare;
use crate::reaper;
use crate::wait::{self, Woken};

/// User data bit of the context's own SQEs (cancels, wake-ups); requests never set it.
const CONTROL: u64 = 1 << 63;
/// With [`CONTROL`]: nobody waits for this cancel's result (`io_destroy`'s).
const DETACHED: u64 = 1 << 62;
/// The user data of a NOP that only wakes the poller.
const WAKE: u64 = u64::MAX;
/// A request's user data: its slot index in the low 32 bits, a 30-bit generation above.
const INDEX_MASK: u64 = 0xffff_ffff;
const GENERATION_MASK: u32 = (1 << 30) - 1;

/// The most events one context may have: its CQ (twice that, for cancels) must fit
/// io_uring's largest, 65536 entries.
pub(crate) const MAX_NR_EVENTS: u32 = 32_760;

/// A request the kernel holds.
#[derive(Debug)]
struct Slot {
    generation: u32,
    /// The program's iocb address: the event's `obj`, and what `io_cancel` names.
    obj: u64,
    /// The iocb's `data`.
    data: u64,
    /// The iocb's fd: forgotten by the fd cache if io_uring finds it bad.
    fd: RawFd,
    resfd: Option<RawFd>,
    /// An `io_cancel` was accepted for it (a second one is `EINVAL`, as in the kernel).
    cancelled: bool,
    /// A lone request whose fd was passed on what the fd cache remembered: a `-EBADF`
    /// completion while `io_submit` still runs is the submission's error, not an event.
    probe: bool,
}

/// Whether the reaper thread exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReaperState {
    NotStarted,
    Running { parked: bool },
    Exited,
}

#[derive(Debug)]
pub(crate) struct State {
    ring: Ring,
    slots: Slab<Slot>,
    /// The fds checked so far, with their open flags.
    fds: FdCache,
    generation: u32,
    /// Events that found the `aio_ring` full (only if the program corrupted `head`).
    overflow: VecDeque<IoEvent>,
    /// Results of `io_cancel`'s cancel requests, by target user data.
    cancel_results: Vec<(u64, i32)>,
    /// A probed request came back `-EBADF` during its `io_submit`.
    probe_refused: bool,
    wake_pending: bool,
    /// A thread waits in `io_uring_enter`.
    polling: bool,
    /// Threads waiting on `polled`.
    followers: usize,
    dead: bool,
    /// `head` as the library last left it: if it moves, the program reaps in user space.
    known_head: u32,
    seen_getevents: bool,
    pub(crate) seen_user_reap: bool,
    resfd_in_flight: usize,
    pub(crate) reaper: ReaperState,
}

/// A context, shared by every thread that names it.
#[derive(Debug)]
pub(crate) struct Context {
    state: Mutex<State>,
    /// Signalled by the poller after each wait.
    polled: Condvar,
    /// Wakes the reaper thread when parked.
    pub(crate) reaper_cv: Condvar,
    ring_fd: RawFd,
    aio: AioRing,
    /// `nr_events`: requests in flight plus unreaped events.
    limit: usize,
}

/// When a wait ends: `None` never.
type Deadline = Option<Instant>;

fn remaining(deadline: Deadline) -> Option<Duration> {
    deadline.map(|d| d.saturating_duration_since(Instant::now()))
}

/// The system's `fs.aio-max-nr`, which bounds one context's `nr_events` as in the kernel.
fn aio_max_nr() -> u32 {
    static MAX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/fs/aio-max-nr")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(65536, |n| u32::try_from(n).unwrap_or(u32::MAX))
    })
}

impl Context {
    /// `io_setup(nr_events)`.
    ///
    /// # Errors
    /// `EINVAL` for 0 or more than the kernel's bound; `EAGAIN` above `fs.aio-max-nr` or
    /// [`MAX_NR_EVENTS`]; `ENOSYS` when io_uring cannot be used here; `ENOMEM` and other
    /// setup errors as the kernel gives them.
    pub(crate) fn new(nr_events: u32) -> Result<Arc<Context>, i32> {
        if nr_events == 0 || nr_events > 0x1000_0000 / 32 {
            return Err(libc::EINVAL);
        }
        if nr_events > aio_max_nr() || nr_events > MAX_NR_EVENTS {
            return Err(libc::EAGAIN);
        }
        let ring = Ring::builder()
            .entries(nr_events.min(1024))
            .cq_entries(2 * nr_events + 16)
            .coop_taskrun(false)
            .build()
            .map_err(|e| {
                if ringaio_core::is_unavailable(&e) {
                    libc::ENOSYS
                } else {
                    e.raw_os_error().unwrap_or(libc::ENOMEM)
                }
            })?;
        let aio = AioRing::new(nr_events as usize)
            .map_err(|e| e.raw_os_error().unwrap_or(libc::ENOMEM))?;
        Ok(Arc::new(Context {
            ring_fd: ring.as_raw_fd(),
            state: Mutex::new(State {
                ring,
                slots: Slab::with_capacity(nr_events as usize),
                fds: FdCache::default(),
                generation: 0,
                overflow: VecDeque::new(),
                cancel_results: Vec::new(),
                probe_refused: false,
                wake_pending: false,
                polling: false,
                followers: 0,
                dead: false,
                known_head: 0,
                seen_getevents: false,
                seen_user_reap: false,
                resfd_in_flight: 0,
                reaper: ReaperState::NotStarted,
            }),
            polled: Condvar::new(),
            reaper_cv: Condvar::new(),
            aio,
            limit: nr_events as usize,
        }))
    }

    /// The context address: its `struct aio_ring`.
    pub(crate) fn addr(&self) -> usize {
        self.aio.addr() as usize
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic under the lock is caught at the C boundary; the state it left is still
        // the best account of what the kernel holds.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `io_submit`: queues the `nr` iocbs at `iocbs` in order, stopping at the first that is
    /// refused or finds the context full. Returns how many were queued.
    ///
    /// # Errors
    /// When none was queued: the first one's errno (`EFAULT` for a null pointer, `EAGAIN`
    /// when full, the refusals of [`prepare`]); `EINVAL` on a destroyed context.
    ///
    /// # Safety
    /// - `iocbs` points at `nr` readable pointers; each non-null one at a writable `iocb`.
    /// - Every buffer and iovec array those iocbs name stays valid until their events are
    ///   reaped or the context is destroyed.
    pub(crate) unsafe fn submit(
        self: &Arc<Self>,
        iocbs: *const *mut abi::Iocb,
        nr: usize,
    ) -> Result<usize, i32> {
        let mut st = self.lock();
        if st.dead {
            return Err(libc::EINVAL);
        }
        self.observe_head(&mut st);
        // Each fd is checked with fcntl the first time, then from the context's fd cache. A
        // lone request on a remembered fd is a probe: if the program closed the fd since,
        // io_uring fails it with -EBADF while `io_uring_enter` submits it, and `drain`
        // (only this thread drains while nobody polls) turns that into EBADF here.
        let lone = nr == 1 && !st.polling;
        let mut queued = 0;
        let mut error = 0;
        let mut probed = None;
        for i in 0..nr {
            // SAFETY: the caller vouches for `nr` pointers at `iocbs`.
            let p = unsafe { iocbs.add(i).read() };
            if p.is_null() {
                error = libc::EFAULT;
                break;
            }
            if st.slots.len() + self.pending(&st) >= self.limit {
                error = libc::EAGAIN;
                break;
            }
            // SAFETY: the caller vouches for a readable iocb at every non-null pointer.
            let raw = unsafe { p.read() };
            let prepared = match prepare(&raw, &mut st.fds) {
                Ok(prepared) => prepared,
                Err(e) => {
                    error = e;
                    break;
                }
            };
            // The kernel writes KIOCB_KEY into aio_key at submission; io_cancel checks it.
            // SAFETY: the caller vouches for a writable iocb.
            unsafe { (&raw mut (*p).key).write(KIOCB_KEY) };
            st.generation = st.generation.wrapping_add(1) & GENERATION_MASK;
            let generation = st.generation;
            let entry = st.slots.vacant_entry();
            let index = entry.key();
            let user_data = (u64::from(generation) << 32) | index as u64;
            let probe = lone && prepared.remembered;
            entry.insert(Slot {
                generation,
                obj: p as u64,
                data: raw.data,
                fd: raw.aio_fildes,
                resfd: prepared.resfd,
                cancelled: false,
                probe,
            });
            let iocb = prepared.iocb.with_data(user_data);
            // SAFETY: the caller keeps what the iocb points at valid until its event is
            // reaped or the context destroyed, and `destroy` waits for every request.
            if let Err(e) = unsafe { st.ring.push_iocb(&iocb) } {
                st.slots.remove(index);
                error = e.raw_os_error().unwrap_or(libc::EAGAIN);
                break;
            }
            if prepared.resfd.is_some() {
                st.resfd_in_flight += 1;
            }
            if probe {
                probed = Some((index, generation));
            }
            queued += 1;
        }
        if queued == 0 {
            return if error != 0 { Err(error) } else { Ok(0) };
        }
        // Whatever this says, the entries are in the SQ and go with the next enter.
        if let Err(e) = st.ring.submit() {
            tracing::warn!(error = %e, "io_submit: io_uring_enter failed; retried later");
        }
        if !st.polling {
            self.drain(&mut st);
        }
        if let Some((index, generation)) = probed {
            // Refused, or from now on an ordinary request whatever it answers.
            if let Some(slot) = st.slots.get_mut(index) {
                if slot.generation == generation {
                    slot.probe = false;
                }
            }
            if std::mem::take(&mut st.probe_refused) {
                return Err(libc::EBADF);
            }
        }
        reaper::kick(self, &mut st);
        Ok(queued)
    }

    /// `io_getevents`: moves events into `out` until at least `min` are there, the deadline
    /// passes, or a signal arrives (with `sigmask` as the poller's mask while it waits).
    ///
    /// # Errors
    /// `EINTR` on a signal before any event; `EINVAL` once the context is destroyed with no
    /// event taken; errors of `io_uring_enter`.
    ///
    /// # Safety
    /// - `out` points at `nr` writable events (written one by one: only as many as are
    ///   returned are touched).
    /// - `sigmask` is null or points at a readable kernel sigset.
    pub(crate) unsafe fn get_events(
        &self,
        min: usize,
        out: *mut IoEvent,
        nr: usize,
        deadline: Deadline,
        sigmask: *const libc::sigset_t,
    ) -> Result<usize, i32> {
        let mut st = self.lock();
        if st.dead {
            return Err(libc::EINVAL);
        }
        self.observe_head(&mut st);
        st.seen_getevents = true;
        let mut n = 0;
        let done = |ctx: &Self, st: &mut State| {
            // SAFETY: `out` has room for `nr` events, `n` of them written.
            n += unsafe { ctx.take(st, out.add(n), nr - n) };
            (n >= min || st.dead).then_some(())
        };
        // SAFETY: forwarded from the caller.
        let (st, res) = unsafe { self.wait_until(st, deadline, sigmask, done) };
        if st.followers > 0 && self.pending(&st) > 0 {
            self.polled.notify_all();
        }
        match res {
            _ if n > 0 => Ok(n),
            Ok(_) if st.dead => Err(libc::EINVAL),
            Ok(_) => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// `io_cancel`: asks io_uring to cancel the request submitted from `obj`, and waits for
    /// its answer. Returns the (positive) errno to hand back: `EINPROGRESS` when cancelled
    /// (its event, `-ECANCELED`, arrives through the ring), `EAGAIN` when it could not be
    /// stopped or had finished (its real event arrives), `EINVAL` when no such request is in
    /// flight (or it was cancelled already).
    pub(crate) fn cancel(&self, obj: u64) -> i32 {
        let mut st = self.lock();
        if st.dead {
            return libc::EINVAL;
        }
        let found = st
            .slots
            .iter()
            .find(|(_, s)| s.obj == obj && !s.cancelled)
            .map(|(i, s)| (i, s.generation));
        let Some((index, generation)) = found else {
            return libc::EINVAL;
        };
        let target = (u64::from(generation) << 32) | index as u64;
        if let Err(e) = Self::push_control(&mut st, Iocb::async_cancel(target), CONTROL | target)
            .and_then(|()| st.ring.submit().map(drop))
        {
            return e.raw_os_error().unwrap_or(libc::EAGAIN);
        }
        let mut st = st;
        let result = loop {
            // SAFETY: no sigmask.
            let (guard, res) = unsafe {
                self.wait_until(st, None, std::ptr::null(), |_, st| {
                    let at = st.cancel_results.iter().position(|(t, _)| *t == target)?;
                    Some(st.cancel_results.swap_remove(at).1)
                })
            };
            st = guard;
            match res {
                Ok(Some(result)) => break result,
                // Interrupted: the answer still comes; wait on.
                Ok(None) | Err(libc::EINTR) => continue,
                Err(e) => return e,
            }
        };
        if result == 0 {
            if let Some(slot) = st.slots.get_mut(index) {
                if slot.generation == generation {
                    slot.cancelled = true;
                }
            }
            libc::EINPROGRESS
        } else {
            libc::EAGAIN
        }
    }

    /// `io_destroy`: refuses further use, cancels what is in flight and waits until the
    /// kernel has completed every request.
    pub(crate) fn destroy(&self) {
        let mut st = self.lock();
        if st.dead {
            return;
        }
        st.dead = true;
        let targets: Vec<u64> = st
            .slots
            .iter()
            .map(|(i, s)| (u64::from(s.generation) << 32) | i as u64)
            .collect();
        for target in targets {
            let tag = CONTROL | DETACHED | target;
            if let Err(e) = Self::push_control(&mut st, Iocb::async_cancel(target), tag) {
                tracing::warn!(error = %e, "io_destroy: could not queue a cancel");
            }
        }
        // Waiters with nothing in flight must see `dead` too, as the kernel wakes them.
        if st.polling && !st.wake_pending {
            st.wake_pending = Self::push_control(&mut st, Iocb::noop(), WAKE).is_ok();
        }
        if let Err(e) = st.ring.submit() {
            tracing::warn!(error = %e, "io_destroy: io_uring_enter failed");
        }
        self.polled.notify_all();
        self.reaper_cv.notify_all();
        loop {
            // SAFETY: no sigmask.
            let (guard, res) = unsafe {
                self.wait_until(st, None, std::ptr::null(), |_, st| {
                    st.slots.is_empty().then_some(())
                })
            };
            st = guard;
            match res {
                Ok(Some(())) => return,
                Ok(None) | Err(libc::EINTR) => continue,
                Err(e) => {
                    tracing::error!(
                        errno = e,
                        in_flight = st.slots.len(),
                        "io_destroy: cannot wait for requests in flight"
                    );
                    return;
                }
            }
        }
    }

    fn push_control(st: &mut State, iocb: Iocb, tag: u64) -> std::io::Result<()> {
        let sqe = to_sqe(&iocb.with_data(tag))?;
        // SAFETY: a cancel or a NOP points at no memory.
        unsafe { st.ring.push(&sqe) }
    }

    /// Unreaped events: in the `aio_ring` and (rarely) beside it.
    fn pending(&self, st: &State) -> usize {
        self.aio.len() + st.overflow.len()
    }

    /// Notes a program that reaps in user space: `head` moved since the library left it.
    pub(crate) fn observe_head(&self, st: &mut State) {
        let head = self.aio.head();
        if head != st.known_head {
            st.seen_user_reap = true;
            st.known_head = head;
        }
    }

    /// Moves up to `room` unreaped events to `out`, oldest first.
    ///
    /// # Safety
    /// - `out` points at `room` writable events.
    unsafe fn take(&self, st: &mut State, out: *mut IoEvent, room: usize) -> usize {
        let mut chunk = [IoEvent::default(); 32];
        let mut n = 0;
        while n < room {
            let want = (room - n).min(chunk.len());
            let mut k = self.aio.take(&mut chunk[..want]);
            while k < want {
                let Some(event) = st.overflow.pop_front() else {
                    break;
                };
                chunk[k] = event;
                k += 1;
            }
            // SAFETY: `n + k <= room` events fit at `out`; `chunk` is a separate local.
            unsafe { std::ptr::copy_nonoverlapping(chunk.as_ptr(), out.add(n), k) };
            n += k;
            if k < want {
                break;
            }
        }
        st.known_head = self.aio.head();
        n
    }

    /// Moves every CQE to where it belongs: requests' events to the `aio_ring` (and their
    /// eventfds signalled), cancel answers to `cancel_results`. Returns the events moved.
    fn drain(&self, st: &mut State) -> usize {
        let State {
            ring,
            slots,
            fds,
            overflow,
            cancel_results,
            probe_refused,
            wake_pending,
            resfd_in_flight,
            ..
        } = st;
        let mut moved = 0;
        for cqe in ring.completions() {
            let user_data = cqe.user_data;
            if user_data & CONTROL != 0 {
                if user_data == WAKE {
                    *wake_pending = false;
                } else if user_data & DETACHED == 0 {
                    cancel_results.push((user_data & !CONTROL, cqe.result));
                }
                continue;
            }
            let index = (user_data & INDEX_MASK) as usize;
            let generation = (user_data >> 32) as u32;
            if slots.get(index).is_none_or(|s| s.generation != generation) {
                tracing::error!(user_data, "completion for no request; ignored");
                continue;
            }
            let slot = slots.remove(index);
            if slot.resfd.is_some() {
                *resfd_in_flight -= 1;
            }
            if cqe.result == -libc::EBADF {
                // Closed (or reopened with less access) since the cache checked it.
                fds.forget(slot.fd);
                if slot.probe {
                    *probe_refused = true;
                    continue;
                }
            }
            let event = IoEvent {
                data: slot.data,
                obj: slot.obj,
                res: i64::from(cqe.result) as u64,
                res2: 0,
            };
            if !overflow.is_empty() || !self.aio.push(event) {
                overflow.push_back(event);
            }
            // After the event is in the ring: whoever the eventfd wakes finds it there.
            if let Some(fd) = slot.resfd {
                signal_eventfd(fd);
            }
            moved += 1;
        }
        moved
    }

    /// Runs `done` after moving completions, until it answers, the deadline passes
    /// (`Ok(None)`), a signal arrives while this thread polls (`Err(EINTR)`) or the wait
    /// fails. Polls the ring when nobody else does, else waits for the poller.
    ///
    /// # Safety
    /// - `sigmask` is null or points at a readable kernel sigset.
    pub(crate) unsafe fn wait_until<'a, T>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        deadline: Deadline,
        sigmask: *const libc::sigset_t,
        mut done: impl FnMut(&Self, &mut State) -> Option<T>,
    ) -> (MutexGuard<'a, State>, Result<Option<T>, i32>) {
        loop {
            if !st.polling {
                self.drain(&mut st);
            }
            if let Some(v) = done(self, &mut st) {
                return (st, Ok(Some(v)));
            }
            let left = remaining(deadline);
            if left == Some(Duration::ZERO) {
                return (st, Ok(None));
            }
            if st.polling {
                st.followers += 1;
                st = match left {
                    Some(d) => self
                        .polled
                        .wait_timeout(st, d)
                        .map_or_else(|e| e.into_inner().0, |(g, _)| g),
                    None => self.polled.wait(st).unwrap_or_else(PoisonError::into_inner),
                };
                st.followers -= 1;
                continue;
            }
            // SQEs left behind by a failed or cut-short submit go with this enter.
            let to_submit = u32::try_from(st.ring.sq_pending()).unwrap_or(u32::MAX);
            st.polling = true;
            drop(st);
            // SAFETY: the sigmask is forwarded from the caller; queued SQEs were pushed under
            // `Ring::push`'s contract by `submit`.
            let woken = unsafe { wait::wait(self.ring_fd, to_submit, left, sigmask) };
            st = self.lock();
            st.polling = false;
            self.drain(&mut st);
            if st.followers > 0 {
                self.polled.notify_all();
            }
            match woken {
                Ok(Woken::Maybe) => {}
                Ok(Woken::Interrupted) => {
                    let v = done(self, &mut st);
                    return match v {
                        Some(v) => (st, Ok(Some(v))),
                        None => (st, Err(libc::EINTR)),
                    };
                }
                Err(e) => return (st, Err(e)),
            }
        }
    }
}

impl State {
    /// Whether the reaper thread should move completions into the `aio_ring`: requests are
    /// in flight and either the program reaps in user space, an eventfd waits to be
    /// signalled, or the program has not called `io_getevents` yet.
    pub(crate) fn reaper_wanted(&self) -> bool {
        !self.dead
            && !self.slots.is_empty()
            && (self.seen_user_reap || self.resfd_in_flight > 0 || !self.seen_getevents)
    }

    pub(crate) fn dead(&self) -> bool {
        self.dead
    }

    pub(crate) fn in_flight(&self) -> usize {
        self.slots.len()
    }
}

/// Adds 1 to an eventfd's counter, as the kernel's `eventfd_signal` for `IOCB_FLAG_RESFD`.
fn signal_eventfd(fd: RawFd) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64; a bad fd only fails the call.
    let n = unsafe { libc::write(fd, (&raw const one).cast(), 8) };
    if n != 8 {
        tracing::debug!(fd, "IOCB_FLAG_RESFD: eventfd write failed");
    }
}
