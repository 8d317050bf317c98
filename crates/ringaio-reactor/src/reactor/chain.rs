//! Linked submission: a chain of requests the kernel runs in order (`IOSQE_IO_LINK`), each
//! in its own slot so that custody of its memory stays per request. A chain reaches the SQ
//! whole, in one batch, or waits whole in the user-space queue: never split across a
//! submit boundary, where the kernel would end it.

use std::io;

use ringaio_core::{Iocb, Target};

use super::registry::fixed_target;
use super::{shut_down_error, Inner, Reactor};
use crate::key::{Id, Key};
use crate::slots::{Route, NO_TASK};
use crate::state::{KERNEL, QUEUED};

/// How a request of a chain leads to the next ([`Reactor::submit_chain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// The last request of the chain.
    End,
    /// The next runs only if this one succeeds (`IOSQE_IO_LINK`): an error, or a read or
    /// write shorter than asked, fails the rest of the chain with `ECANCELED`.
    Next,
    /// The next runs whatever this one's result (`IOSQE_IO_HARDLINK`), say a close after a
    /// read.
    Always,
}

impl Link {
    /// The ring's form: `Some(hard)` when linked on.
    fn flag(self) -> Option<bool> {
        match self {
            Link::End => None,
            Link::Next => Some(false),
            Link::Always => Some(true),
        }
    }
}

impl Reactor {
    /// Submits `chain` as linked requests, one key each, in order. The ring runs them one
    /// after another as the links say (see [`Link`]); whoever holds the keys polls or
    /// releases each as with [`submit`](Reactor::submit).
    ///
    /// # Errors
    /// `Unsupported` when a request of the chain would not run on the ring (fallback mode,
    /// or an opcode the kernel lacks): the caller runs them one by one instead. `EINVAL` for
    /// an empty chain, a last request that links on (or another that does not), a chain
    /// longer than the SQ or the in-flight budget, or a request `Iocb::validate` refuses.
    /// As [`submit`](Reactor::submit) otherwise. Nothing is submitted on error.
    ///
    /// # Safety
    /// As [`submit`](Reactor::submit), for every request of the chain.
    pub unsafe fn submit_chain(&self, chain: &[(Iocb, Link)]) -> io::Result<Vec<Key>> {
        let ids = self.inner.borrow_mut().submit_chain(chain)?;
        Ok(ids.into_iter().map(|id| Key::new(id, self.id)).collect())
    }
}

impl Inner {
    fn submit_chain(&mut self, chain: &[(Iocb, Link)]) -> io::Result<Vec<Id>> {
        if self.shut {
            return Err(shut_down_error());
        }
        if self.forked() {
            return Err(ringaio_core::forked_error());
        }
        let n = chain.len();
        let Some(ring) = self.ring.as_ref() else {
            return Err(not_on_ring());
        };
        let sq = ring.sq_entries();
        let einval = || Err(io::Error::from_raw_os_error(libc::EINVAL));
        if n == 0 || n > sq || n > self.budget {
            return einval();
        }
        for (i, (iocb, link)) in chain.iter().enumerate() {
            if (i + 1 == n) != (*link == Link::End) {
                return einval();
            }
            iocb.validate()?;
            if self.route(iocb) != Route::Ring {
                return Err(not_on_ring());
            }
        }
        if self.in_kernel + n <= self.budget && self.queue.is_empty() {
            let ids: Vec<Id> = chain
                .iter()
                .map(|(iocb, _)| self.slots.insert(iocb, KERNEL, Route::Ring, NO_TASK))
                .collect();
            let entries: Vec<(Iocb, Target, u64, Option<bool>)> = chain
                .iter()
                .zip(&ids)
                .map(|((iocb, link), id)| {
                    let target = fixed_target(&self.files, iocb);
                    (*iocb, target, id.user_data(), link.flag())
                })
                .collect();
            if let Err(e) = self.push_chain(&entries) {
                ids.iter().for_each(|id| self.slots.remove(*id));
                return Err(e);
            }
            return Ok(ids);
        }
        let ids = chain
            .iter()
            .map(|(iocb, link)| {
                let id = self.slots.insert(iocb, QUEUED, Route::Ring, NO_TASK);
                self.queue.push_back((id, *iocb, *link));
                id
            })
            .collect();
        Ok(ids)
    }

    /// Pushes validated, linked entries to the ring whole.
    fn push_chain(&mut self, entries: &[(Iocb, Target, u64, Option<bool>)]) -> io::Result<()> {
        let ring = self.ring.as_mut().ok_or_else(shut_down_error)?;
        // SAFETY: each slot keeps its request alive until its final CQE, and the memory it
        // points at is kept by its waiter or by the slot (`Reactor::submit`'s contract).
        unsafe { ring.push_chain(entries) }?;
        self.in_kernel += entries.len();
        self.via_ring += entries.len() as u64;
        Ok(())
    }

    /// Moves the queued chain at the front of the queue into the ring, if the whole of it
    /// fits in the budget; false when it must wait. Members released while queued are left
    /// out (their requests never run; those after them then find nothing to work on).
    pub(super) fn admit_chain(&mut self) -> bool {
        let len = self
            .queue
            .iter()
            .position(|(_, _, link)| *link == Link::End)
            .map_or(self.queue.len(), |end| end + 1);
        if self.in_kernel + len > self.budget {
            return false;
        }
        let mut entries = Vec::with_capacity(len);
        for (id, iocb, link) in self.queue.drain(..len) {
            if self.slots.get(id).is_some_and(|s| s.state & QUEUED != 0) {
                self.slots.mark_submitted(id);
                let target = fixed_target(&self.files, &iocb);
                entries.push((iocb, target, id.user_data(), link.flag()));
            }
        }
        if let Some(last) = entries.last_mut() {
            last.3 = None;
        } else {
            return true;
        }
        if let Err(e) = self.push_chain(&entries) {
            tracing::warn!(error = %e, "queued chain could not be submitted");
            let errno = -e.raw_os_error().unwrap_or(libc::EIO);
            for (_, _, user_data, _) in &entries {
                self.local_done.push((*user_data, errno));
            }
        }
        true
    }
}

fn not_on_ring() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "linked requests need io_uring; run them one by one",
    )
}
