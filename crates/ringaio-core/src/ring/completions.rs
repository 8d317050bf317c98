//! Reaping: completions copied out of the CQ (those set aside while the SQ was full
//! first), the ring's own wait timeouts skipped.

use std::collections::VecDeque;
use std::fmt;

use io_uring::cqueue;

use super::enter::TimeoutWaits;
use super::{Ring, WAIT_TIMEOUT};

impl Ring {
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
