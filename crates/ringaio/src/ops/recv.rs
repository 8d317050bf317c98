//! `recv` into an owned buffer.

use std::io;

use ringaio_core::{Iocb, MAX_RW_COUNT};

use crate::buf::{no_room, IoBufMut};
use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Recv<B> {
    fd: SharedFd,
    buf: B,
    /// Where in the buffer the bytes go.
    at: usize,
}

impl<B: IoBufMut> Recv<B> {
    /// Receives into `buf[at..bytes_total]` (at most `MAX_RW_COUNT` bytes).
    pub(crate) fn new(fd: &SharedFd, buf: B, at: usize) -> Recv<B> {
        Recv {
            fd: fd.clone(),
            buf,
            at,
        }
    }
}

// SAFETY: the iocb points into `buf`, whose memory is stable (`IoBufMut`) and owned by self.
unsafe impl<B: IoBufMut> Operation for Recv<B> {
    type Output = (io::Result<usize>, B);

    fn iocb(&mut self) -> Iocb {
        let at = self.at.min(self.buf.bytes_total());
        let len = (self.buf.bytes_total() - at).min(MAX_RW_COUNT as usize);
        let ptr = self.buf.stable_mut_ptr().wrapping_add(at);
        Iocb::recv(self.fd.target(), ptr, len, 0)
    }

    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        let start = self.at.min(self.buf.bytes_total());
        match result {
            // No room is an error, not an `Ok(0)` that reads as the peer's shutdown.
            Ok(0) if start >= self.buf.bytes_total() => (Err(no_room()), self.buf),
            Ok(n) => {
                let n = n as usize;
                let end = (start + n).min(self.buf.bytes_total());
                // SAFETY: the kernel wrote `n` bytes from `start`, within bytes_total; the
                // bytes before `start` were initialized already (the caller's contract).
                unsafe { self.buf.set_init(end) };
                (Ok(n), self.buf)
            }
            Err(e) => (Err(e), self.buf),
        }
    }
}
