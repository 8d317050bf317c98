//! `Ring`: one io_uring instance with batched submission, completion reaping and the
//! setup, probe and registration chores around it.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use io_uring::IoUring;

use crate::ring_fd::RegisteredRing;
use crate::{build_sqe, hot_sqe, Iocb, OpSet, Opcode, RawSqe, Sqe, Target};

mod builder;
mod completions;
mod counters;
mod enter;
mod msg;
mod register;

pub use builder::{RingBuilder, SetupMode};
pub use completions::{Completion, Completions};
pub use counters::RingCounters;
use enter::{TimeoutWaits, BACKOFF_MAX};

/// The most SQ entries a ring may ask for (`IORING_MAX_ENTRIES`).
pub const MAX_ENTRIES: u32 = 32768;

/// The user data of the ring's own wait timeouts, on kernels without `IORING_ENTER_EXT_ARG`
/// (before 5.11): never handed out by [`Ring::completions`], so callers must not use it.
pub const WAIT_TIMEOUT: u64 = u64::MAX;

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
    /// Whether the kernel has `IORING_OP_MSG_RING` (5.18), which is no [`Opcode`].
    msg_ring: bool,
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
    counters: RingCounters,
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
            coop_taskrun: true,
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
        let msg_ring = probed && probe.is_supported(io_uring::opcode::MsgRingData::CODE);
        Ring {
            uring,
            mode,
            supported,
            msg_ring,
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
            counters: RingCounters::default(),
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

    /// The ring's counters: `io_uring_enter` calls and full-SQ pushes.
    pub fn counters(&self) -> RingCounters {
        self.counters
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
            if unsafe { self.uring.submission().push(raw.into_sqe().entry()) }.is_ok() {
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
    pub unsafe fn push(&mut self, sqe: &Sqe) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        if unsafe { self.uring.submission().push(sqe.entry()) }.is_ok() {
            return Ok(());
        }
        // SAFETY: forwarded from the caller.
        unsafe { self.push_when_full(sqe) }
    }

    /// Pushes a chain of validated requests, each `(iocb, target, user_data, link)` where
    /// `link` is `Some(hard)` to link it to the next (`IOSQE_IO_LINK`, or with `hard`
    /// `IOSQE_IO_HARDLINK`, which does not sever the chain when this one fails). The whole
    /// chain goes into the SQ together: when it lacks room, what is queued is submitted
    /// first, so no submit boundary falls inside the chain (the kernel would end the chain
    /// there).
    ///
    /// # Errors
    /// EINVAL for a chain longer than the SQ, or one whose last entry links on; whatever
    /// the flushing submit returns. Nothing is pushed then.
    ///
    /// # Safety
    /// As [`Ring::push`], for every pointer of every iocb.
    pub unsafe fn push_chain(
        &mut self,
        chain: &[(Iocb, Target, u64, Option<bool>)],
    ) -> io::Result<()> {
        self.check_fork()?;
        let n = chain.len();
        if n == 0 || n > self.sq_entries() || chain[n - 1].3.is_some() {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let mut tries = 0u32;
        while self.sq_entries() - self.uring.submission().len() < n {
            self.submit()?;
            if self.mode.sqpoll && tries > 0 && self.uring.submitter().squeue_wait().is_err() {
                std::thread::sleep(Duration::from_micros(50u64 << tries.min(8)).min(BACKOFF_MAX));
            }
            tries = tries.saturating_add(1);
        }
        let mut sq = self.uring.submission();
        for (iocb, target, user_data, link) in chain {
            let mut fields = RawSqe::of(&build_sqe(iocb, *target, *user_data));
            fields.flags |= match link {
                Some(true) => io_uring::squeue::Flags::IO_HARDLINK.bits(),
                Some(false) => io_uring::squeue::Flags::IO_LINK.bits(),
                None => 0,
            };
            // SAFETY: forwarded from the caller; the room was made above, so every push
            // lands and the chain is never cut.
            if unsafe { sq.push(fields.into_sqe().entry()) }.is_err() {
                return Err(io::Error::other("submission queue lost room mid-chain"));
            }
        }
        Ok(())
    }

    /// `push` on a full SQ: submit what is queued to make room, then push.
    ///
    /// # Safety
    /// As [`Ring::push`].
    #[cold]
    unsafe fn push_when_full(&mut self, sqe: &Sqe) -> io::Result<()> {
        let mut tries = 0u32;
        self.counters.sq_full += 1;
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
            if unsafe { self.uring.submission().push(sqe.entry()) }.is_ok() {
                return Ok(());
            }
        }
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
            let sqe = Sqe::from_entry(io_uring::opcode::Nop::new().build().user_data(7));
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
            let sqe = Sqe::from_entry(io_uring::opcode::Nop::new().build().user_data(9));
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
            let sqe = Sqe::from_entry(io_uring::opcode::Nop::new().build().user_data(10));
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
            let sqe = Sqe::from_entry(io_uring::opcode::Nop::new().build().user_data(3));
            // SAFETY: a NOP points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
            ring.submit_and_wait(1, Some(Duration::MAX))
                .expect("Duration::MAX");
            assert_eq!(ring.pop().map(|c| c.user_data), Some(3));
        });
    }
}
