//! `pwrite` from an owned buffer.

use std::io;

use ringaio_core::{Iocb, Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{on_registered_slot, IoBuf};
use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Write<B> {
    fd: SharedFd,
    buf: B,
    /// Where in the buffer the bytes come from.
    at: usize,
    pos: u64,
}

impl<B: IoBuf> Write<B> {
    /// Writes `buf[at..bytes_init]` (at most `MAX_RW_COUNT` bytes) at file offset `pos`.
    #[inline]
    pub(crate) fn new(fd: &SharedFd, buf: B, at: usize, pos: u64) -> Write<B> {
        Write {
            fd: fd.clone(),
            buf,
            at,
            pos,
        }
    }
}

// SAFETY: the iocb points into `buf`, whose memory is stable (`IoBuf`) and owned by self.
unsafe impl<B: IoBuf> Operation for Write<B> {
    type Output = (io::Result<usize>, B);

    #[inline]
    fn iocb(&mut self) -> Iocb {
        let at = self.at.min(self.buf.bytes_init());
        let len = (self.buf.bytes_init() - at).min(MAX_RW_COUNT as usize);
        let ptr = self.buf.stable_ptr().wrapping_add(at);
        Iocb::pwrite(self.fd.target_for(Opcode::Pwrite), ptr, len, self.pos)
    }

    #[inline]
    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb {
        let mut iocb = self.iocb();
        on_registered_slot(&mut self.buf, reactor, &mut iocb);
        iocb
    }

    #[inline]
    fn complete(self, result: io::Result<u32>) -> Self::Output {
        (result.map(|n| n as usize), self.buf)
    }
}
