//! `Op`: the one future every operation goes through, and the one submit path.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use ringaio_core::{cqe_result, Iocb};
use ringaio_reactor::{Key, Reactor};

use crate::context;

/// One kind of operation: the request it makes and how its result is turned into output.
///
/// # Safety
/// - [`iocb`](Operation::iocb) returns a request whose pointers all point into memory owned
///   by `self` that does not move when `self` moves (heap memory or `'static` memory), and
///   stays valid until `self` is dropped.
pub(crate) unsafe trait Operation: 'static {
    /// What awaiting the operation gives.
    type Output;

    /// The request. Called once, before submission.
    fn iocb(&mut self) -> Iocb;

    /// The request for `reactor`'s ring: by default [`iocb`](Operation::iocb). Reads and
    /// writes override it to use a registered buffer when theirs has a slot there.
    fn iocb_for(&mut self, _reactor: &Reactor) -> Iocb {
        self.iocb()
    }

    /// The output for the kernel's result: bytes, fd, 0, or the error. Gives owned buffers
    /// back.
    fn complete(self, result: io::Result<u32>) -> Self::Output;

    /// The output when the request could not be submitted at all (no runtime, an invalid
    /// request, a shut-down reactor). By default, the error as a result.
    fn not_submitted(self, error: io::Error) -> Self::Output
    where
        Self: Sized,
    {
        self.complete(Err(error))
    }
}

/// An operation in flight. Submitted when created; awaiting it gives the output. Dropping it
/// before completion cancels the request, and the reactor keeps the operation's memory
/// alive until the kernel's final completion.
pub(crate) struct Op<T: Operation> {
    reactor: Option<Rc<Reactor>>,
    key: Option<Key>,
    data: Option<T>,
    error: Option<io::Error>,
}

// The operation's memory is on the heap (the `Operation` contract): `Op` is not
// address-sensitive.
impl<T: Operation> Unpin for Op<T> {}

impl<T: Operation> Op<T> {
    /// Submits `data`'s request to the current runtime's reactor. Errors (no runtime, invalid
    /// request, reactor shut down) come out when the op is awaited.
    pub(crate) fn submit(mut data: T) -> Op<T> {
        let submitted = context::with_current(|h| h.reactor.clone()).and_then(|reactor| {
            let iocb = data.iocb_for(&reactor);
            // SAFETY: `iocb` points into `data`'s heap memory (the `Operation` contract).
            // `data` stays in this `Op` until `poll` has taken the result, or `Drop` hands it
            // to the reactor with `release`, which keeps it until the final completion.
            let key = unsafe { reactor.submit(&iocb) }?;
            Ok((reactor, key))
        });
        match submitted {
            Ok((reactor, key)) => Op {
                reactor: Some(reactor),
                key: Some(key),
                data: Some(data),
                error: None,
            },
            Err(e) => Op {
                reactor: None,
                key: None,
                data: Some(data),
                error: Some(e),
            },
        }
    }
}

impl<T: Operation> Future for Op<T> {
    type Output = T::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        let this = &mut *self;
        if let Some(e) = this.error.take() {
            return match this.data.take() {
                Some(data) => Poll::Ready(data.not_submitted(e)),
                None => finish_again(),
            };
        }
        let result = {
            let (Some(reactor), Some(key)) = (&this.reactor, this.key) else {
                finish_again();
            };
            match reactor.poll(key, cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(outcome) => {
                    this.key = None;
                    cqe_result(outcome.result)
                }
            }
        };
        match this.data.take() {
            Some(data) => Poll::Ready(data.complete(result)),
            None => finish_again(),
        }
    }
}

/// Polling an `Op` after it completed is a caller bug (futures must not be polled after
/// `Ready`); the output type cannot be produced twice.
#[cold]
fn finish_again() -> ! {
    panic!("ringaio: an operation was polled after it completed")
}

impl<T: Operation> Drop for Op<T> {
    fn drop(&mut self) {
        if let (Some(reactor), Some(key)) = (&self.reactor, self.key) {
            reactor.release(key, &mut self.data);
        }
    }
}
