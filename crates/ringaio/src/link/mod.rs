//! Linked operations: operations submitted together that run one after another in the
//! kernel (`IOSQE_IO_LINK`), in one batch, and per-operation timeouts
//! (`IORING_OP_LINK_TIMEOUT`) that hand the buffer back.
//!
//! A [`Step`] is an operation not yet submitted. [`link`] and [`link3`] run steps in order;
//! when one fails (an error, or a read or write that moved fewer bytes than asked), the
//! steps after it end with `ECANCELED` without running, unless it was marked
//! [`always`](Step::always). Every step gives its own output back (buffers included),
//! whatever happened to the others. On the fallback backend the steps run one by one with
//! the same rules.
//!
//! ```
//! use ringaio::fs::File;
//! use ringaio::link;
//!
//! # fn main() -> std::io::Result<()> {
//! let path = std::env::temp_dir().join(format!("ringaio-doc-link-{}", std::process::id()));
//! ringaio::block_on(async {
//!     let file = File::create(&path).await?;
//!     // Write, then flush: one batch, the flush only if the write went through in full.
//!     let ((written, _buf), synced) =
//!         link::link(link::write_at(&file, b"linked".to_vec(), 0), link::sync_data(&file)).await;
//!     assert_eq!(written?, 6);
//!     synced?;
//!     // A write that fails cancels what is linked after it.
//!     let ro = File::open(&path).await?;
//!     let ((res, _), (after, _)) = link::link(
//!         link::write_at(&ro, b"no".to_vec(), 0),
//!         link::read_at(&ro, Vec::with_capacity(8), 0),
//!     )
//!     .await;
//!     assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
//!     assert_eq!(after.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
//!     ringaio::fs::remove_file(&path).await
//! })
//! # }
//! ```

use std::any::Any;
use std::future::{Future, IntoFuture};
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::time::Duration;

use ringaio_reactor::Link;

use crate::buf::{BufResult, IoBuf, IoBufMut};
use crate::fs::File;
use crate::ops::{Fsync, Nop, Read, Write};

pub(crate) mod chain;

use chain::{Member, Raw};

/// An operation not yet submitted, whose output is `T`: to [`link`] with others, or to await
/// alone (with its [`timeout`](Step::timeout)).
#[must_use = "a step does nothing until it is linked or awaited"]
pub struct Step<T> {
    member: Member,
    _output: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Step<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("always", &(self.member.link == Link::Always))
            .field("timeout", &self.member.timeout)
            .finish()
    }
}

impl<T: 'static> Step<T> {
    pub(crate) fn new(op: impl chain::StepOp) -> Step<T> {
        Step {
            member: Member {
                op: Box::new(op),
                link: Link::Next,
                timeout: None,
            },
            _output: PhantomData,
        }
    }

    /// This step with a deadline `after` from its submission: when it passes first, the
    /// operation is cancelled (`IORING_OP_LINK_TIMEOUT` on the ring, a timer and a cancel
    /// on the fallback) and ends with a `TimedOut` error, its buffer given back. A step
    /// linked after it then ends with `ECANCELED`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let (socket, _peer) = std::os::unix::net::UnixStream::pair()?;
    /// ringaio::block_on(async {
    ///     let quiet = File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(socket)));
    ///     let read = ringaio::link::read_at(&quiet, vec![0u8; 16], 0);
    ///     let (res, buf) = read.timeout(Duration::from_millis(5)).await;
    ///     assert_eq!(res.unwrap_err().kind(), std::io::ErrorKind::TimedOut);
    ///     assert_eq!(buf.capacity(), 16);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn timeout(mut self, after: Duration) -> Step<T> {
        self.member.timeout = Some(after);
        self
    }

    /// Runs the step after this one whatever this one's result (`IOSQE_IO_HARDLINK`), as a
    /// close after a read.
    pub fn always(mut self) -> Step<T> {
        self.member.link = Link::Always;
        self
    }
}

/// The output of one member (its type is its step's).
fn output<T: 'static>(raw: Option<Raw>) -> T {
    let any: Box<dyn Any> = match raw {
        Some(raw) => raw.output(),
        None => unreachable_count(),
    };
    match any.downcast::<T>() {
        Ok(out) => *out,
        Err(_) => unreachable_count(),
    }
}

/// A chain gives one output per member, of that member's type.
#[cold]
fn unreachable_count() -> ! {
    panic!("ringaio: a linked chain lost track of its outputs")
}

impl<T: 'static> IntoFuture for Step<T> {
    type Output = T;
    type IntoFuture = Pin<Box<dyn Future<Output = T>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let mut raws = chain::run(vec![self.member]).await.into_iter();
            output(raws.next())
        })
    }
}

/// Runs `first`, then `then` if `first` succeeded (see the [module docs](self)), submitted
/// as one batch; both outputs.
pub async fn link<A: 'static, B: 'static>(first: Step<A>, then: Step<B>) -> (A, B) {
    let mut raws = chain::run(vec![first.member, then.member])
        .await
        .into_iter();
    (output(raws.next()), output(raws.next()))
}

/// [`link`] of three steps.
pub async fn link3<A: 'static, B: 'static, C: 'static>(
    a: Step<A>,
    b: Step<B>,
    c: Step<C>,
) -> (A, B, C) {
    let members = vec![a.member, b.member, c.member];
    let mut raws = chain::run(members).await.into_iter();
    (
        output(raws.next()),
        output(raws.next()),
        output(raws.next()),
    )
}

/// [`link`] of four steps.
pub async fn link4<A: 'static, B: 'static, C: 'static, D: 'static>(
    a: Step<A>,
    b: Step<B>,
    c: Step<C>,
    d: Step<D>,
) -> (A, B, C, D) {
    let members = vec![a.member, b.member, c.member, d.member];
    let mut raws = chain::run(members).await.into_iter();
    (
        output(raws.next()),
        output(raws.next()),
        output(raws.next()),
        output(raws.next()),
    )
}

/// A [`File::read_at`] to link: reads into `buf` from its start at `pos`.
pub fn read_at<B: IoBufMut>(file: &File, buf: B, pos: u64) -> Step<BufResult<usize, B>> {
    Step::new(Read::new(file.shared_fd(), buf, 0, pos))
}

/// A [`File::write_at`] to link: writes `buf`'s bytes at `pos`.
pub fn write_at<B: IoBuf>(file: &File, buf: B, pos: u64) -> Step<BufResult<usize, B>> {
    Step::new(Write::new(file.shared_fd(), buf, 0, pos))
}

/// A [`File::sync_all`] to link.
pub fn sync_all(file: &File) -> Step<io::Result<()>> {
    Step::new(Fsync::new(file.shared_fd(), false))
}

/// A [`File::sync_data`] to link.
pub fn sync_data(file: &File) -> Step<io::Result<()>> {
    Step::new(Fsync::new(file.shared_fd(), true))
}

/// A request that does nothing, to link (a barrier, or a test of the chain).
pub fn nop() -> Step<io::Result<()>> {
    Step::new(Nop)
}
