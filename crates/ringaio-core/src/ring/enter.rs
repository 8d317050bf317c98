//! `io_uring_enter`: submitting, waiting with a timeout (with the kernel's timeout argument,
//! or a TIMEOUT of the ring's own before 5.11), backing off when the kernel is short of
//! memory, and entering through the registered ring fd.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use io_uring::types::{SubmitArgs, Timespec};

use super::{Completion, Ring, RingFd, WAIT_TIMEOUT};
use crate::ring_fd::{self, RegisteredRing};
use crate::Sqe;

impl Ring {
    /// Submits every queued SQE in one `io_uring_enter` and reaps nothing. With
    /// `DEFER_TASKRUN` this also runs deferred completion work, so completions become visible.
    ///
    /// # Errors
    /// Errors of `io_uring_enter` other than EINTR, EBUSY and EAGAIN, which are retried
    /// (EBUSY after moving the CQ's entries aside so the kernel can post more).
    pub fn submit(&mut self) -> io::Result<usize> {
        self.enter(0, None)
    }

    /// Submits what is queued and waits until at least `want` completions are in the CQ or
    /// `timeout` has passed (`None`: no limit). Returns the number submitted. A signal ends
    /// the wait early; callers re-check what they wait for.
    ///
    /// # Errors
    /// As [`Ring::submit`].
    pub fn submit_and_wait(&mut self, want: usize, timeout: Option<Duration>) -> io::Result<usize> {
        self.check_fork()?;
        let want = want.saturating_sub(self.backlog.len() + self.uring.completion().len());
        self.enter(want, timeout)
    }

    pub(super) fn enter(&mut self, want: usize, timeout: Option<Duration>) -> io::Result<usize> {
        self.check_fork()?;
        if let RingFd::OnFirstEnter = self.ring_fd {
            self.ring_fd = match RegisteredRing::register(self.uring.as_raw_fd()) {
                Ok(registered) => RingFd::Registered(registered),
                Err(e) => {
                    tracing::debug!(error = %e, "ring fd not registered");
                    RingFd::Unused
                }
            };
        }
        let registered = self.registered_index();
        if let (Some(d), false) = (timeout, self.ext_arg) {
            if want > 0 {
                self.push_wait_timeout(d)?;
            }
        }
        let mut busy = 0;
        loop {
            #[cfg(test)]
            let res = super::tests::injected()
                .map_or_else(|| self.enter_once(want, timeout, registered), Err);
            #[cfg(not(test))]
            let res = self.enter_once(want, timeout, registered);
            match res {
                Ok(n) => return Ok(n),
                Err(e) => match e.raw_os_error() {
                    Some(libc::ETIME) => return Ok(0),
                    Some(libc::EINTR) if want > 0 => return Ok(0),
                    Some(libc::EINTR) => continue,
                    Some(libc::EBUSY) | Some(libc::EAGAIN) => {
                        // The kernel is short of memory for requests, or of CQ room: move
                        // completions aside to make room; with none to move, back off and
                        // try again rather than wait for a completion that may never come.
                        if self.reap_into_backlog() > 0 {
                            if want > 0 {
                                return Ok(0);
                            }
                            continue;
                        }
                        busy += 1;
                        if busy >= BUSY_TRIES {
                            return Err(e);
                        }
                        let nap = Duration::from_micros(50u64 << busy.min(8)).min(BACKOFF_MAX);
                        std::thread::sleep(nap);
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    /// One `io_uring_enter`: submit what is queued, and wait for `want` completions (at
    /// most `timeout` where the kernel takes one).
    pub(super) fn enter_once(
        &mut self,
        want: usize,
        timeout: Option<Duration>,
        registered: Option<u32>,
    ) -> io::Result<usize> {
        self.counters.enters += 1;
        match (timeout, registered) {
            (Some(d), _) if want > 0 && self.ext_arg => {
                let ts = timespec(d);
                let args = SubmitArgs::new().timespec(&ts);
                self.uring.submitter().submit_with_args(want, &args)
            }
            (_, Some(index)) => self.enter_registered(index, want),
            _ if want == 0 && self.mode.defer_taskrun => {
                let pending = self.uring.submission().len() as u32;
                // SAFETY: no argument is passed; GETEVENTS with min_complete 0 only runs
                // deferred completion work.
                unsafe {
                    self.uring.submitter().enter::<libc::sigset_t>(
                        pending,
                        0,
                        io_uring::EnterFlags::GETEVENTS.bits(),
                        None,
                    )
                }
            }
            _ => self.uring.submitter().submit_and_wait(want),
        }
    }

    /// Pushes the ring's own TIMEOUT that ends a wait of at most `d` on a kernel without
    /// `IORING_FEAT_EXT_ARG`: it completes after `d`, or as soon as one other completion is
    /// posted (count 1), so it never outlives the wait by more than one completion. Its
    /// completion is skipped by [`completions`](Ring::completions).
    pub(super) fn push_wait_timeout(&mut self, d: Duration) -> io::Result<()> {
        let spec = Box::new(timespec(d));
        let sqe = Sqe::from_entry(
            io_uring::opcode::Timeout::new(&*spec as *const Timespec)
                .count(1)
                .build()
                .user_data(WAIT_TIMEOUT),
        );
        self.waits.specs.push(spec);
        // SAFETY: the timespec is boxed in `waits` until the timeout's completion is reaped
        // (`TimeoutWaits::completed`), or until the ring is dropped.
        unsafe { self.push(&sqe) }?;
        self.waits.in_flight += 1;
        Ok(())
    }

    /// `io_uring_enter` through the registered ring fd: what the io-uring crate's
    /// `submit_and_wait` does for a ring without SQPOLL or IOPOLL, and on a ring with
    /// `DEFER_TASKRUN` an enter with GETEVENTS even when not waiting (only that runs the
    /// deferred completion work. `index` is this thread's slot for the ring.
    pub(super) fn enter_registered(&mut self, index: u32, want: usize) -> io::Result<usize> {
        let sq = self.uring.submission();
        let pending = sq.len() as u32;
        let getevents = want > 0 || self.mode.defer_taskrun || sq.cq_overflow() || sq.taskrun();
        drop(sq);
        let flags = if getevents {
            io_uring::EnterFlags::GETEVENTS.bits()
        } else {
            0
        };
        let want = u32::try_from(want).unwrap_or(u32::MAX);
        // SAFETY: the SQEs were pushed under `push`'s contract; `index` is this thread's slot
        // for this ring.
        unsafe { ring_fd::enter(index, pending, want, flags) }
    }

    /// Whether `io_uring_enter` names this ring through a registered ring fd: on the thread
    /// that first entered it, once it has.
    pub fn ring_fd_registered(&self) -> bool {
        self.registered_index().is_some()
    }

    /// The ring's slot in the calling thread's registered-ring table, if it has one there.
    pub(super) fn registered_index(&self) -> Option<u32> {
        match &self.ring_fd {
            RingFd::Registered(registered) => registered.index_here(),
            RingFd::OnFirstEnter | RingFd::Unused => None,
        }
    }

    pub(super) fn reap_into_backlog(&mut self) -> usize {
        let before = self.backlog.len();
        for cqe in self.uring.completion() {
            self.backlog.push_back(Completion::from(&cqe));
        }
        self.backlog.len() - before
    }
}

/// How long a wait backs off, at most, when the kernel answers `EAGAIN`/`EBUSY` with no
/// completion to reap; and how many such answers in a row end the call with the error.
pub(super) const BACKOFF_MAX: Duration = Duration::from_millis(10);

const BUSY_TRIES: u32 = 200;

/// The ring's own `IORING_OP_TIMEOUT` waits (kernels without `IORING_FEAT_EXT_ARG`): their
/// timespecs stay allocated until their completions have come back.
#[derive(Debug, Default)]
pub(super) struct TimeoutWaits {
    pub(super) in_flight: usize,
    // Boxed: the kernel holds each address until the timeout's completion, and a `Vec`
    // reallocating would move unboxed ones.
    #[allow(clippy::vec_box)]
    pub(super) specs: Vec<Box<Timespec>>,
}

impl TimeoutWaits {
    pub(super) fn completed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            self.specs.clear();
        }
    }
}

/// `d` as a kernel timespec, saturated at the largest the kernel takes (`tv_sec` is signed).
pub(super) fn timespec(d: Duration) -> Timespec {
    let secs = d.as_secs().min(i64::MAX as u64);
    Timespec::new().sec(secs).nsec(d.subsec_nanos())
}
