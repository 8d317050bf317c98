//! `Op`: the one future every operation goes through, and the one submit path.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use ringaio_core::{cqe_result, Iocb};
use ringaio_reactor::{Key, Outcome, Polled, Reactor};

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

    /// The request. Called before each submission attempt: once, or again on the first
    /// poll of an `Op::start` whose submission at creation failed.
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

    /// The output when the runtime shut down and gave up on the request
    /// (`shutdown_timeout`): the kernel may still use the memory the request points at, so
    /// that memory must be leaked. `Ok` with `error` where the output can be made without
    /// handing that memory back; by default `Err(self)`, and the operation then stays
    /// pending for ever, its memory leaked: no sound answer exists.
    fn abandoned(self, error: io::Error) -> Result<Self::Output, Self>
    where
        Self: Sized,
    {
        let _ = error;
        Err(self)
    }
}

/// `Operation::abandoned` for operations whose output holds none of the request's memory:
/// the operation (and what it points at) is leaked, the output is `Err(error)`.
macro_rules! abandon_by_leaking {
    () => {
        // Some operations own nothing with a destructor (a NOP): forgetting them is harmless.
        #[allow(clippy::forget_non_drop)]
        fn abandoned(self, error: std::io::Error) -> Result<Self::Output, Self> {
            std::mem::forget(self);
            Ok(Err(error))
        }
    };
}
pub(crate) use abandon_by_leaking;

/// An operation: submitted on its first poll (or at creation, with [`Op::start`]); awaiting
/// it gives the output. Dropping it before completion cancels the request, and the reactor
/// keeps the operation's memory alive until the kernel's final completion.
// `repr(C)`, the two words the polls read first and the operation last. A fresh `Op` is two
// zero words then the operation, which compilers write with aligned stores that the first
// poll's loads of `reactor` and `key` are forwarded from. With the operation (one byte, for
// a NOP) first, a `Vec` of fresh NOPs was filled with 16-byte stores at odd offsets, and
// every first poll stalled on a load straddling two of them (figures in docs/benchmarks.md,
// `nop_count ringaio-join`).
#[repr(C)]
pub(crate) struct Op<T: Operation> {
    /// The reactor the request went to, from submission on.
    reactor: Option<Rc<Reactor>>,
    /// The request's key, until its result is taken.
    key: Option<Key>,
    data: Option<T>,
    /// The request's trace, from submission to its end (`trace-ops` feature only).
    #[cfg(feature = "trace-ops")]
    trace: Option<crate::op_trace::OpTrace>,
}

// The operation's memory is on the heap (the `Operation` contract): `Op` is not
// address-sensitive.
impl<T: Operation> Unpin for Op<T> {}

impl<T: Operation> Op<T> {
    /// An operation submitted to the current runtime's reactor when first polled, which names
    /// its waiter in the same step. Errors (no runtime, invalid request, reactor shut down)
    /// come out of that poll.
    ///
    /// Nothing but a move happens here, so the `Op` is built in place in the awaiting future
    /// (a value written field by field and then copied stalls on store forwarding).
    #[inline]
    pub(crate) fn new(data: T) -> Op<T> {
        Op {
            reactor: None,
            key: None,
            data: Some(data),
            #[cfg(feature = "trace-ops")]
            trace: None,
        }
    }

    /// Submits `data`'s request now, so it runs even before the `Op` is polled (a timer
    /// that starts counting when created). If it cannot be submitted now (no runtime on this
    /// thread yet), the first poll tries again and gives out the error if that fails too.
    pub(crate) fn start(data: T) -> Op<T> {
        let mut op = Op::new(data);
        if let Err(e) = op.submit(None) {
            tracing::debug!(error = %e, "operation not started; submitted on its first poll");
        }
        op
    }

    /// Submits the request, naming `cx`'s task as its waiter when given.
    #[inline]
    fn submit(&mut self, cx: Option<&Context<'_>>) -> io::Result<()> {
        let Some(data) = self.data.as_mut() else {
            if self.reactor.is_some() {
                // Abandoned at shutdown (`abandon`): pending for ever.
                return Ok(());
            }
            finish_again();
        };
        let reactor = context::reactor()?;
        let iocb = data.iocb_for(&reactor);
        // SAFETY: `iocb` points into `data`'s heap memory (the `Operation` contract).
        // `data` stays in this `Op` until `poll` has taken the result, or `Drop` hands it to
        // the reactor with `release`, which keeps it until the final completion.
        let key = unsafe {
            match cx {
                Some(cx) => reactor.submit_waiting(&iocb, cx),
                None => reactor.submit(&iocb),
            }
        }?;
        self.reactor = Some(reactor);
        self.key = Some(key);
        #[cfg(feature = "trace-ops")]
        {
            self.trace = Some(crate::op_trace::OpTrace::submitted(&iocb));
        }
        Ok(())
    }
}

impl<T: Operation> Op<T> {
    /// The first poll's work: submits the request. Returns no output (which may be large),
    /// so the compiler can keep it out of line where that keeps the later polls small.
    #[inline]
    fn submit_first(&mut self, cx: &Context<'_>) -> io::Result<()> {
        self.submit(Some(cx))
    }

    /// The output for a request that could not be submitted.
    #[cold]
    fn not_submitted(&mut self, error: io::Error) -> Poll<T::Output> {
        match self.data.take() {
            Some(data) => Poll::Ready(data.not_submitted(error)),
            None => finish_again(),
        }
    }
}

impl<T: Operation> Future for Op<T> {
    type Output = T::Output;

    #[inline(always)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T::Output> {
        let this = &mut *self;
        let (Some(reactor), Some(key)) = (&this.reactor, this.key.take()) else {
            return match this.submit_first(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => this.not_submitted(e),
            };
        };
        let outcome = match reactor.poll(key, cx) {
            Polled::Ready(outcome) => outcome,
            Polled::Pending(key) => {
                this.key = Some(key);
                return Poll::Pending;
            }
        };
        #[cfg(feature = "trace-ops")]
        if let Some(trace) = this.trace.take() {
            trace.completed(outcome.result);
        }
        match this.data.take() {
            Some(data) if outcome.result == Outcome::ABANDONED => abandon(data),
            Some(data) => Poll::Ready(data.complete(cqe_result(outcome.result))),
            None => finish_again(),
        }
    }
}

/// The shut-down runtime gave up on the request: the output if one can be made without the
/// request's memory, else pending for ever (the `Op` keeps neither key nor data, so later
/// polls stay pending too), the memory leaked.
#[cold]
#[inline(never)]
fn abandon<T: Operation>(data: T) -> Poll<T::Output> {
    let error = io::Error::other(
        "the runtime shut down and gave up waiting for this request (shutdown_timeout)",
    );
    match data.abandoned(error) {
        Ok(output) => Poll::Ready(output),
        Err(data) => {
            std::mem::forget(data);
            Poll::Pending
        }
    }
}

/// Polling an `Op` after it completed is a caller bug (futures must not be polled after
/// `Ready`); the output type cannot be produced twice.
#[cold]
fn finish_again() -> ! {
    panic!("ringaio: an operation was polled after it completed")
}

impl<T: Operation> Op<T> {
    /// Lets go of a request whose result was not taken (out of line: the common drop, after
    /// completion, is two checks and the `Rc`).
    #[inline(never)]
    fn release(&mut self, key: Key) {
        #[cfg(feature = "trace-ops")]
        if let Some(trace) = self.trace.take() {
            trace.abandoned();
        }
        if let Some(reactor) = &self.reactor {
            reactor.release(key, self.data.take());
        }
    }
}

impl<T: Operation> Op<T> {
    /// Asks for the request to be cancelled, if it was submitted and has not completed; its
    /// result still comes through `poll` (`ECANCELED`, or the real one if it won the race),
    /// and with it the operation's buffers.
    pub(crate) fn cancel(&self) {
        if let (Some(reactor), Some(key)) = (&self.reactor, &self.key) {
            reactor.cancel(key);
        }
    }
}

impl<T: Operation> Drop for Op<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.release(key);
        }
    }
}
