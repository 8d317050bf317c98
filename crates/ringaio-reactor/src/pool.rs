//! The blocking pool: runs requests the ring cannot (an opcode the kernel lacks, or no
//! io_uring at all) as plain syscalls on a few named threads, and hands their results back
//! through the same slots.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ringaio_core::{Iocb, Opcode, Target};

use crate::Notifier;

/// How often a worker blocked on a pipe or socket looks for a cancel.
const CANCEL_CHECK: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy)]
struct Job {
    user_data: u64,
    iocb: Iocb,
}

#[derive(Debug, Default)]
struct State {
    jobs: VecDeque<Job>,
    done: Vec<(u64, i32)>,
    /// Jobs a worker is running.
    running: Vec<u64>,
    /// Running jobs asked to stop (honoured while they wait for readiness).
    cancelled: Vec<u64>,
    idle: usize,
    threads: usize,
    shutdown: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
    notifier: Notifier,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker never panics while holding the lock (execute runs unlocked), but a
        // poisoned lock still holds consistent data: take it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn complete(&self, user_data: u64, result: i32) {
        let mut state = self.lock();
        let was_empty = state.done.is_empty();
        state.done.push((user_data, result));
        state.running.retain(|u| *u != user_data);
        state.cancelled.retain(|u| *u != user_data);
        drop(state);
        if was_empty {
            self.notifier.notify();
        }
    }
}

/// A bounded pool of named threads running blocking syscalls.
#[derive(Debug)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
    handles: Vec<JoinHandle<()>>,
    max_threads: usize,
}

impl Pool {
    pub(crate) fn new(max_threads: usize, notifier: Notifier) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                notifier,
            }),
            handles: Vec::new(),
            max_threads: max_threads.max(1),
        }
    }

    /// Queues `iocb`; its result comes back from [`Pool::take_done`] under `user_data`.
    ///
    /// # Safety
    /// - The memory `iocb` points at stays valid until its result has been taken.
    pub(crate) unsafe fn submit(&mut self, user_data: u64, iocb: Iocb) {
        let mut state = self.shared.lock();
        state.jobs.push_back(Job { user_data, iocb });
        if state.idle > 0 {
            drop(state);
            self.shared.work.notify_one();
            return;
        }
        if state.threads < self.max_threads {
            state.threads += 1;
            let n = state.threads;
            drop(state);
            let shared = self.shared.clone();
            let spawned = thread::Builder::new()
                .name(format!("ringaio-blocking-{n}"))
                .spawn(move || worker(&shared));
            match spawned {
                Ok(handle) => self.handles.push(handle),
                Err(e) => {
                    // Existing workers (if any) will get to the job; with none, fail it.
                    let mut state = self.shared.lock();
                    state.threads -= 1;
                    if state.threads == 0 {
                        if let Some(pos) = state.jobs.iter().position(|j| j.user_data == user_data)
                        {
                            state.jobs.remove(pos);
                            drop(state);
                            tracing::error!(error = %e, "cannot start a blocking-pool thread");
                            self.shared.complete(user_data, -libc::EAGAIN);
                        }
                    }
                }
            }
        }
    }

    /// Cancels `user_data`: a job not started completes with `-ECANCELED` at once; a running
    /// one stops if it is waiting for a pipe or socket, else it finishes normally.
    pub(crate) fn cancel(&self, user_data: u64) {
        let mut state = self.shared.lock();
        if let Some(pos) = state.jobs.iter().position(|j| j.user_data == user_data) {
            state.jobs.remove(pos);
            drop(state);
            self.shared.complete(user_data, -libc::ECANCELED);
        } else if state.running.contains(&user_data) {
            state.cancelled.push(user_data);
        }
        // Otherwise it has finished: its result waits in `done`.
    }

    /// Moves every finished result into `out`.
    pub(crate) fn take_done(&self, out: &mut Vec<(u64, i32)>) {
        let mut state = self.shared.lock();
        std::mem::swap(&mut state.done, out);
    }

    /// Stops the workers: queued jobs complete with `-ECANCELED` (their results stay
    /// available to [`Pool::take_done`]), running ones are asked to stop, and the threads are
    /// joined within `bound`. Returns whether all of them were.
    pub(crate) fn shutdown(&mut self, bound: Duration) -> bool {
        let mut state = self.shared.lock();
        state.shutdown = true;
        let jobs: Vec<Job> = state.jobs.drain(..).collect();
        for job in &jobs {
            state.done.push((job.user_data, -libc::ECANCELED));
        }
        drop(state);
        self.shared.work.notify_all();
        let deadline = Instant::now() + bound;
        while self.handles.iter().any(|h| !h.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let mut all = true;
        for handle in self.handles.drain(..) {
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
    loop {
        let mut state = shared.lock();
        let job = loop {
            if let Some(job) = state.jobs.pop_front() {
                state.running.push(job.user_data);
                break job;
            }
            if state.shutdown {
                return;
            }
            state.idle += 1;
            state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
            state.idle -= 1;
        };
        drop(state);
        let result = run(shared, &job);
        shared.complete(job.user_data, result);
    }
}

/// Runs one job: waits for readiness first on pipes and sockets (so a cancel or shutdown can
/// stop it), then performs the syscall.
fn run(shared: &Shared, job: &Job) -> i32 {
    let events = match (job.iocb.opcode, job.iocb.fd) {
        (Opcode::Poll, Target::Fd(_)) => Some(job.iocb.flags as i16),
        (Opcode::Pread | Opcode::Preadv | Opcode::ReadFixed, Target::Fd(fd)) if is_stream(fd) => {
            Some(libc::POLLIN)
        }
        (Opcode::Pwrite | Opcode::Pwritev | Opcode::WriteFixed, Target::Fd(fd))
            if is_stream(fd) =>
        {
            Some(libc::POLLOUT)
        }
        _ => None,
    };
    if let (Some(events), Target::Fd(fd)) = (events, job.iocb.fd) {
        match wait_ready(shared, job.user_data, fd, events) {
            Ok(revents) if job.iocb.opcode == Opcode::Poll => return i32::from(revents),
            Ok(_) => {}
            Err(res) => return res,
        }
    }
    // SAFETY: the submitter promised (Pool::submit) the iocb's memory outlives the job.
    unsafe { ringaio_core::execute(&job.iocb) }
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

fn wait_ready(shared: &Shared, user_data: u64, fd: i32, events: i16) -> Result<i16, i32> {
    loop {
        let mut pfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, CANCEL_CHECK.as_millis() as i32) };
        if n > 0 {
            if pfd.revents & libc::POLLNVAL != 0 {
                return Err(-libc::EBADF);
            }
            return Ok(pfd.revents);
        }
        if n < 0 {
            let errno = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            if errno != libc::EINTR {
                return Err(-errno);
            }
        }
        let state = shared.lock();
        if state.shutdown || state.cancelled.contains(&user_data) {
            return Err(-libc::ECANCELED);
        }
    }
}
