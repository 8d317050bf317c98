//! `Incoming`: the connections of a listener as a stream, on one multishot accept.

use std::fmt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use ringaio_core::Opcode;

use crate::context;
use crate::fd::SharedFd;
use crate::multi::{Multi, Shot};
use crate::net::Socket;
use crate::op::Op;
use crate::ops;

/// The connections of a [`TcpListener`](crate::net::TcpListener) or
/// [`UnixListener`](crate::net::UnixListener), from
/// [`incoming`](crate::net::TcpListener::incoming).
///
/// On io_uring it is one multishot accept (Linux 5.19): one request for every connection,
/// until it is dropped, which cancels it (a connection accepted meanwhile is closed). On the
/// fallback backend, or where the kernel lacks multishot accept, it runs one accept after
/// another. Errors (`EMFILE`, ...) are yielded and the stream goes on; it never ends.
pub struct Incoming<S> {
    listener: SharedFd,
    mode: Mode,
    make: fn(Socket) -> S,
}

enum Mode {
    /// Not polled yet: the mode is chosen on the first poll, on the runtime's reactor.
    Unstarted,
    Multi {
        multi: Multi<ops::AcceptMulti>,
        /// Whether any connection came through the multishot request (an `EINVAL` before
        /// that means the kernel lacks it).
        worked: bool,
    },
    Single(Option<Op<ops::Accept>>),
}

impl<S> fmt::Debug for Incoming<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Unstarted => "unstarted",
            Mode::Multi { .. } => "multishot",
            Mode::Single(_) => "single-shot",
        };
        f.debug_struct("Incoming")
            .field("listener", &self.listener.raw())
            .field("mode", &mode)
            .finish()
    }
}

impl<S> Incoming<S> {
    pub(crate) fn new(listener: &Socket, make: fn(Socket) -> S) -> Incoming<S> {
        Incoming {
            listener: listener.shared().clone(),
            mode: Mode::Unstarted,
            make,
        }
    }

    /// Whether connections come from one multishot accept (`false` before the first poll,
    /// and where accepts run one after another).
    pub fn is_multishot(&self) -> bool {
        matches!(self.mode, Mode::Multi { .. })
    }

    /// The next connection.
    ///
    /// # Errors
    /// As `accept4(2)`; no runtime on this thread.
    pub async fn next(&mut self) -> io::Result<S>
    where
        S: Unpin,
    {
        match futures::StreamExt::next(self).await {
            Some(res) => res,
            None => Err(io::Error::other("the accept stream ended")),
        }
    }

    fn accepted(&self, fd: i32) -> S {
        // SAFETY: a successful accept returns a new fd that nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        (self.make)(Socket::from_fd(fd))
    }

    fn start(&mut self) -> io::Result<()> {
        let reactor = context::reactor()?;
        self.mode = if reactor.runs_on_ring(Opcode::AcceptMulti) {
            Mode::Multi {
                multi: Multi::new(ops::AcceptMulti::new(&self.listener)),
                worked: false,
            }
        } else {
            Mode::Single(None)
        };
        Ok(())
    }
}

impl<S: Unpin> Stream for Incoming<S> {
    type Item = io::Result<S>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<S>>> {
        let this = self.get_mut();
        loop {
            match &mut this.mode {
                Mode::Unstarted => {
                    if let Err(e) = this.start() {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Mode::Multi { multi, worked } => {
                    let shot = match multi.poll_shot(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                        Poll::Ready(Ok(shot)) => shot,
                    };
                    let outcome = match shot {
                        Shot::More(o) | Shot::Final(o) => o,
                    };
                    if outcome.result >= 0 {
                        *worked = true;
                        return Poll::Ready(Some(Ok(this.accepted(outcome.result))));
                    }
                    if outcome.result == -libc::EINVAL && !*worked {
                        tracing::debug!("no multishot accept here; accepting one at a time");
                        this.mode = Mode::Single(None);
                        continue;
                    }
                    // A final error: say it; the next poll arms the request again.
                    let err = io::Error::from_raw_os_error(-outcome.result);
                    return Poll::Ready(Some(Err(err)));
                }
                Mode::Single(op) => {
                    let accept =
                        op.get_or_insert_with(|| Op::new(ops::Accept::new(&this.listener)));
                    let Poll::Ready(res) = std::future::Future::poll(Pin::new(accept), cx) else {
                        return Poll::Pending;
                    };
                    *op = None;
                    let res = res.map(|(fd, _)| (this.make)(Socket::from_fd(fd)));
                    return Poll::Ready(Some(res));
                }
            }
        }
    }
}
