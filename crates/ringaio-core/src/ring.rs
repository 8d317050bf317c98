//! `Ring`: one io_uring instance with batched submission, completion reaping and the
//! setup, probe and registration chores around it.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use io_uring::squeue::Entry;
use io_uring::types::{SubmitArgs, Timespec};
use io_uring::{cqueue, IoUring};

use crate::error::classify_setup_error;
use crate::ring_fd::{self, RegisteredRing};
use crate::{build_sqe, hot_sqe, Iocb, OpSet, Opcode, Target};

/// The most SQ entries a ring may ask for (`IORING_MAX_ENTRIES`).
pub const MAX_ENTRIES: u32 = 32768;

/// The user data of the ring's own wait timeouts, on kernels without `IORING_ENTER_EXT_ARG`
/// (before 5.11): never handed out by [`Ring::completions`], so callers must not use it.
pub const WAIT_TIMEOUT: u64 = u64::MAX;

/// How long a wait backs off, at most, when the kernel answers `EAGAIN`/`EBUSY` with no
/// completion to reap; and how many such answers in a row end the call with the error.
const BACKOFF_MAX: Duration = Duration::from_millis(10);
const BUSY_TRIES: u32 = 200;

/// The ring's own `IORING_OP_TIMEOUT` waits (kernels without `IORING_FEAT_EXT_ARG`): their
/// timespecs stay allocated until their completions have come back.
#[derive(Debug, Default)]
struct TimeoutWaits {
    in_flight: usize,
    // Boxed: the kernel holds each address until the timeout's completion, and a `Vec`
    // reallocating would move unboxed ones.
    #[allow(clippy::vec_box)]
    specs: Vec<Box<Timespec>>,
}

impl TimeoutWaits {
    fn completed(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
        if self.in_flight == 0 {
            self.specs.clear();
        }
    }
}

/// `d` as a kernel timespec, saturated at the largest the kernel takes (`tv_sec` is signed).
fn timespec(d: Duration) -> Timespec {
    let secs = d.as_secs().min(i64::MAX as u64);
    Timespec::new().sec(secs).nsec(d.subsec_nanos())
}

/// One completion queue entry, copied out of the ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The user data of the request this completes.
    pub user_data: u64,
    /// Bytes transferred, a new fd, a ready mask, 0, or `-errno`.
    pub result: i32,
    /// `IORING_CQE_F_*` flags.
    pub flags: u32,
}

/// The completions a [`Ring`] has, from [`Ring::completions`].
pub struct Completions<'a> {
    backlog: &'a mut VecDeque<Completion>,
    /// The ring's own wait timeouts (kernels without `IORING_FEAT_EXT_ARG`), skipped here.
    waits: &'a mut TimeoutWaits,
    /// `None` in a forked child: the CQ is the parent's, and even its head must not move.
    cq: Option<cqueue::CompletionQueue<'a>>,
}

impl fmt::Debug for Completions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completions")
            .field("backlog", &self.backlog.len())
            .field("in_cq", &self.cq.as_ref().map_or(0, |cq| cq.len()))
            .finish()
    }
}

impl Iterator for Completions<'_> {
    type Item = Completion;

    #[inline]
    fn next(&mut self) -> Option<Completion> {
        loop {
            let c = match self.backlog.pop_front() {
                Some(c) => c,
                None => Completion::from(&self.cq.as_mut()?.next()?),
            };
            if c.user_data != WAIT_TIMEOUT {
                return Some(c);
            }
            self.waits.completed();
        }
    }
}

impl From<&cqueue::Entry> for Completion {
    #[inline]
    fn from(cqe: &cqueue::Entry) -> Completion {
        Completion {
            user_data: cqe.user_data(),
            result: cqe.result(),
            flags: cqe.flags(),
        }
    }
}

impl Completion {
    /// Whether more completions will follow for the same request (`IORING_CQE_F_MORE`).
    pub fn more(&self) -> bool {
        cqueue::more(self.flags)
    }
}

/// The setup flags the kernel accepted, after [`RingBuilder::build`] dropped the ones it
/// refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetupMode {
    /// A kernel thread polls the SQ (`IORING_SETUP_SQPOLL`).
    pub sqpoll: bool,
    /// Only the creating thread submits (`IORING_SETUP_SINGLE_ISSUER`).
    pub single_issuer: bool,
    /// Completion work runs only inside `io_uring_enter` (`IORING_SETUP_DEFER_TASKRUN`).
    pub defer_taskrun: bool,
    /// Completion work does not interrupt the task (`IORING_SETUP_COOP_TASKRUN`).
    pub coop_taskrun: bool,
    /// SQEs are taken from the ring in order, with no index array (`IORING_SETUP_NO_SQARRAY`,
    /// Linux 6.6).
    pub no_sqarray: bool,
}

/// Configures a [`Ring`].
#[derive(Clone, Debug)]
pub struct RingBuilder {
    entries: u32,
    cq_entries: Option<u32>,
    sqpoll_idle: Option<Duration>,
    single_issuer: bool,
}

impl RingBuilder {
    /// The SQ size (rounded up to a power of two by the kernel). Default 256.
    pub fn entries(&mut self, entries: u32) -> &mut Self {
        self.entries = entries;
        self
    }

    /// The CQ size. Default: twice the SQ size.
    pub fn cq_entries(&mut self, entries: u32) -> &mut Self {
        self.cq_entries = Some(entries);
        self
    }

    /// Have a kernel thread poll the SQ, sleeping after `idle` without work.
    pub fn sqpoll(&mut self, idle: Duration) -> &mut Self {
        self.sqpoll_idle = Some(idle);
        self
    }

    /// Promise that only the creating thread submits, which lets the kernel defer completion
    /// work to `io_uring_enter` (`SINGLE_ISSUER` + `DEFER_TASKRUN`) and lets the ring enter
    /// through a registered ring fd (no fd lookup per `io_uring_enter`; registered by the
    /// first enter). A ring built so and then used from another thread gets `EEXIST` from
    /// every submission; drop it on the thread that used it too, or its fd registration
    /// holds it open until that thread exits.
    pub fn single_issuer(&mut self, yes: bool) -> &mut Self {
        self.single_issuer = yes;
        self
    }

    /// Sets the ring up, trying the fastest flags first and dropping what the kernel refuses
    /// (`EINVAL`): `SINGLE_ISSUER | DEFER_TASKRUN | NO_SQARRAY`, then without `NO_SQARRAY`,
    /// then `COOP_TASKRUN`, then none.
    ///
    /// # Errors
    /// `InvalidInput` for 0 or more than [`MAX_ENTRIES`] entries. An `io::Error` of kind
    /// `Unsupported` carrying [`Unavailable`](crate::Unavailable) when io_uring cannot be used
    /// here at all (ENOSYS, EPERM from seccomp or `kernel.io_uring_disabled`, ENOMEM from the
    /// memlock limit). Other setup errors as the kernel gave them.
    pub fn build(&self) -> io::Result<Ring> {
        if self.entries == 0 || self.entries > MAX_ENTRIES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "ring entries must be 1..={MAX_ENTRIES}, not {}",
                    self.entries
                ),
            ));
        }
        let born = crate::fork_generation();
        let cq = self
            .cq_entries
            .unwrap_or(self.entries.saturating_mul(2))
            .clamp(self.entries, 2 * MAX_ENTRIES);
        let mut tiers = Vec::with_capacity(4);
        if self.single_issuer && self.sqpoll_idle.is_none() {
            let deferred = SetupMode {
                single_issuer: true,
                defer_taskrun: true,
                ..SetupMode::default()
            };
            tiers.push(SetupMode {
                no_sqarray: true,
                ..deferred
            });
            tiers.push(deferred);
        }
        if self.sqpoll_idle.is_none() {
            tiers.push(SetupMode {
                coop_taskrun: true,
                single_issuer: self.single_issuer,
                ..SetupMode::default()
            });
        }
        tiers.push(SetupMode::default());
        let mut last = None;
        for mut mode in tiers {
            mode.sqpoll = self.sqpoll_idle.is_some();
            let mut b = IoUring::builder();
            b.setup_cqsize(cq).setup_clamp();
            if let Some(idle) = self.sqpoll_idle {
                b.setup_sqpoll(idle.as_millis().min(u32::MAX as u128) as u32);
            }
            if mode.single_issuer {
                b.setup_single_issuer();
            }
            if mode.defer_taskrun {
                b.setup_defer_taskrun();
            }
            if mode.coop_taskrun {
                b.setup_coop_taskrun().setup_taskrun_flag();
            }
            if mode.no_sqarray {
                b.setup_no_sqarray();
            }
            match b.build(self.entries) {
                Ok(uring) => return Ok(Ring::from_uring(uring, mode, born)),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
                Err(e) => return Err(classify_setup_error(e)),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
    }
}

/// An io_uring instance.
///
/// Requests go in with [`push`](Ring::push) (many per [`submit`](Ring::submit): one
/// `io_uring_enter` for the batch) and come out with [`pop`](Ring::pop). Dropping a `Ring`
/// closes it; it does not wait for requests in flight: that is the owner's job
/// ([`Context`](crate::Context) and the reactor both do it).
pub struct Ring {
    uring: IoUring,
    mode: SetupMode,
    supported: OpSet,
    /// CQEs reaped to make room while a submission was refused with EBUSY.
    backlog: VecDeque<Completion>,
    /// The ring's fd in a thread's registered-ring table.
    ring_fd: RingFd,
    /// The process's fork generation when the ring was built: in a forked child the ring
    /// is the parent's, and every call that would reach the kernel is refused.
    born: u32,
    /// Whether `io_uring_enter` takes a timeout argument (`IORING_FEAT_EXT_ARG`, 5.11);
    /// without it timed waits push a TIMEOUT of their own.
    ext_arg: bool,
    waits: TimeoutWaits,
}

/// Where a ring stands with its fd registration (single-issuer rings without SQPOLL).
#[derive(Debug)]
enum RingFd {
    /// To be registered by the first `io_uring_enter`: there rather than at setup, so the
    /// table used is that of the thread driving the ring.
    OnFirstEnter,
    /// In the table of the thread that first entered the ring.
    Registered(RegisteredRing),
    /// Not used: an SQPOLL or shared ring, or a kernel without the table.
    Unused,
}

impl Drop for Ring {
    fn drop(&mut self) {
        // In a forked child only the child's own mappings and fd go (the parent's ring lives
        // on); its registered-ring table is empty.
        if self.forked() {
            return;
        }
        if let RingFd::Registered(registered) = &self.ring_fd {
            registered.unregister(self.uring.as_raw_fd());
        }
    }
}

impl fmt::Debug for Ring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("fd", &self.uring.as_raw_fd())
            .field("mode", &self.mode)
            .field("sq_entries", &self.uring.params().sq_entries())
            .field("cq_entries", &self.uring.params().cq_entries())
            .finish()
    }
}

impl Ring {
    /// A builder with 256 entries and no special flags.
    pub fn builder() -> RingBuilder {
        RingBuilder {
            entries: 256,
            cq_entries: None,
            sqpoll_idle: None,
            single_issuer: false,
        }
    }

    /// A ring with `entries` SQ entries and the default flags.
    ///
    /// # Errors
    /// As [`RingBuilder::build`].
    pub fn new(entries: u32) -> io::Result<Ring> {
        Ring::builder().entries(entries).build()
    }

    fn from_uring(uring: IoUring, mode: SetupMode, born: u32) -> Ring {
        let ext_arg = uring.params().is_feature_ext_arg();
        let mut probe = io_uring::Probe::new();
        let probed = uring.submitter().register_probe(&mut probe).is_ok();
        let mut supported = OpSet::EMPTY;
        for op in Opcode::ALL {
            // Without a probe (kernels before 5.6) only the 5.1 opcodes are known to exist.
            let yes = if probed {
                probe.is_supported(op.uring_opcode())
            } else {
                matches!(
                    op,
                    Opcode::Noop
                        | Opcode::Preadv
                        | Opcode::Pwritev
                        | Opcode::Fsync
                        | Opcode::Fdsync
                        | Opcode::ReadFixed
                        | Opcode::WriteFixed
                        | Opcode::Poll
                )
            };
            if yes {
                supported.insert(op);
            }
        }
        Ring {
            uring,
            mode,
            supported,
            backlog: VecDeque::new(),
            ext_arg,
            waits: TimeoutWaits::default(),
            // SQPOLL rings keep the io-uring crate's enter, which knows when to wake the
            // poller.
            ring_fd: if mode.single_issuer && !mode.sqpoll {
                RingFd::OnFirstEnter
            } else {
                RingFd::Unused
            },
            born,
        }
    }

    /// Whether this is a forked child of the process that built the ring: the ring is the
    /// parent's then, and every call that would reach the kernel fails with
    /// [`forked_error`](crate::forked_error).
    #[inline(always)]
    pub fn forked(&self) -> bool {
        crate::is_forked_since(self.born)
    }

    /// `Err(forked_error())` in a forked child.
    #[inline(always)]
    fn check_fork(&self) -> io::Result<()> {
        if self.forked() {
            return Err(crate::forked_error());
        }
        Ok(())
    }

    /// Whether this kernel implements `op` (from `IORING_REGISTER_PROBE`).
    pub fn supports(&self, op: Opcode) -> bool {
        self.supported.contains(op)
    }

    /// Every opcode this ring runs (after [`forbid`](Ring::forbid)s).
    pub fn supported(&self) -> OpSet {
        self.supported
    }

    /// From now on report `op` as unsupported, so that callers route it elsewhere (the
    /// runtime's thread pool). For tests and for working around a kernel bug in one opcode.
    pub fn forbid(&mut self, op: Opcode) {
        self.supported.remove(op);
    }

    /// The flags the kernel accepted.
    pub fn mode(&self) -> SetupMode {
        self.mode
    }

    /// The ring's file descriptor.
    pub fn as_raw_fd(&self) -> RawFd {
        self.uring.as_raw_fd()
    }

    /// SQ size.
    pub fn sq_entries(&self) -> usize {
        self.uring.params().sq_entries() as usize
    }

    /// CQ size.
    pub fn cq_entries(&self) -> usize {
        self.uring.params().cq_entries() as usize
    }

    /// SQEs pushed and not yet submitted.
    pub fn sq_pending(&mut self) -> usize {
        // Even a look syncs the queue's tail back: never in a forked child.
        if self.forked() {
            return 0;
        }
        self.uring.submission().len()
    }

    /// How many completions the kernel had to drop or hold back because the CQ was full.
    pub fn overflow(&mut self) -> u32 {
        if self.forked() {
            return 0;
        }
        self.uring.completion().overflow()
    }

    /// Validates `iocb`, maps it and pushes its SQE.
    ///
    /// # Errors
    /// As [`Iocb::validate`] and [`Ring::push`].
    ///
    /// # Safety
    /// As [`Ring::push`], for every pointer in `iocb`.
    pub unsafe fn push_iocb(&mut self, iocb: &Iocb) -> io::Result<()> {
        iocb.validate()?;
        // SAFETY: the caller upholds `push`'s contract for the memory `iocb` points at.
        unsafe { self.push_request(iocb, iocb.fd, iocb.data) }
    }

    /// Pushes the SQE of `iocb`, which passed [`Iocb::validate`], on file `target` (its own
    /// or its registered-file slot) with `user_data`. The hot opcodes are built in registers
    /// ([`hot_sqe`]) and pushed in a branch of their own, so their entry never goes through a
    /// builder's out-pointer; the rest through the builders ([`cold_sqe`](crate::cold_sqe)).
    ///
    /// # Errors
    /// As [`Ring::push`].
    ///
    /// # Safety
    /// As [`Ring::push`], for every pointer in `iocb`.
    #[inline(always)]
    pub unsafe fn push_request(
        &mut self,
        iocb: &Iocb,
        target: Target,
        user_data: u64,
    ) -> io::Result<()> {
        self.check_fork()?;
        if let Some(raw) = hot_sqe(iocb, target, user_data) {
            // SAFETY: the caller upholds `push`'s contract for the memory `iocb` points at.
            if unsafe { self.uring.submission().push(&raw.into_entry()) }.is_ok() {
                return Ok(());
            }
        }
        // SAFETY: as above.
        unsafe { self.push_request_cold(*iocb, target, user_data) }
    }

    /// `push_request` for the other opcodes, and for any opcode when the SQ is full. The
    /// iocb comes by value: only this path needs it in memory, so the hot path keeps it in
    /// registers.
    ///
    /// # Safety
    /// As [`Ring::push`], for every pointer in `iocb`.
    #[cold]
    #[inline(never)]
    unsafe fn push_request_cold(
        &mut self,
        iocb: Iocb,
        target: Target,
        user_data: u64,
    ) -> io::Result<()> {
        let sqe = build_sqe(&iocb, target, user_data);
        // SAFETY: forwarded from the caller.
        unsafe { self.push(&sqe) }
    }

    /// Queues `sqe`; when the SQ is full, submits what is queued first to make room.
    ///
    /// # Errors
    /// Whatever the flushing submit returns.
    ///
    /// # Safety
    /// - Every buffer, iovec array, path, timespec or other memory the entry points at stays
    ///   valid (and unaliased where the kernel writes) until the request's final completion
    ///   has been popped from this ring.
    /// - A registered-file or registered-buffer index names a registration that outlives the
    ///   request.
    #[inline(always)]
    pub unsafe fn push(&mut self, sqe: &Entry) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        if unsafe { self.uring.submission().push(sqe) }.is_ok() {
            return Ok(());
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.push_when_full(sqe) }
    }

    /// `push` on a full SQ: submit what is queued to make room, then push.
    ///
    /// # Safety
    /// As [`Ring::push`].
    #[cold]
    unsafe fn push_when_full(&mut self, sqe: &Entry) -> io::Result<()> {
        let mut tries = 0u32;
        loop {
            self.submit()?;
            if self.mode.sqpoll && tries > 0 {
                // The kernel's poller consumes the SQ on its own time: wait until it has
                // room (IORING_ENTER_SQ_WAIT, 5.10) rather than spin, or back off before it.
                if self.uring.submitter().squeue_wait().is_err() {
                    std::thread::sleep(
                        Duration::from_micros(50u64 << tries.min(8)).min(BACKOFF_MAX),
                    );
                }
            }
            tries = tries.saturating_add(1);
            // SAFETY: forwarded from the caller.
            if unsafe { self.uring.submission().push(sqe) }.is_ok() {
                return Ok(());
            }
        }
    }

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

    fn enter(&mut self, want: usize, timeout: Option<Duration>) -> io::Result<usize> {
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
            let res =
                tests::injected().map_or_else(|| self.enter_once(want, timeout, registered), Err);
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
    fn enter_once(
        &mut self,
        want: usize,
        timeout: Option<Duration>,
        registered: Option<u32>,
    ) -> io::Result<usize> {
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
    fn push_wait_timeout(&mut self, d: Duration) -> io::Result<()> {
        let spec = Box::new(timespec(d));
        let sqe = io_uring::opcode::Timeout::new(&*spec as *const Timespec)
            .count(1)
            .build()
            .user_data(WAIT_TIMEOUT);
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
    fn enter_registered(&mut self, index: u32, want: usize) -> io::Result<usize> {
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
    fn registered_index(&self) -> Option<u32> {
        match &self.ring_fd {
            RingFd::Registered(registered) => registered.index_here(),
            RingFd::OnFirstEnter | RingFd::Unused => None,
        }
    }

    fn reap_into_backlog(&mut self) -> usize {
        let before = self.backlog.len();
        for cqe in self.uring.completion() {
            self.backlog.push_back(Completion::from(&cqe));
        }
        self.backlog.len() - before
    }

    /// The next completion, if one is there.
    pub fn pop(&mut self) -> Option<Completion> {
        self.completions().next()
    }

    /// Hands every available completion to `f`, in order, with one CQ head update.
    /// Returns how many there were.
    #[inline]
    pub fn drain(&mut self, mut f: impl FnMut(Completion)) -> usize {
        let mut n = 0;
        for c in self.completions() {
            f(c);
            n += 1;
        }
        n
    }

    /// Every available completion, in order (those set aside while the SQ was full first);
    /// the CQ head is updated once, when the iterator is dropped. For a drain loop whose
    /// body should be inlined, where [`drain`](Ring::drain)'s closure would be a call.
    #[inline]
    pub fn completions(&mut self) -> Completions<'_> {
        let cq = (!self.forked()).then(|| {
            let mut cq = self.uring.completion();
            cq.sync();
            cq
        });
        Completions {
            backlog: &mut self.backlog,
            waits: &mut self.waits,
            cq,
        }
    }

    /// Registers `fds` as the fixed-file table (`Target::Fixed(i)` is `fds[i]`; -1 leaves a
    /// slot empty).
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES` (EBUSY if a table exists, EMFILE, EBADF, ...).
    pub fn register_files(&mut self, fds: &[RawFd]) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_files(fds)
    }

    /// Registers an empty fixed-file table of `n` slots, to fill with
    /// [`update_files`](Ring::update_files).
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES` with `IORING_RSRC_REGISTER_SPARSE` (EBUSY if a table exists,
    /// EINVAL on kernels before 5.19 lacking sparse tables, EMFILE over `RLIMIT_NOFILE`).
    pub fn register_files_sparse(&mut self, n: u32) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_files_sparse(n)
    }

    /// Replaces the fixed-file slots from `offset` on with `fds`.
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES_UPDATE`.
    pub fn update_files(&mut self, offset: u32, fds: &[RawFd]) -> io::Result<usize> {
        self.check_fork()?;
        self.uring.submitter().register_files_update(offset, fds)
    }

    /// Drops the fixed-file table.
    ///
    /// # Errors
    /// ENXIO when none is registered.
    pub fn unregister_files(&mut self) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().unregister_files()
    }

    /// Registers `bufs` as fixed buffers (`buf_index` i is `bufs[i]`).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS` (EBUSY if some are registered, ENOMEM over memlock, ...).
    ///
    /// # Safety
    /// - The memory of every iovec stays valid until [`Ring::unregister_buffers`] or the ring
    ///   is dropped, and no request in flight uses it past that point.
    pub unsafe fn register_buffers(&mut self, bufs: &[libc::iovec]) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        unsafe { self.uring.submitter().register_buffers(bufs) }
    }

    /// Registers an empty fixed-buffer table of `n` slots, to fill with
    /// [`update_buffers`](Ring::update_buffers).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS2` with `IORING_RSRC_REGISTER_SPARSE` (EBUSY if a table
    /// exists, EINVAL on kernels before 5.19).
    pub fn register_buffers_sparse(&mut self, n: u32) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_buffers_sparse(n)
    }

    /// Replaces the fixed-buffer slots from `offset` on with `bufs` (an iovec with a null
    /// base and length 0 empties its slot). Requests already in flight keep the buffer they
    /// were issued with until they complete.
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS_UPDATE` (ENOMEM over the memlock limit, EFAULT).
    ///
    /// # Safety
    /// Each buffer stays valid (allocated, not freed or unmapped) for as long as any request
    /// may name its slot: until the slot is emptied or replaced, or until its owner can
    /// guarantee no later request uses the index. The kernel pins the pages, but once freed
    /// they may belong to another allocation.
    pub unsafe fn update_buffers(&mut self, offset: u32, bufs: &[libc::iovec]) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        unsafe {
            self.uring
                .submitter()
                .register_buffers_update(offset, bufs, None)
        }
    }

    /// Drops the fixed buffers.
    ///
    /// # Errors
    /// ENXIO when none are registered.
    pub fn unregister_buffers(&mut self) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().unregister_buffers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::sync::mpsc;
    use std::time::Instant;

    thread_local! {
        /// Errors the next enters on this thread fail with, before reaching the kernel.
        static INJECT: Cell<(i32, u32)> = const { Cell::new((0, 0)) };
    }

    /// An injected error for the next enter, while any are left for this thread.
    pub(super) fn injected() -> Option<io::Error> {
        INJECT.with(|inject| match inject.get() {
            (errno, n) if n > 0 => {
                inject.set((errno, n - 1));
                Some(io::Error::from_raw_os_error(errno))
            }
            _ => None,
        })
    }

    fn ring_or_skip(what: &str) -> Option<Ring> {
        match Ring::new(8) {
            Ok(ring) => Some(ring),
            Err(e) => {
                eprintln!("skipped: {what}: {e}");
                None
            }
        }
    }

    /// Runs `f` on a thread and fails if it has not returned within a minute (a hang).
    fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(60)).expect("hung")
    }

    #[test]
    fn zero_and_huge_entries_are_refused() {
        for n in [0, MAX_ENTRIES + 1] {
            let err = Ring::new(n).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }

    /// EAGAIN from io_uring_enter with nothing to reap used to block the thread waiting for
    /// a completion that could not come (nothing was submitted): now it backs off and
    /// submits again.
    #[test]
    fn eagain_with_nothing_to_reap_retries_the_submit() {
        let Some(mut ring) = ring_or_skip("EAGAIN retry") else {
            return;
        };
        let n = bounded(move || {
            let sqe = io_uring::opcode::Nop::new().build().user_data(7);
            // SAFETY: a NOP points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
            INJECT.with(|i| i.set((libc::EAGAIN, 3)));
            let submitted = ring.submit().expect("submit after EAGAINs");
            ring.submit_and_wait(1, Some(Duration::from_secs(10)))
                .expect("wait");
            let c = ring.pop().expect("the NOP completed");
            assert_eq!(c.user_data, 7);
            submitted
        });
        assert_eq!(n, 1);
    }

    #[test]
    fn endless_eagain_is_an_error_not_a_hang() {
        let Some(mut ring) = ring_or_skip("EAGAIN give-up") else {
            return;
        };
        let err = bounded(move || {
            INJECT.with(|i| i.set((libc::EAGAIN, u32::MAX)));
            let r = ring.submit();
            INJECT.with(|i| i.set((0, 0)));
            r.expect_err("gives up")
        });
        assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    }

    /// Kernels 5.6-5.10 have no IORING_ENTER_EXT_ARG: timed waits push a TIMEOUT of their
    /// own, whose completion callers never see.
    #[test]
    fn timed_waits_without_ext_arg() {
        let Some(mut ring) = ring_or_skip("timed waits without EXT_ARG") else {
            return;
        };
        ring.ext_arg = false;
        bounded(move || {
            let start = Instant::now();
            ring.submit_and_wait(1, Some(Duration::from_millis(50)))
                .expect("an empty wait times out");
            assert!(
                start.elapsed() >= Duration::from_millis(50),
                "returned early"
            );
            assert_eq!(ring.pop(), None, "the wait's own timeout is not handed out");
            let sqe = io_uring::opcode::Nop::new().build().user_data(9);
            // SAFETY: a NOP points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
            ring.submit_and_wait(1, Some(Duration::from_secs(30)))
                .expect("wait");
            let mut seen = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(30);
            while seen.is_empty() && Instant::now() < deadline {
                seen.extend(ring.completions().map(|c| c.user_data));
            }
            assert_eq!(seen, [9]);
            // Huge timeouts are clamped, not refused.
            let sqe = io_uring::opcode::Nop::new().build().user_data(10);
            // SAFETY: a NOP points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
            ring.submit_and_wait(1, Some(Duration::MAX))
                .expect("Duration::MAX");
            assert_eq!(ring.pop().map(|c| c.user_data), Some(10));
        });
    }

    #[test]
    fn duration_max_waits_are_clamped_with_ext_arg() {
        let Some(mut ring) = ring_or_skip("Duration::MAX wait") else {
            return;
        };
        bounded(move || {
            let sqe = io_uring::opcode::Nop::new().build().user_data(3);
            // SAFETY: a NOP points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
            ring.submit_and_wait(1, Some(Duration::MAX))
                .expect("Duration::MAX");
            assert_eq!(ring.pop().map(|c| c.user_data), Some(3));
        });
    }
}
