//! `send` from an owned buffer.

use std::io;

use ringaio_core::{Iocb, MAX_RW_COUNT};

use crate::buf::IoBuf;
use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Send<B> {
    fd: SharedFd,
    buf: B,
    /// Where in the buffer the bytes come from.
    at: usize,
}

impl<B: IoBuf> Send<B> {
    /// Sends `buf[at..bytes_init]` (at most `MAX_RW_COUNT` bytes). Always `MSG_NOSIGNAL`: a
    /// peer that went away is `EPIPE`, never a `SIGPIPE`.
    pub(crate) fn new(fd: &SharedFd, buf: B, at: usize) -> Send<B> {
        Send {
            fd: fd.clone(),
            buf,
            at,
        }
    }
}

// SAFETY: the iocb points into `buf`, whose memory is stable (`IoBuf`) and owned by self.
unsafe impl<B: IoBuf> Operation for Send<B> {
    type Output = (io::Result<usize>, B);

    fn iocb(&mut self) -> Iocb {
        let at = self.at.min(self.buf.bytes_init());
        let len = (self.buf.bytes_init() - at).min(MAX_RW_COUNT as usize);
        let ptr = self.buf.stable_ptr().wrapping_add(at);
        Iocb::send(self.fd.target(), ptr, len, libc::MSG_NOSIGNAL)
    }

    fn complete(self, result: io::Result<u32>) -> Self::Output {
        (result.map(|n| n as usize), self.buf)
    }
}
