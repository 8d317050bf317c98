//! The blocking pool: runs requests the ring cannot (an opcode the kernel lacks, or no
//! io_uring at all) as plain syscalls on a few named threads, and hands their results back
//! through the same slots.
//!
//! Requests on pipes, sockets and terminals first wait for readiness on one poller thread, so
//! that reads which may never complete do not occupy the workers that file I/O needs.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ringaio_core::{Iocb, Opcode, Target};

use crate::Notifier;

#[derive(Debug, Clone, Copy)]
struct Job {
    user_data: u64,
    iocb: Iocb,
    /// Came through the poller: run without blocking (`RWF_NOWAIT`) and, if another reader
    /// took the data first, wait again instead of holding a worker.
    gated: bool,
}

/// A job waiting for its fd to become ready.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    job: Job,
    fd: i32,
    events: i16,
}

#[derive(Debug, Default)]
struct State {
    /// Ready to run on a worker.
    jobs: VecDeque<Job>,
    /// Waiting on the poller for readiness.
    waiting: Vec<Waiting>,
    done: Vec<(u64, i32)>,
    /// Jobs a worker is running.
    running: usize,
    idle: usize,
    threads: usize,
    shutdown: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
    notifier: Notifier,
    /// Wakes the poller when `waiting` changes or at shutdown (made with the poller).
    poller_wake: OnceLock<OwnedFd>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Workers run syscalls unlocked and never panic under the lock, but a poisoned lock
        // still holds consistent data: take it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

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
}

/// A bounded pool of named threads running blocking syscalls, plus one poller thread.
#[derive(Debug)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    poller: Option<JoinHandle<()>>,
    max_threads: usize,
}

/// The readiness a job on a stream fd must wait for before its syscall can run.
fn readiness(iocb: &Iocb) -> Option<(i32, i16)> {
    let Target::Fd(fd) = iocb.fd else {
        return None;
    };
    match iocb.opcode {
        Opcode::Poll => Some((fd, iocb.flags as i16)),
        Opcode::Pread | Opcode::Preadv | Opcode::ReadFixed if is_stream(fd) => {
            Some((fd, libc::POLLIN))
        }
        Opcode::Pwrite | Opcode::Pwritev | Opcode::WriteFixed if is_stream(fd) => {
            Some((fd, libc::POLLOUT))
        }
        op => op.socket_readiness().map(|events| (fd, events)),
    }
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

fn is_stream(fd: i32) -> bool {
    // SAFETY: fstat writes into a zeroed, live stat struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return false;
    }
    matches!(
        st.st_mode & libc::S_IFMT,
        libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR
    )
}

impl Pool {
    pub(crate) fn new(max_threads: usize, notifier: Notifier) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
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
        let job = Job {
            user_data,
            iocb,
            gated: false,
        };
        if let Some((fd, events)) = readiness(&iocb) {
            self.shared.lock().waiting.push(Waiting { job, fd, events });
            self.start_poller();
            self.shared.wake_poller();
            return;
        }
        let mut state = self.shared.lock();
        state.jobs.push_back(job);
        // Workers not busy with a job (idle, or about to look for the next one) will take it.
        let free = state.threads - state.running;
        if state.idle > 0 {
            drop(state);
            self.shared.work.notify_one();
        } else if state.jobs.len() > free && state.threads < self.max_threads {
            state.threads += 1;
            let n = state.threads;
            drop(state);
            self.spawn_worker(n);
        }
    }

    fn spawn_worker(&mut self, n: usize) {
        let shared = self.shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("ringaio-blocking-{n}"))
            .spawn(move || worker(&shared));
        match spawned {
            Ok(handle) => self.handles.push(handle),
            Err(e) => {
                tracing::error!(error = %e, "cannot start a blocking-pool thread");
                let mut state = self.shared.lock();
                state.threads -= 1;
                if state.threads == 0 {
                    // Nobody will run the queue: fail what is in it.
                    let jobs: Vec<Job> = state.jobs.drain(..).collect();
                    let mut notify = false;
                    for job in jobs {
                        notify |= self.shared.post(&mut state, job.user_data, -libc::EAGAIN);
                    }
                    drop(state);
                    if notify {
                        self.shared.notifier.notify();
                    }
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
                .spawn(move || poller(&shared))
        });
        match started {
            Ok(handle) => self.poller = Some(handle),
            Err(e) => {
                tracing::error!(error = %e, "cannot start the blocking pool's poller");
                let mut state = self.shared.lock();
                let waiting: Vec<Waiting> = state.waiting.drain(..).collect();
                for w in waiting {
                    self.shared.post(&mut state, w.job.user_data, -libc::EAGAIN);
                }
                drop(state);
                self.shared.notifier.notify();
            }
        }
    }

    /// Cancels `user_data` if it has not started: a queued or waiting job completes with
    /// `-ECANCELED` at once. A running syscall finishes normally.
    pub(crate) fn cancel(&self, user_data: u64) {
        let mut state = self.shared.lock();
        let notify = if let Some(pos) = state.jobs.iter().position(|j| j.user_data == user_data) {
            state.jobs.remove(pos);
            self.shared.post(&mut state, user_data, -libc::ECANCELED)
        } else if let Some(pos) = state
            .waiting
            .iter()
            .position(|w| w.job.user_data == user_data)
        {
            state.waiting.swap_remove(pos);
            let notify = self.shared.post(&mut state, user_data, -libc::ECANCELED);
            drop(state);
            self.shared.wake_poller();
            if notify {
                self.shared.notifier.notify();
            }
            return;
        } else {
            false
        };
        drop(state);
        if notify {
            self.shared.notifier.notify();
        }
    }

    /// Moves every finished result into `out`.
    pub(crate) fn take_done(&self, out: &mut Vec<(u64, i32)>) {
        let mut state = self.shared.lock();
        std::mem::swap(&mut state.done, out);
    }

    /// Stops the workers: queued and waiting jobs complete with `-ECANCELED` (their results
    /// stay available to [`Pool::take_done`]), and the threads are joined within `bound`.
    /// Returns whether all of them were.
    pub(crate) fn shutdown(&mut self, bound: Duration) -> bool {
        let mut state = self.shared.lock();
        state.shutdown = true;
        let jobs: Vec<Job> = state.jobs.drain(..).collect();
        let waiting: Vec<Waiting> = state.waiting.drain(..).collect();
        for user_data in jobs
            .iter()
            .map(|j| j.user_data)
            .chain(waiting.iter().map(|w| w.job.user_data))
        {
            state.done.push((user_data, -libc::ECANCELED));
        }
        drop(state);
        self.shared.work.notify_all();
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

fn worker(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if let Some(job) = state.jobs.pop_front() {
            state.running += 1;
            drop(state);
            let result = run(&job);
            state = shared.lock();
            state.running -= 1;
            let notify = shared.post(&mut state, job.user_data, result);
            if notify {
                shared.notifier.notify();
            }
            continue;
        }
        if state.shutdown {
            return;
        }
        state.idle += 1;
        state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
        state.idle -= 1;
    }
}

fn run(job: &Job) -> i32 {
    if job.gated {
        let mut nowait = job.iocb;
        nowait.rw_flags |= libc::RWF_NOWAIT;
        // SAFETY: the submitter promised (Pool::submit) the iocb's memory outlives the job.
        let result = unsafe { ringaio_core::execute(&nowait) };
        if result != -libc::EOPNOTSUPP && result != -libc::EINVAL {
            return result;
        }
    }
    // SAFETY: as above.
    unsafe { ringaio_core::execute(&job.iocb) }
}

/// Waits for readiness of every waiting job's fd; a ready `Poll` completes with its events,
/// a ready read or write moves to the front of the worker queue.
fn poller(shared: &Shared) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut owners: Vec<u64> = Vec::new();
    loop {
        {
            let state = shared.lock();
            if state.shutdown {
                return;
            }
            fds.clear();
            owners.clear();
            fds.push(libc::pollfd {
                fd: shared.poller_wake.get().map_or(-1, |fd| fd.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            });
            for w in &state.waiting {
                fds.push(libc::pollfd {
                    fd: w.fd,
                    events: w.events,
                    revents: 0,
                });
                owners.push(w.job.user_data);
            }
        }
        // SAFETY: `fds` is a live array of `fds.len()` pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            continue; // EINTR; anything else shows up again on the next round.
        }
        if fds[0].revents != 0 {
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
            unsafe { libc::read(fds[0].fd, (&mut count as *mut u64).cast(), 8) };
        }
        let mut notify = false;
        for (pfd, user_data) in fds[1..].iter().zip(&owners) {
            if pfd.revents == 0 {
                continue;
            }
            let mut state = shared.lock();
            // Still waiting (a cancel may have taken it meanwhile)?
            let Some(pos) = state
                .waiting
                .iter()
                .position(|w| w.job.user_data == *user_data)
            else {
                continue;
            };
            let w = state.waiting.swap_remove(pos);
            let result = if pfd.revents & libc::POLLNVAL != 0 {
                -libc::EBADF
            } else if w.job.iocb.opcode == Opcode::Poll {
                i32::from(pfd.revents) & 0xffff
            } else {
                drop(state);
                // Ready: the read or write runs here, without blocking (RWF_NOWAIT).
                let result = run(&Job {
                    gated: true,
                    ..w.job
                });
                state = shared.lock();
                if result == -libc::EAGAIN {
                    // Someone else took the data (or the room) first: wait again.
                    state.waiting.push(w);
                    continue;
                }
                result
            };
            notify |= shared.post(&mut state, w.job.user_data, result);
        }
        if notify {
            shared.notifier.notify();
        }
    }
}
