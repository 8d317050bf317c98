//! Running a chain: linked on the ring (one batch, `IOSQE_IO_LINK`, each request in its own
//! slot), or one by one where the ring cannot take it (the fallback backend), with the
//! kernel's rules: a failed link fails the rest with `ECANCELED`.

use std::any::Any;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use ringaio_core::{cqe_result, Iocb, Opcode, Timespec};
use ringaio_reactor::{Key, Link, Polled, Reactor};

use crate::context;
use crate::op::{Op, Operation};
use crate::timed::{Timed, TimedOutput};

/// One operation of a chain, its output type erased.
pub(crate) trait StepOp: 'static {
    /// As [`Operation::iocb_for`].
    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb;
    /// As [`Operation::complete`], boxed.
    fn complete(self: Box<Self>, result: io::Result<u32>) -> Box<dyn Any>;
}

impl<T: Operation> StepOp for T
where
    T::Output: 'static,
{
    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb {
        Operation::iocb_for(self, reactor)
    }

    fn complete(self: Box<Self>, result: io::Result<u32>) -> Box<dyn Any> {
        Box::new(Operation::complete(*self, result))
    }
}

/// An operation of a chain with how it leads to the next and its own timeout.
pub(crate) struct Member {
    pub(crate) op: Box<dyn StepOp>,
    pub(crate) link: Link,
    pub(crate) timeout: Option<Duration>,
}

/// A finished member: the operation and its result, not yet turned into its output.
pub(crate) struct Raw {
    op: Box<dyn StepOp>,
    result: io::Result<u32>,
}

impl Raw {
    /// The member's output.
    pub(crate) fn output(self) -> Box<dyn Any> {
        self.op.complete(self.result)
    }
}

impl TimedOutput for Raw {
    fn timed_out(self) -> Raw {
        match self.result {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => Raw {
                result: Err(timed_out()),
                ..self
            },
            result => Raw { result, ..self },
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "operation timed out")
}

fn canceled() -> io::Error {
    io::Error::from_raw_os_error(libc::ECANCELED)
}

/// The same error again (`io::Error` is not `Clone`).
fn again(e: &io::Error) -> io::Error {
    match e.raw_os_error() {
        Some(errno) => io::Error::from_raw_os_error(errno),
        None => io::Error::new(e.kind(), e.to_string()),
    }
}

/// An erased member as an `Operation`, for the one-by-one path.
struct Erased(Box<dyn StepOp>);

// SAFETY: the iocb points into the boxed operation's own memory (its `Operation` contract),
// which the box keeps where it is.
unsafe impl Operation for Erased {
    type Output = Raw;

    fn iocb(&mut self) -> Iocb {
        unreachable_without_reactor()
    }

    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb {
        self.0.iocb_for(reactor)
    }

    fn complete(self, result: io::Result<u32>) -> Raw {
        Raw { op: self.0, result }
    }
}

/// `Op::submit` always asks `iocb_for`.
#[cold]
fn unreachable_without_reactor() -> Iocb {
    Iocb::noop()
}

/// Whether the kernel would fail the rest of a chain after this result: an error, or a read
/// or write that moved fewer bytes than asked.
fn breaks_link(iocb: &Iocb, result: &io::Result<u32>) -> bool {
    match result {
        Err(_) => true,
        Ok(n) => {
            matches!(
                iocb.opcode,
                Opcode::Pread | Opcode::Pwrite | Opcode::ReadFixed | Opcode::WriteFixed
            ) && u64::from(*n) < iocb.len
        }
    }
}

/// Runs `members` as one chain; their raw results, in order.
pub(crate) async fn run(members: Vec<Member>) -> Vec<Raw> {
    let reactor = match context::reactor() {
        Ok(reactor) => reactor,
        Err(e) => return fail_all(members, &e),
    };
    let members = match OnRing::submit(&reactor, members) {
        Ok(on_ring) => return on_ring.await,
        Err((members, e)) if e.kind() == io::ErrorKind::Unsupported => members,
        Err((members, e)) => return fail_all(members, &e),
    };
    one_by_one(&reactor, members).await
}

fn fail_all(members: Vec<Member>, e: &io::Error) -> Vec<Raw> {
    members
        .into_iter()
        .map(|m| Raw {
            op: m.op,
            result: Err(again(e)),
        })
        .collect()
}

/// The fallback: each member submitted after the one before it ended, as the kernel would
/// run them; after a failed `Link::Next` the rest end with `ECANCELED` without running.
async fn one_by_one(reactor: &Reactor, members: Vec<Member>) -> Vec<Raw> {
    let mut out = Vec::with_capacity(members.len());
    let mut broken = false;
    for mut member in members {
        if broken {
            out.push(Raw {
                op: member.op,
                result: Err(canceled()),
            });
            continue;
        }
        let iocb = member.op.iocb_for(reactor);
        let raw = match member.timeout {
            Some(after) => Timed::new(Erased(member.op), after).await,
            None => Op::new(Erased(member.op)).await,
        };
        broken = member.link == Link::Next && breaks_link(&iocb, &raw.result);
        out.push(raw);
    }
    out
}

/// A submitted request of a chain on the ring: its key, and what it must keep alive.
enum Held {
    Op(Box<dyn StepOp>),
    /// Read by the kernel only.
    Timer(#[allow(dead_code)] Box<Timespec>),
}

/// A chain submitted to the ring as one batch, awaiting every member's completion.
struct OnRing {
    reactor: Rc<Reactor>,
    /// Per request (members, and a `LinkTimeout` after each member with a timeout): its key
    /// while pending, what it keeps, and its result once in.
    requests: Vec<(Option<Key>, Option<Held>, Option<i32>)>,
}

impl OnRing {
    fn submit(
        reactor: &Rc<Reactor>,
        members: Vec<Member>,
    ) -> Result<OnRing, (Vec<Member>, io::Error)> {
        let mut entries = Vec::with_capacity(members.len() * 2);
        let mut requests = Vec::with_capacity(members.len() * 2);
        let mut members = members;
        let n = members.len();
        for (i, member) in members.iter_mut().enumerate() {
            let last = i + 1 == n;
            let link = if last { Link::End } else { member.link };
            let iocb = member.op.iocb_for(reactor);
            match member.timeout {
                None => entries.push((iocb, link)),
                Some(after) => {
                    // The timeout follows its request; the chain goes on from the timeout.
                    entries.push((iocb, Link::Next));
                    let ts = Box::new(Timespec::from_duration(after));
                    entries.push((Iocb::link_timeout(&*ts), link));
                    requests.push(Some(ts));
                    continue;
                }
            }
            requests.push(None);
        }
        // SAFETY: every iocb points into a member's boxed operation or a boxed timespec,
        // which `OnRing` keeps until that request's result is in, or hands to the reactor
        // with `release` (`Drop`).
        let keys = match unsafe { reactor.submit_chain(&entries) } {
            Ok(keys) => keys,
            Err(e) => return Err((members, e)),
        };
        let mut keys = keys.into_iter();
        let mut held = Vec::with_capacity(entries.len());
        for (member, ts) in members.into_iter().zip(requests) {
            held.push((keys.next(), Some(Held::Op(member.op)), None));
            if let Some(ts) = ts {
                held.push((keys.next(), Some(Held::Timer(ts)), None));
            }
        }
        Ok(OnRing {
            reactor: reactor.clone(),
            requests: held,
        })
    }
}

impl Future for OnRing {
    type Output = Vec<Raw>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<Raw>> {
        let this = &mut *self;
        let mut pending = false;
        for (key, _, result) in &mut this.requests {
            let Some(k) = key.take() else { continue };
            match this.reactor.poll(k, cx) {
                Polled::Ready(outcome) => *result = Some(outcome.result),
                Polled::Pending(k) => {
                    *key = Some(k);
                    pending = true;
                }
            }
        }
        if pending {
            return Poll::Pending;
        }
        let mut out = Vec::new();
        let mut requests = std::mem::take(&mut this.requests).into_iter().peekable();
        while let Some((_, held, result)) = requests.next() {
            let Some(Held::Op(op)) = held else { continue };
            let mut result = cqe_result(result.unwrap_or(-libc::ECANCELED));
            if let Some((_, Some(Held::Timer(_)), timer)) = requests.peek() {
                // The kernel cancels a request whose linked timeout fired.
                let fired = *timer == Some(-libc::ETIME);
                if fired && matches!(&result, Err(e) if e.raw_os_error() == Some(libc::ECANCELED)) {
                    result = Err(timed_out());
                }
            }
            out.push(Raw { op, result });
        }
        Poll::Ready(out)
    }
}

impl Drop for OnRing {
    fn drop(&mut self) {
        // Each pending request's memory goes to the reactor until its own completion.
        for (key, held, _) in self.requests.drain(..) {
            if let Some(key) = key {
                self.reactor.release(key, held);
            }
        }
    }
}
