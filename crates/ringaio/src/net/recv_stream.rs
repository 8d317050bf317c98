//! `RecvStream`: the messages of a socket as a stream, on one multishot receive into a
//! provided buffer ring.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::Stream;
use ringaio_core::Opcode;
use ringaio_reactor::BufRing;

use crate::buf::{HeapPool, PooledBuf};
use crate::context;
use crate::fd::SharedFd;
use crate::multi::{Multi, Shot};
use crate::op::Op;
use crate::ops;

/// What the stream receives with; see [`TcpStream::recv_stream`](crate::net::TcpStream::recv_stream).
pub struct RecvStream {
    fd: SharedFd,
    entries: u16,
    buf_len: u32,
    mode: Mode,
    rearms: u64,
}

enum Mode {
    Unstarted,
    Ring {
        multi: Multi<ops::RecvMulti>,
        /// Whether any message came through the multishot request (an `EINVAL` before that
        /// means the kernel lacks it).
        worked: bool,
        /// The ring ran dry (`ENOBUFS`): re-arm once a buffer has come back.
        starved: bool,
    },
    Single {
        op: Option<Op<ops::Recv<Vec<u8>>>>,
        pool: Rc<HeapPool>,
    },
    /// The peer shut down its writing side (or the stream failed for good).
    Done,
}

impl fmt::Debug for RecvStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Unstarted => "unstarted",
            Mode::Ring { .. } => "multishot",
            Mode::Single { .. } => "single-shot",
            Mode::Done => "done",
        };
        f.debug_struct("RecvStream")
            .field("fd", &self.fd.raw())
            .field("mode", &mode)
            .finish()
    }
}

impl RecvStream {
    pub(crate) fn new(fd: &SharedFd, entries: u16, buf_len: u32) -> RecvStream {
        RecvStream {
            fd: fd.clone(),
            entries,
            buf_len: buf_len.max(1),
            mode: Mode::Unstarted,
            rearms: 0,
        }
    }

    /// Whether messages come from one multishot receive into a buffer ring (`false` before
    /// the first poll, and where receives run one after another).
    pub fn is_multishot(&self) -> bool {
        matches!(self.mode, Mode::Ring { .. })
    }

    /// How many times the multishot receive ran out of buffers (`ENOBUFS`) and was armed
    /// again.
    pub fn rearms(&self) -> u64 {
        self.rearms
    }

    /// The next message; `None` once the peer has shut down its writing side.
    ///
    /// # Errors
    /// As `recv(2)` (`ECONNRESET`, ...); no runtime on this thread.
    pub async fn next(&mut self) -> Option<io::Result<PooledBuf>> {
        futures::StreamExt::next(self).await
    }

    fn single(&self) -> Mode {
        Mode::Single {
            op: None,
            pool: HeapPool::new(self.buf_len as usize, usize::from(self.entries)),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        let reactor = context::reactor()?;
        if !reactor.runs_on_ring(Opcode::RecvMulti) {
            self.mode = self.single();
            return Ok(());
        }
        self.mode = match reactor.register_buf_ring(self.entries, self.buf_len) {
            Ok(ring) => Mode::Ring {
                multi: Multi::new(ops::RecvMulti::new(&self.fd, ring)),
                worked: false,
                starved: false,
            },
            Err(e) => {
                tracing::debug!(error = %e, "no buffer ring; receiving one message at a time");
                self.single()
            }
        };
        Ok(())
    }
}

/// The buffer a completion filled, out of `ring`; an error if the kernel named none.
fn ring_buf(ring: &BufRing, flags: u32, result: i32) -> io::Result<PooledBuf> {
    ring.take(flags, result)
        .map(PooledBuf::ring)
        .ok_or_else(|| io::Error::other("a multishot receive completed without a buffer"))
}

impl Stream for RecvStream {
    type Item = io::Result<PooledBuf>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.mode {
                Mode::Done => return Poll::Ready(None),
                Mode::Unstarted => {
                    if let Err(e) = this.start() {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Mode::Ring {
                    multi,
                    worked,
                    starved,
                } => {
                    let Some(ring) = multi.data().map(|d| d.ring().clone()) else {
                        this.mode = Mode::Done;
                        continue;
                    };
                    if *starved {
                        if ring.exhausted() {
                            ring.wake_on_return(cx.waker());
                            return Poll::Pending;
                        }
                        *starved = false;
                    }
                    let shot = match multi.poll_shot(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(Err(e)) => return Poll::Ready(Some(Err(e))),
                        Poll::Ready(Ok(shot)) => shot,
                    };
                    let (outcome, last) = match shot {
                        Shot::More(o) => (o, false),
                        Shot::Final(o) => (o, true),
                    };
                    match outcome.result {
                        n if n > 0 => {
                            *worked = true;
                            return Poll::Ready(Some(ring_buf(&ring, outcome.flags, n)));
                        }
                        0 => {
                            // End of stream: a buffer the kernel may have attached goes back.
                            drop(ring.take(outcome.flags, 0));
                            if last {
                                this.mode = Mode::Done;
                                return Poll::Ready(None);
                            }
                        }
                        e if e == -libc::ENOBUFS && last => {
                            // Every buffer is out: re-arm once one comes back (or now, if one
                            // already has).
                            *starved = true;
                            this.rearms += 1;
                        }
                        e if e == -libc::EINVAL && last && !*worked => {
                            tracing::debug!("no multishot receive here; one message at a time");
                            this.mode = this.single();
                        }
                        e => {
                            let err = io::Error::from_raw_os_error(-e);
                            return Poll::Ready(Some(Err(err)));
                        }
                    }
                }
                Mode::Single { op, pool } => {
                    let recv = op.get_or_insert_with(|| {
                        let buf = pool.get();
                        Op::new(ops::Recv::new(&this.fd, buf, 0))
                    });
                    let Poll::Ready((res, buf)) = std::future::Future::poll(Pin::new(recv), cx)
                    else {
                        return Poll::Pending;
                    };
                    *op = None;
                    let item = match res {
                        Ok(0) => {
                            this.mode = Mode::Done;
                            return Poll::Ready(None);
                        }
                        Ok(_) => Ok(PooledBuf::heap(buf, pool)),
                        Err(e) => Err(e),
                    };
                    return Poll::Ready(Some(item));
                }
            }
        }
    }
}
