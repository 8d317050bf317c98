//! `Multi`: a request that may complete more than once (multishot accept and receive,
//! zero-copy send), and the one submit path those take.
//!
//! Each non-final completion (`IORING_CQE_F_MORE`) is queued in the request's slot and handed
//! out by [`Multi::poll_shot`]; the final one ends the request, which can then be armed again
//! with the same resources. The resources stay with the `Multi` (or, once it is dropped,
//! with the reactor) until the final completion, as an [`Op`](crate::op::Op)'s do.

use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use ringaio_core::Iocb;
use ringaio_reactor::{Key, Outcome, Polled, Reactor};

use crate::context;

/// One kind of multishot request.
///
/// # Safety
/// - [`iocb`](Multishot::iocb) returns a request whose pointers all point into memory owned
///   by `self` that does not move when `self` moves, and stays valid until `self` is dropped.
pub(crate) unsafe trait Multishot: 'static {
    /// The request.
    fn iocb(&mut self) -> Iocb;

    /// A completion nobody will see (queued when the waiting side let go): release what it
    /// carries (close the fd, give back the buffer).
    fn discard(&mut self, _outcome: Outcome) {}
}

/// A completion of a multishot request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shot {
    /// One of several: more follow.
    More(Outcome),
    /// The last: the request is over (and may be armed again).
    Final(Outcome),
}

/// A multishot request and its resources.
pub(crate) struct Multi<T: Multishot> {
    reactor: Option<Rc<Reactor>>,
    /// The request's key while it is armed.
    key: Option<Key>,
    data: Option<T>,
}

impl<T: Multishot> Multi<T> {
    /// A request not armed yet: the first [`poll_shot`](Multi::poll_shot) submits it.
    pub(crate) fn new(data: T) -> Multi<T> {
        Multi {
            reactor: None,
            key: None,
            data: Some(data),
        }
    }

    /// The resources (between arms, or while armed: the kernel may be using them).
    pub(crate) fn data(&self) -> Option<&T> {
        self.data.as_ref()
    }

    /// The resources, once the request is over (not armed).
    pub(crate) fn into_data(mut self) -> Option<T> {
        if self.key.is_some() {
            return None;
        }
        self.data.take()
    }

    /// Submits the request (again), naming `cx`'s task as its waiter.
    fn arm(&mut self, cx: &Context<'_>) -> io::Result<()> {
        let Some(data) = self.data.as_mut() else {
            return Err(io::Error::other("multishot request has no resources"));
        };
        let reactor = context::reactor()?;
        let iocb = data.iocb();
        // SAFETY: `iocb` points into `data`'s stable memory (the `Multishot` contract);
        // `data` stays in this `Multi` until the final completion has been taken, or `Drop`
        // hands it to the reactor with `release`, which keeps it until then.
        let key = unsafe { reactor.submit_waiting(&iocb, cx) }?;
        self.reactor = Some(reactor);
        self.key = Some(key);
        Ok(())
    }

    /// The next completion: queued non-final ones first, then the final one. Arms the request
    /// first if it is not armed (so a caller re-arms by polling again after `Final`).
    ///
    /// # Errors
    /// When the request cannot be submitted (no runtime, invalid, reactor shut down).
    pub(crate) fn poll_shot(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Shot>> {
        let (Some(reactor), Some(key)) = (&self.reactor, self.key.take()) else {
            return match self.arm(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            };
        };
        if let Poll::Ready(shot) = reactor.poll_shot(&key, cx) {
            self.key = Some(key);
            return Poll::Ready(Ok(Shot::More(shot)));
        }
        match reactor.poll(key, cx) {
            Polled::Ready(outcome) => Poll::Ready(Ok(Shot::Final(outcome))),
            Polled::Pending(key) => {
                self.key = Some(key);
                Poll::Pending
            }
        }
    }
}

impl<T: Multishot> Drop for Multi<T> {
    fn drop(&mut self) {
        let (Some(reactor), Some(key)) = (&self.reactor, self.key.take()) else {
            return;
        };
        // Completions already queued would be dropped with the slot: release what they
        // carry first. Later ones reach the reactor as orphans (which closes their fds).
        let mut cx = Context::from_waker(Waker::noop());
        while let Poll::Ready(shot) = reactor.poll_shot(&key, &mut cx) {
            if let Some(data) = self.data.as_mut() {
                data.discard(shot);
            }
        }
        reactor.release(key, self.data.take());
    }
}

impl<T: Multishot> std::fmt::Debug for Multi<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Multi")
            .field("armed", &self.key.is_some())
            .finish()
    }
}
