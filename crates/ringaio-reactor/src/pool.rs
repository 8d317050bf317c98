//! The blocking pool: runs requests the ring cannot (an opcode the kernel lacks, or no
//! io_uring at all) as plain syscalls on a few named threads, and hands their results back
//! through the same slots. It also runs closures ([`BlockingCall`]: `spawn_blocking`).
//!
//! Work goes to one of three lanes, each with its own threads and its own bound, so one kind
//! cannot starve another: file I/O (`ringaio-blocking-N`), opens (`ringaio-open-N`: an open
//! of a FIFO blocks until its other end is opened) and closures (`ringaio-call-N`: user code
//! that may block for any time). Requests on pipes, sockets and terminals never take a lane's
//! thread: the poller thread tries them without blocking and waits for readiness only when
//! they would block (`poller.rs`).

mod fifo;
mod poller;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ringaio_core::{Iocb, Opcode};

use crate::Notifier;

/// A closure for the pool to run (`Reactor::submit_blocking`). It reports its own result
/// (through whatever it captured); the request's result is 0 once it has returned.
pub type BlockingCall = Box<dyn FnOnce() + Send + 'static>;

/// Most threads the closure lane starts: closures may block for any time, so the bound is
/// generous (each idle thread costs a stack), and separate from the I/O lanes'.
const CALL_THREADS: usize = 64;

/// What a job does.
enum Work {
    /// A request, run with `ringaio_core::execute`.
    Io(Iocb),
    /// A closure.
    Call(BlockingCall),
}

impl fmt::Debug for Work {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Work::Io(iocb) => f.debug_tuple("Io").field(&iocb.opcode).finish(),
            Work::Call(_) => f.write_str("Call"),
        }
    }
}

#[derive(Debug)]
struct Job {
    user_data: u64,
    work: Work,
}

/// The pool's lanes: each has its own queue, threads and bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    /// Reads, writes, syncs and the other file operations.
    Io = 0,
    /// `Openat`, which may block until a FIFO's other end is opened.
    Open = 1,
    /// Closures.
    Call = 2,
}

const LANES: [Lane; 3] = [Lane::Io, Lane::Open, Lane::Call];

impl Lane {
    fn of(work: &Work) -> Lane {
        match work {
            Work::Io(iocb) if iocb.opcode == Opcode::Openat => Lane::Open,
            Work::Io(_) => Lane::Io,
            Work::Call(_) => Lane::Call,
        }
    }

    fn thread_name(self, n: usize) -> String {
        match self {
            Lane::Io => format!("ringaio-blocking-{n}"),
            Lane::Open => format!("ringaio-open-{n}"),
            Lane::Call => format!("ringaio-call-{n}"),
        }
    }
}

#[derive(Debug, Default)]
struct LaneState {
    /// Ready to run on one of this lane's threads.
    jobs: VecDeque<Job>,
    /// Jobs this lane's threads are running.
    running: usize,
    idle: usize,
    threads: usize,
}

/// A request waiting on the poller: to be tried (`tried == false`), or for readiness.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    user_data: u64,
    iocb: Iocb,
    fd: i32,
    events: i16,
    /// Tried once and it would have blocked (or cannot be tried without blocking): wait
    /// for readiness before the next try.
    tried: bool,
}

/// The job the poller is trying right now, out of `waiting` while its syscall runs.
#[derive(Debug, Clone, Copy)]
struct Trying {
    user_data: u64,
    /// A cancel came meanwhile: if the try would block, the job ends with `-ECANCELED`
    /// instead of waiting again.
    cancelled: bool,
}

#[derive(Debug)]
struct RunningOpen {
    user_data: u64,
    iocb: Iocb,
    cancelled: bool,
    /// The FIFO's other end a cancel opened to end this open (`fifo.rs`), and the FIFO's
    /// device and inode, kept open until the open returns: the thread may reach `open(2)`
    /// only after the cancel.
    kick: Option<(OwnedFd, (u64, u64))>,
}

#[derive(Debug, Default)]
struct State {
    lanes: [LaneState; 3],
    /// Waiting on the poller.
    waiting: Vec<Waiting>,
    trying: Option<Trying>,
    /// Opens a thread is running, so a cancel can end one blocked on a FIFO.
    running_opens: Vec<RunningOpen>,
    /// How many times a cancel opened a FIFO's other end (`fifo.rs`): an open that was not
    /// cancelled but returned meanwhile may have been woken by that, not by a real peer.
    fifo_kicks: u64,
    /// Kicks being opened right now (between a cancel's bump of `fifo_kicks` and
    /// `keep_kick`): an open that returns meanwhile may have found one not yet listed.
    kicking: usize,
    done: Vec<(u64, i32)>,
    shutdown: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// One per lane: its idle threads wait here.
    work: [Condvar; 3],
    notifier: Notifier,
    /// Wakes the poller when `waiting` changes or at shutdown (made with the poller).
    poller_wake: OnceLock<OwnedFd>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Threads run syscalls and closures unlocked and never panic under the lock, but a
        // poisoned lock still holds consistent data: take it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a result; returns whether the reactor must be notified (the first one since
    /// it last took them).
    fn post(&self, state: &mut State, user_data: u64, result: i32) -> bool {
        let was_empty = state.done.is_empty();
        state.done.push((user_data, result));
        was_empty
    }

    fn wake_poller(&self) {
        let Some(fd) = self.poller_wake.get() else {
            return;
        };
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd.
        unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Keeps `kick`, the other end of the FIFO that open `user_data` may be blocked on,
    /// until that open returns (closes it now if the open has returned already); ends the
    /// kick that `kicking` counts, either way.
    fn keep_kick(&self, user_data: u64, kick: Option<OwnedFd>) {
        let kick = kick.and_then(|k| Some((fifo::file_id(k.as_raw_fd())?, k)));
        let mut state = self.lock();
        state.kicking -= 1;
        let Some((id, kick)) = kick else {
            return;
        };
        if let Some(open) = state
            .running_opens
            .iter_mut()
            .find(|o| o.user_data == user_data)
        {
            open.kick = Some((kick, id));
        }
    }

    /// Cancels `user_data` if it has not started: a queued or waiting job completes with
    /// `-ECANCELED` at once, as does one the poller is trying if the try would block. An open
    /// blocked on a FIFO is woken (see `fifo.rs`); any other running job finishes normally.
    fn cancel(&self, user_data: u64) {
        let mut state = self.lock();
        let mut notify = false;
        let mut dropped = None;
        let mut blocked_open = None;
        let mut wake_poller = false;
        let queued = LANES.iter().find_map(|&lane| {
            let jobs = &state.lanes[lane as usize].jobs;
            Some((lane, jobs.iter().position(|j| j.user_data == user_data)?))
        });
        if let Some((lane, pos)) = queued {
            dropped = state.lanes[lane as usize].jobs.remove(pos);
            notify = self.post(&mut state, user_data, -libc::ECANCELED);
        } else if let Some(pos) = state.waiting.iter().position(|w| w.user_data == user_data) {
            state.waiting.swap_remove(pos);
            notify = self.post(&mut state, user_data, -libc::ECANCELED);
            wake_poller = true;
        } else if let Some(trying) = state.trying.as_mut().filter(|t| t.user_data == user_data) {
            trying.cancelled = true;
        } else {
            let open = state
                .running_opens
                .iter_mut()
                .find(|o| o.user_data == user_data);
            if let Some(open) = open {
                open.cancelled = true;
                blocked_open = Some(open.iocb);
                state.fifo_kicks += 1;
                state.kicking += 1;
            }
        }
        // Unlocked from here: a closure's drop is user code, and the FIFO is opened. (The
        // guard used to live to the end of this function on all paths but one: a dropped
        // closure ran under the pool's lock.)
        drop(state);
        if wake_poller {
            self.wake_poller();
        }
        drop_guarded(dropped);
        if let Some(iocb) = blocked_open {
            // SAFETY: the open is still running (it was in `running_opens`), so the
            // submitter still keeps its path alive: its result has not been taken yet.
            let kick = unsafe { fifo::unblock(&iocb) };
            self.keep_kick(user_data, kick);
        }
        if notify {
            self.notifier.notify();
        }
    }
}

/// A pool of named threads in three bounded lanes, plus one poller thread.
#[derive(Debug)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    poller: Option<JoinHandle<()>>,
    /// Most threads of the I/O lane, and of the open lane.
    max_threads: usize,
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Pool {
    pub(crate) fn new(max_threads: usize, notifier: Notifier) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: [Condvar::new(), Condvar::new(), Condvar::new()],
                notifier,
                poller_wake: OnceLock::new(),
            }),
            handles: Vec::new(),
            poller: None,
            max_threads: max_threads.max(1),
        }
    }

    /// Queues `iocb`; its result comes back from [`Pool::take_done`] under `user_data`.
    ///
    /// # Safety
    /// - The memory `iocb` points at stays valid until its result has been taken.
    pub(crate) unsafe fn submit(&mut self, user_data: u64, iocb: Iocb) {
        if let Some((fd, events)) = poller::readiness(&iocb) {
            self.shared.lock().waiting.push(Waiting {
                user_data,
                iocb,
                fd,
                events,
                tried: false,
            });
            self.start_poller();
            self.shared.wake_poller();
            return;
        }
        self.queue(Job {
            user_data,
            work: Work::Io(iocb),
        });
    }

    /// Queues `call` on the closure lane; 0 comes back from [`Pool::take_done`] under
    /// `user_data` once it has returned (`-ECANCELED` if it was cancelled before it ran).
    pub(crate) fn submit_call(&mut self, user_data: u64, call: BlockingCall) {
        self.queue(Job {
            user_data,
            work: Work::Call(call),
        });
    }

    fn queue(&mut self, job: Job) {
        let lane = Lane::of(&job.work);
        let max = match lane {
            Lane::Io | Lane::Open => self.max_threads,
            Lane::Call => CALL_THREADS,
        };
        let mut state = self.shared.lock();
        let l = &mut state.lanes[lane as usize];
        l.jobs.push_back(job);
        // Threads not busy with a job (idle, or about to look for the next one) will take it.
        let free = l.threads - l.running;
        if l.idle > 0 {
            drop(state);
            self.shared.work[lane as usize].notify_one();
        } else if l.jobs.len() > free && l.threads < max {
            l.threads += 1;
            let n = l.threads;
            drop(state);
            self.spawn_worker(lane, n);
        }
    }

    fn spawn_worker(&mut self, lane: Lane, n: usize) {
        let shared = self.shared.clone();
        let spawned = thread::Builder::new()
            .name(lane.thread_name(n))
            .spawn(move || worker(&shared, lane));
        match spawned {
            Ok(handle) => self.handles.push(handle),
            Err(e) => {
                tracing::error!(error = %e, "cannot start a blocking-pool thread");
                let mut state = self.shared.lock();
                let l = &mut state.lanes[lane as usize];
                l.threads -= 1;
                if l.threads > 0 {
                    return;
                }
                // Nobody will run this lane's queue: fail what is in it.
                let jobs: Vec<Job> = l.jobs.drain(..).collect();
                let mut notify = false;
                for job in &jobs {
                    notify |= self.shared.post(&mut state, job.user_data, -libc::EAGAIN);
                }
                drop(state);
                jobs.into_iter().for_each(|job| drop_guarded(Some(job)));
                if notify {
                    self.shared.notifier.notify();
                }
            }
        }
    }

    fn start_poller(&mut self) {
        if self.poller.is_some() {
            return;
        }
        let started = eventfd().and_then(|fd| {
            let _ = self.shared.poller_wake.set(fd);
            let shared = self.shared.clone();
            thread::Builder::new()
                .name("ringaio-poller".to_owned())
                .spawn(move || poller::run(&shared))
        });
        match started {
            Ok(handle) => self.poller = Some(handle),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the blocking pool's poller");
                let mut state = self.shared.lock();
                let waiting: Vec<Waiting> = state.waiting.drain(..).collect();
                for w in waiting {
                    self.shared.post(&mut state, w.user_data, -libc::EAGAIN);
                }
                drop(state);
                self.shared.notifier.notify();
            }
        }
    }

    /// Cancels `user_data` if it has not started (see `Shared::cancel`).
    pub(crate) fn cancel(&self, user_data: u64) {
        self.shared.cancel(user_data);
    }

    /// Moves every finished result into `out`.
    pub(crate) fn take_done(&self, out: &mut Vec<(u64, i32)>) {
        let mut state = self.shared.lock();
        std::mem::swap(&mut state.done, out);
    }

    /// Stops the threads: queued and waiting jobs complete with `-ECANCELED` (their results
    /// stay available to [`Pool::take_done`]), opens blocked on a FIFO are woken, and the
    /// threads are joined within `bound`. Returns whether all of them were.
    pub(crate) fn shutdown(&mut self, bound: Duration) -> bool {
        let mut state = self.shared.lock();
        state.shutdown = true;
        let mut jobs = Vec::new();
        for lane in &mut state.lanes {
            jobs.extend(lane.jobs.drain(..));
        }
        let waiting: Vec<Waiting> = state.waiting.drain(..).collect();
        for user_data in jobs
            .iter()
            .map(|j| j.user_data)
            .chain(waiting.iter().map(|w| w.user_data))
        {
            state.done.push((user_data, -libc::ECANCELED));
        }
        for open in &mut state.running_opens {
            open.cancelled = true;
        }
        state.fifo_kicks += 1;
        state.kicking += state.running_opens.len();
        let opens: Vec<(u64, Iocb)> = state
            .running_opens
            .iter()
            .map(|o| (o.user_data, o.iocb))
            .collect();
        drop(state);
        jobs.into_iter().for_each(|job| drop_guarded(Some(job)));
        for (user_data, iocb) in &opens {
            // SAFETY: these opens are still running, so their submitters keep their paths
            // alive (the reactor takes no result before the pool is shut down).
            let kick = unsafe { fifo::unblock(iocb) };
            self.shared.keep_kick(*user_data, kick);
        }
        for work in &self.shared.work {
            work.notify_all();
        }
        self.shared.wake_poller();
        let deadline = Instant::now() + bound;
        let mut handles: Vec<JoinHandle<()>> = self.handles.drain(..).collect();
        handles.extend(self.poller.take());
        while handles.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let mut all = true;
        for handle in handles {
            if handle.is_finished() {
                let _ = handle.join();
            } else {
                all = false;
            }
        }
        all
    }
}

fn worker(shared: &Shared, lane: Lane) {
    let i = lane as usize;
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.lanes[i].jobs.pop_front() {
            state.lanes[i].running += 1;
            let user_data = job.user_data;
            let result = match job.work {
                Work::Io(iocb) if lane == Lane::Open => open(shared, state, user_data, iocb),
                work => {
                    drop(state);
                    run(work)
                }
            };
            state = shared.lock();
            state.lanes[i].running -= 1;
            if shared.post(&mut state, user_data, result) {
                shared.notifier.notify();
            }
            continue;
        }
        if state.shutdown {
            return;
        }
        state.lanes[i].idle += 1;
        state = shared.work[i]
            .wait(state)
            .unwrap_or_else(|e| e.into_inner());
        state.lanes[i].idle -= 1;
    }
}

/// Drops a job that will not run, outside any lock: a closure's captures are user code, and
/// a panic in their drop must not reach the reactor.
fn drop_guarded(job: Option<Job>) {
    if catch_unwind(AssertUnwindSafe(|| drop(job))).is_err() {
        tracing::error!("dropping a cancelled closure panicked");
    }
}

/// Runs an `Openat` on the open lane's thread (`state` locked on entry, unlocked on return),
/// where a cancel can find it. An open of a FIFO that returns after a cancel woke the FIFO's
/// openers (`fifo.rs`), but was not cancelled itself, may have been woken by that rather than
/// by a real peer: it closes what it got and opens again.
fn open<'a>(
    shared: &'a Shared,
    mut state: MutexGuard<'a, State>,
    user_data: u64,
    iocb: Iocb,
) -> i32 {
    loop {
        let kicks = state.fifo_kicks;
        // Kicks in the making, and FIFOs whose other end a kick holds open, as this open
        // starts: found open, it may have found only a kick.
        let kicking = state.kicking > 0;
        let held: Vec<(u64, u64)> = kicks_held(&state).collect();
        state.running_opens.push(RunningOpen {
            user_data,
            iocb,
            cancelled: false,
            kick: None,
        });
        drop(state);
        // SAFETY: the submitter promised (Pool::submit) the iocb's memory outlives the job.
        let result = unsafe { ringaio_core::execute(&iocb) };
        state = shared.lock();
        let pos = state
            .running_opens
            .iter()
            .position(|o| o.user_data == user_data);
        // A kick held for this open closes here (it has returned).
        let cancelled = pos.is_some_and(|p| state.running_opens.swap_remove(p).cancelled);
        if cancelled || result < 0 || !fifo::is_fifo(result) {
            return result;
        }
        let kicked = kicking
            || state.kicking > 0
            || fifo::file_id(result)
                .is_some_and(|id| held.contains(&id) || kicks_held(&state).any(|k| k == id));
        if state.fifo_kicks == kicks && !kicked {
            return result;
        }
        // Woken by a kick, not by a peer: open again. Still under the lock, so a cancel
        // finds this open listed all along. (While a kick is held, this spins until the
        // open it was for returns and closes it.)
        // SAFETY: the fd this open returned: ours, and given to nobody.
        drop(unsafe { OwnedFd::from_raw_fd(result) });
    }
}

/// The FIFOs (device, inode) whose other end a cancel's kick holds open.
fn kicks_held(state: &State) -> impl Iterator<Item = (u64, u64)> + '_ {
    state
        .running_opens
        .iter()
        .filter_map(|o| o.kick.as_ref().map(|k| k.1))
}

/// Runs a job on a lane's thread; the result its completion carries.
fn run(work: Work) -> i32 {
    match work {
        // SAFETY: the submitter promised (Pool::submit) the iocb's memory outlives the job.
        Work::Io(iocb) => unsafe { ringaio_core::execute(&iocb) },
        // A closure reports its own result (and panic); one that panics anyway must not
        // take the thread with it.
        Work::Call(call) => match catch_unwind(AssertUnwindSafe(call)) {
            Ok(()) => 0,
            Err(_) => {
                tracing::error!("a closure on the blocking pool panicked");
                -libc::EIO
            }
        },
    }
}

#[cfg(test)]
mod tests;
