//! The request slots and every state change they go through. No syscalls here: this is the
//! part that decides when memory may be freed, so it is plain data, tested on its own.

use std::any::Any;
use std::collections::VecDeque;
use std::os::fd::RawFd;
use std::task::{Poll, Waker};

use ringaio_core::{Iocb, Opcode, Target, FILE_INDEX_ALLOC};

use crate::key::{Id, GENERATION_MASK};
use crate::state::{is_free, CANCELLING, COMPLETE, KERNEL, LEAKED, QUEUED, WAITER};

/// Whatever a request's memory lives in (buffers, iovecs, paths), handed to the reactor when
/// its waiting side lets go before the kernel is done.
pub(crate) type Resources = Box<dyn Any>;

/// One CQE's worth of result: bytes, fd, mask or `-errno`, and the CQE flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The CQE result, or [`Outcome::ABANDONED`].
    pub result: i32,
    /// The CQE flags.
    pub flags: u32,
}

impl Outcome {
    /// The result of a request that shutdown gave up on (past `Config::shutdown_timeout`):
    /// the kernel may still read or write its memory, which the caller must leak, never free
    /// or reuse. Not an errno (no kernel result is this negative).
    pub const ABANDONED: i32 = i32::MIN;
}

/// Who runs a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// The io_uring.
    Ring,
    /// The blocking pool.
    Pool,
    /// The reactor's own timer list (fallback `Timeout`).
    Timer,
}

/// The result is nothing to close.
const YIELDS_NOTHING: u8 = 0;
/// The result is an fd (openat, accept, socket, fixed-fd install).
const YIELDS_FD: u8 = 1;
/// The result is a registered-file slot the kernel picked (openat into any free slot).
const YIELDS_SLOT: u8 = 2;
/// `Slot::closes` of a close of a registered-file slot.
const DIRECT_CLOSE: RawFd = -2;

/// Something a request produced, or owned, that nobody will take: the reactor closes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closing {
    /// A plain fd.
    Fd(RawFd),
    /// A slot of the ring's registered-file table (a direct descriptor).
    Slot(u32),
}

/// No task token: the waiter (if any) is named by `Slot::waker`.
pub(crate) const NO_TASK: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct Slot {
    // 64 bytes at most: slots are written on every submission.
    generation: u32,
    /// The waiting task's token, when its executor named it (`Reactor::set_current_task`):
    /// then no waker is cloned per request. `NO_TASK` otherwise.
    task: u32,
    pub(crate) state: u8,
    pub(crate) route: Route,
    /// What the request's result is that must be closed if nobody takes it: `YIELDS_*`.
    yields: u8,
    /// The request's opcode number (below 64: `OpSet`), for metrics.
    op: u8,
    /// The fd a close request owns, or -1: closed by the reactor if the request never ran
    /// (cancelled, or dropped while queued) and nobody takes its result. `DIRECT_CLOSE` for
    /// the close of a registered-file slot, which is never cancelled and runs even when its
    /// waiter lets go while it is queued (else the slot would stay full).
    closes: RawFd,
    result: Outcome,
    /// Non-final completions of a multishot request (boxed: most requests have none, and
    /// slots are written on every submission).
    #[allow(clippy::box_collection)]
    shots: Option<Box<VecDeque<Outcome>>>,
    waker: Option<Waker>,
    keep: Option<Resources>,
}

const _: () = assert!(std::mem::size_of::<Slot>() <= 64);

/// What must happen after a final completion reached its slot.
#[derive(Debug)]
pub(crate) enum Finished {
    /// The waiter is there: wake it (if it registered a waker).
    Wake(Option<Waker>),
    /// The waiter is there and registered as its executor's task with this token.
    Task(u32),
    /// Nobody waits: the slot is gone; close the fd it produced and drop what it kept,
    /// outside any borrow.
    Orphan {
        close: Option<Closing>,
        garbage: Option<Resources>,
    },
    /// The key was stale: the completion belongs to no live request.
    Stale,
}

/// What the waiting side must do with its resources after letting go.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// The kernel is done (or never started): drop them now.
    Done,
    /// The reactor keeps them until the final completion; send a cancel if `cancel`.
    Kept { cancel: bool },
    /// Shutdown gave up on this request: leak them.
    Leak,
    /// As `Done`, and close this fd: the request's result, which nobody will receive.
    Close(Closing),
}

impl Slot {
    /// The request's opcode.
    pub(crate) fn opcode(&self) -> Option<Opcode> {
        Opcode::ALL
            .iter()
            .copied()
            .find(|op| *op as u16 == u16::from(self.op))
    }

    /// The fd nobody will take now that the request ended with `result` (`never_ran`: it
    /// never reached the kernel, or was cancelled there): an opened fd, or the fd a close
    /// that never ran still owns.
    fn fd_to_close(&self, never_ran: bool, result: i32) -> Option<Closing> {
        if self.closes >= 0 {
            return never_ran.then_some(Closing::Fd(self.closes));
        }
        self.yielded(result)
    }

    /// What a result of this request that nobody takes leaves to close.
    #[inline]
    fn yielded(&self, result: i32) -> Option<Closing> {
        match self.yields {
            _ if result < 0 => None,
            YIELDS_FD => Some(Closing::Fd(result)),
            YIELDS_SLOT => Some(Closing::Slot(result as u32)),
            _ => None,
        }
    }

    /// Who to wake now that a completion is in: taken, so it is woken once.
    /// A slot names its task or holds a waker, never both (`register`, `set_waker`).
    #[inline]
    fn take_waiter(&mut self) -> Finished {
        if self.task != NO_TASK {
            return Finished::Task(std::mem::replace(&mut self.task, NO_TASK));
        }
        Finished::Wake(self.waker.take())
    }

    #[inline]
    fn register(&mut self, waker: &Waker, task: u32) {
        if task != NO_TASK {
            self.task = task;
            if self.waker.is_some() {
                self.waker = None;
            }
            return;
        }
        self.task = NO_TASK;
        match &self.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => self.waker = Some(waker.clone()),
        }
    }
}

/// The end of the free list.
const END: u32 = u32::MAX;

/// The slots: a vector whose vacant entries (state 0) are linked through `Slot::task`, most
/// recently freed first, so a busy reactor keeps reusing the same few warm cache lines.
/// Freeing an entry clears its fields in place rather than moving the slot out.
#[derive(Debug)]
pub(crate) struct Slots {
    entries: Vec<Slot>,
    /// The first vacant entry, or `END`.
    free: u32,
    len: usize,
    generation: u32,
    /// Final results that reached a live slot so far (metrics).
    finished: u64,
}

impl Default for Slots {
    fn default() -> Slots {
        Slots {
            entries: Vec::new(),
            free: END,
            len: 0,
            generation: 0,
            finished: 0,
        }
    }
}

impl Slots {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Final results that reached a live slot so far.
    pub(crate) fn finished(&self) -> u64 {
        self.finished
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.entries.reserve(n);
    }

    /// Frees entry `index` (live) and returns what it kept.
    #[inline(always)]
    fn free(&mut self, index: u32) -> Option<Resources> {
        let slot = &mut self.entries[index as usize];
        slot.state = 0;
        if slot.waker.is_some() {
            slot.waker = None;
        }
        if slot.shots.is_some() {
            slot.shots = None;
        }
        let keep = slot.keep.take();
        slot.task = self.free;
        self.free = index;
        self.len -= 1;
        keep
    }

    /// A new slot held by the waiter and by `owner` (`KERNEL` or `QUEUED`), whose waiter is
    /// the executor task `task` (or `NO_TASK`: a waker, set later, or nobody yet).
    #[inline(always)]
    pub(crate) fn insert(&mut self, iocb: &Iocb, owner: u8, route: Route, task: u32) -> Id {
        // 1 to GENERATION_MASK: a key is never zero.
        self.generation = if self.generation >= GENERATION_MASK {
            1
        } else {
            self.generation + 1
        };
        let generation = self.generation;
        let state = WAITER | owner;
        let yields = match iocb.direct_index() {
            // Into a slot of the caller's choosing: the caller owns the slot.
            Some(index) if index != FILE_INDEX_ALLOC => YIELDS_NOTHING,
            Some(_) => YIELDS_SLOT,
            None if iocb.opcode.returns_fd() => YIELDS_FD,
            None => YIELDS_NOTHING,
        };
        let op = iocb.opcode as u16 as u8;
        let closes = match (iocb.opcode, iocb.fd) {
            (Opcode::Close, Target::Fd(fd)) => fd,
            (Opcode::Close, Target::Fixed(_)) => DIRECT_CLOSE,
            _ => -1,
        };
        self.len += 1;
        if self.free != END {
            let index = self.free;
            let slot = &mut self.entries[index as usize];
            // A vacant entry's waker, shots and keep were cleared when it was freed.
            self.free = slot.task;
            slot.generation = generation;
            slot.task = task;
            slot.state = state;
            slot.route = route;
            slot.yields = yields;
            slot.op = op;
            slot.closes = closes;
            slot.result = Outcome {
                result: 0,
                flags: 0,
            };
            return Id::new(index, generation);
        }
        let index = self.entries.len() as u32;
        self.entries.push(Slot {
            generation,
            task,
            state,
            route,
            yields,
            op,
            closes,
            result: Outcome {
                result: 0,
                flags: 0,
            },
            shots: None,
            waker: None,
            keep: None,
        });
        Id::new(index, generation)
    }

    #[inline]
    pub(crate) fn get(&self, key: Id) -> Option<&Slot> {
        self.entries
            .get(key.index() as usize)
            .filter(|s| s.generation == key.generation() && s.state != 0)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, key: Id) -> Option<&mut Slot> {
        self.entries
            .get_mut(key.index() as usize)
            .filter(|s| s.generation == key.generation() && s.state != 0)
    }

    /// Keys of every slot the kernel (or pool, or timer list) still holds.
    pub(crate) fn held_by_kernel(&self) -> impl Iterator<Item = (Id, &Slot)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state & KERNEL != 0)
            .map(|(i, s)| {
                let key = Id::new(i as u32, s.generation);
                (key, s)
            })
    }

    /// Moves a queued request to the kernel's ownership.
    pub(crate) fn mark_submitted(&mut self, key: Id) {
        if let Some(slot) = self.get_mut(key) {
            slot.state = (slot.state & !QUEUED) | KERNEL;
        }
    }

    /// Records that a cancel was sent; false if one had been already (or the key is stale).
    pub(crate) fn mark_cancelling(&mut self, key: Id) -> bool {
        match self.get_mut(key) {
            Some(slot) if slot.state & (CANCELLING | COMPLETE) == 0 => {
                slot.state |= CANCELLING;
                true
            }
            _ => false,
        }
    }

    /// A non-final completion (`IORING_CQE_F_MORE`): queue it for the waiter.
    pub(crate) fn more(&mut self, key: Id, outcome: Outcome) -> Finished {
        let Some(slot) = self.get_mut(key) else {
            return Finished::Stale;
        };
        if slot.state & WAITER != 0 {
            slot.shots.get_or_insert_default().push_back(outcome);
            return slot.take_waiter();
        }
        let close = slot.yielded(outcome.result);
        Finished::Orphan {
            close,
            garbage: None,
        }
    }

    /// The final completion of `key` (from the kernel, the pool, a timer or a local cancel).
    /// Inlined into the drain, so the common `Finished::Task` never goes through memory.
    #[inline(always)]
    pub(crate) fn finish(&mut self, key: Id, outcome: Outcome) -> Finished {
        let Some(slot) = self.get_mut(key) else {
            return Finished::Stale;
        };
        if slot.state & WAITER != 0 {
            slot.state = (slot.state & !(KERNEL | QUEUED)) | COMPLETE;
            slot.result = outcome;
            let waiter = slot.take_waiter();
            self.finished += 1;
            return waiter;
        }
        self.finished += 1;
        self.finish_orphan(key, outcome)
    }

    /// `finish` for a request whose waiter let go: the slot goes, with what it kept.
    #[cold]
    #[inline(never)]
    fn finish_orphan(&mut self, key: Id, outcome: Outcome) -> Finished {
        let slot = &mut self.entries[key.index() as usize];
        let never_ran = slot.state & QUEUED != 0 || outcome.result == -libc::ECANCELED;
        slot.state &= !(KERNEL | QUEUED);
        let close = slot.fd_to_close(never_ran, outcome.result);
        let garbage = self.free(key.index());
        Finished::Orphan { close, garbage }
    }

    /// The waiter asks for the result. `Ready` ends the request and frees the slot (a key
    /// already ended is answered `-ECANCELED` rather than left hanging); `Pending` registers
    /// the waiter: by `task` token when given, else `waker` (no clone if the same waker is
    /// already there).
    /// `task` is asked only when the result is not in yet.
    #[inline(always)]
    pub(crate) fn poll(
        &mut self,
        key: Id,
        waker: &Waker,
        task: impl FnOnce() -> u32,
    ) -> Poll<Outcome> {
        let Some(slot) = self.get_mut(key) else {
            return Poll::Ready(Outcome {
                result: -libc::ECANCELED,
                flags: 0,
            });
        };
        if slot.state & COMPLETE != 0 {
            let outcome = slot.result;
            self.free(key.index());
            return Poll::Ready(outcome);
        }
        if slot.state & LEAKED != 0 {
            // Shutdown gave up: no result will ever come. Say so, rather than stay pending.
            self.free(key.index());
            return Poll::Ready(Outcome {
                result: Outcome::ABANDONED,
                flags: 0,
            });
        }
        slot.register(waker, task());
        Poll::Pending
    }

    /// Names the waiter of `key`, a slot just inserted, by its waker (cloned by the caller;
    /// no user code runs here).
    pub(crate) fn set_waker(&mut self, key: Id, waker: Waker) {
        if let Some(slot) = self.get_mut(key) {
            slot.waker = Some(waker);
        }
    }

    /// The waiter of a multishot request asks for its next completion.
    pub(crate) fn poll_shot(&mut self, key: Id, waker: &Waker, task: u32) -> Option<Outcome> {
        let slot = self.get_mut(key)?;
        if let Some(shot) = slot.shots.as_mut().and_then(|q| q.pop_front()) {
            return Some(shot);
        }
        slot.register(waker, task);
        None
    }

    /// Removes a slot whose request never reached anyone (its submission failed).
    pub(crate) fn remove(&mut self, key: Id) {
        if self.get(key).is_some() {
            self.free(key.index());
        }
    }

    /// The waiting side lets go of `key`. `keep` is called only if the reactor must hold the
    /// request's resources until the kernel is done.
    pub(crate) fn release(&mut self, key: Id, keep: impl FnOnce() -> Resources) -> Release {
        let Some(slot) = self.get_mut(key) else {
            return Release::Done;
        };
        if slot.state & WAITER == 0 {
            // Released already: these resources were never promised to the kernel.
            return Release::Done;
        }
        if slot.state & LEAKED != 0 {
            slot.state &= !WAITER;
            return Release::Leak;
        }
        slot.state &= !WAITER;
        slot.waker = None;
        slot.task = NO_TASK;
        if slot.closes == DIRECT_CLOSE && slot.state & (QUEUED | KERNEL) != 0 {
            // Emptying a registered-file slot: it must run, queued or not, uncancelled.
            slot.keep = Some(keep());
            return Release::Kept { cancel: false };
        }
        if is_free(slot.state) {
            // Completed, or still queued in user space (the queue skips stale keys). A
            // completed openat's fd now has nobody to receive it.
            let result = slot.result.result;
            let complete = slot.state & COMPLETE != 0;
            let never_ran = !complete || result == -libc::ECANCELED;
            let close = if complete || slot.closes >= 0 {
                slot.fd_to_close(never_ran, result)
            } else {
                None
            };
            self.free(key.index());
            return match close {
                Some(closing) => Release::Close(closing),
                None => Release::Done,
            };
        }
        slot.keep = Some(keep());
        let cancel = slot.state & (CANCELLING | QUEUED) == 0;
        if cancel {
            slot.state |= CANCELLING;
        }
        Release::Kept { cancel }
    }

    /// Shutdown gives up on every slot the kernel still holds: what they keep is leaked.
    /// Returns how many.
    pub(crate) fn leak_all_held(&mut self) -> usize {
        let mut n = 0;
        for slot in self.entries.iter_mut() {
            if slot.state & KERNEL != 0 {
                slot.state |= LEAKED;
                if let Some(keep) = slot.keep.take() {
                    std::mem::forget(keep);
                }
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Flag(std::sync::atomic::AtomicUsize);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Flag>, Waker) {
        let flag = Arc::new(Flag(0.into()));
        (flag.clone(), Waker::from(flag))
    }

    fn ok(n: i32) -> Outcome {
        Outcome {
            result: n,
            flags: 0,
        }
    }

    #[test]
    fn completes_then_poll_frees() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        let (flag, w) = waker();
        assert_eq!(slots.poll(key, &w, || NO_TASK), Poll::Pending);
        match slots.finish(key, ok(5)) {
            Finished::Wake(Some(w)) => w.wake(),
            other => panic!("{other:?}"),
        }
        assert_eq!(flag.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(slots.poll(key, &w, || NO_TASK), Poll::Ready(ok(5)));
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn orphan_keeps_resources_until_final_completion() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        let buf = Arc::new(());
        let kept = buf.clone();
        assert_eq!(
            slots.release(key, || Box::new(kept)),
            Release::Kept { cancel: true }
        );
        assert_eq!(Arc::strong_count(&buf), 2, "still held for the kernel");
        match slots.finish(key, ok(-libc::ECANCELED)) {
            Finished::Orphan { garbage, close } => {
                assert_eq!(close, None);
                drop(garbage);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(Arc::strong_count(&buf), 1);
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn release_after_completion_is_immediate() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        slots.finish(key, ok(0));
        assert_eq!(
            slots.release(key, || unreachable!("kernel is done")),
            Release::Done
        );
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn queued_release_frees_without_cancel() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), QUEUED, Route::Ring, NO_TASK);
        assert_eq!(slots.release(key, || unreachable!()), Release::Done);
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn stale_keys_touch_nothing() {
        let mut slots = Slots::default();
        let old = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        slots.finish(old, ok(0));
        let (_, w) = waker();
        assert_eq!(slots.poll(old, &w, || NO_TASK), Poll::Ready(ok(0)));
        assert_eq!(
            slots.poll(old, &w, || NO_TASK),
            Poll::Ready(ok(-libc::ECANCELED)),
            "a key already ended is answered, not left hanging"
        );
        let new = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        assert_eq!(old.index(), new.index(), "slot reused");
        assert!(matches!(slots.finish(old, ok(1)), Finished::Stale));
        assert!(!slots.mark_cancelling(old));
        assert_eq!(
            slots.poll(new, &w, || NO_TASK),
            Poll::Pending,
            "new request still pending"
        );
    }

    #[test]
    fn generations_wrap_past_zero() {
        let mut slots = Slots {
            generation: GENERATION_MASK - 1,
            ..Slots::default()
        };
        let mut seen = Vec::new();
        for _ in 0..3 {
            let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
            assert_ne!(key.user_data(), 0);
            assert_eq!(Id::from_user_data(key.user_data()), Some(key));
            seen.push(key.generation());
            slots.finish(key, ok(0));
            let (_, w) = waker();
            assert_eq!(slots.poll(key, &w, || NO_TASK), Poll::Ready(ok(0)));
        }
        assert_eq!(seen, [GENERATION_MASK, 1, 2], "generation 0 is skipped");
    }

    #[test]
    fn only_one_cancel_per_request() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        assert!(slots.mark_cancelling(key));
        assert!(!slots.mark_cancelling(key));
        assert_eq!(
            slots.release(key, || Box::new(())),
            Release::Kept { cancel: false }
        );
    }

    #[test]
    fn orphaned_open_closes_its_fd() {
        let mut slots = Slots::default();
        let key = slots.insert(
            &Iocb::openat(libc::AT_FDCWD, c"/", 0, 0),
            KERNEL,
            Route::Ring,
            NO_TASK,
        );
        slots.release(key, || Box::new(()));
        match slots.finish(key, ok(42)) {
            Finished::Orphan { close, .. } => assert_eq!(close, Some(Closing::Fd(42))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn multishot_completions_queue_until_final() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        let (_, w) = waker();
        slots.more(key, ok(1));
        slots.more(key, ok(2));
        assert_eq!(slots.poll_shot(key, &w, NO_TASK), Some(ok(1)));
        assert_eq!(slots.poll_shot(key, &w, NO_TASK), Some(ok(2)));
        assert_eq!(slots.poll_shot(key, &w, NO_TASK), None);
        slots.finish(key, ok(0));
        assert_eq!(slots.poll(key, &w, || NO_TASK), Poll::Ready(ok(0)));
    }

    #[test]
    fn a_second_release_takes_nothing() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        assert_eq!(
            slots.release(key, || Box::new(())),
            Release::Kept { cancel: true }
        );
        assert_eq!(slots.release(key, || unreachable!()), Release::Done);
    }

    #[test]
    fn releasing_a_completed_open_closes_its_fd() {
        let mut slots = Slots::default();
        let key = slots.insert(
            &Iocb::openat(libc::AT_FDCWD, c"/", 0, 0),
            KERNEL,
            Route::Ring,
            NO_TASK,
        );
        slots.finish(key, ok(42));
        assert_eq!(
            slots.release(key, || unreachable!()),
            Release::Close(Closing::Fd(42))
        );
    }

    fn close(fd: RawFd) -> Iocb {
        Iocb::close(Target::Fd(fd))
    }

    #[test]
    fn a_close_that_never_ran_hands_its_fd_back() {
        let mut slots = Slots::default();
        // Cancelled in the kernel after its waiter let go.
        let key = slots.insert(&close(40), KERNEL, Route::Ring, NO_TASK);
        slots.release(key, || Box::new(()));
        match slots.finish(key, ok(-libc::ECANCELED)) {
            Finished::Orphan { close, .. } => assert_eq!(close, Some(Closing::Fd(40))),
            other => panic!("{other:?}"),
        }
        // It ran: the kernel released the fd, whatever the result.
        let key = slots.insert(&close(41), KERNEL, Route::Ring, NO_TASK);
        slots.release(key, || Box::new(()));
        match slots.finish(key, ok(-libc::EIO)) {
            Finished::Orphan { close, .. } => assert_eq!(close, None),
            other => panic!("{other:?}"),
        }
        // Let go of while still queued in user space: it never reached the kernel.
        let key = slots.insert(&close(42), QUEUED, Route::Ring, NO_TASK);
        assert_eq!(
            slots.release(key, || unreachable!()),
            Release::Close(Closing::Fd(42))
        );
        // Cancelled, then let go of without its result being taken.
        let key = slots.insert(&close(43), KERNEL, Route::Ring, NO_TASK);
        slots.finish(key, ok(-libc::ECANCELED));
        assert_eq!(
            slots.release(key, || unreachable!()),
            Release::Close(Closing::Fd(43))
        );
        // Done, then let go of: nothing to close.
        let key = slots.insert(&close(44), KERNEL, Route::Ring, NO_TASK);
        slots.finish(key, ok(0));
        assert_eq!(slots.release(key, || unreachable!()), Release::Done);
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn a_waiter_polling_a_given_up_request_is_told_so() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        assert_eq!(slots.leak_all_held(), 1);
        let (_, w) = waker();
        assert_eq!(
            slots.poll(key, &w, || NO_TASK),
            Poll::Ready(ok(Outcome::ABANDONED))
        );
        assert_eq!(slots.len(), 0);
    }

    #[test]
    fn leaked_slots_tell_late_waiters_to_leak() {
        let mut slots = Slots::default();
        let key = slots.insert(&Iocb::noop(), KERNEL, Route::Ring, NO_TASK);
        assert_eq!(slots.leak_all_held(), 1);
        assert_eq!(slots.release(key, || unreachable!()), Release::Leak);
    }
}
