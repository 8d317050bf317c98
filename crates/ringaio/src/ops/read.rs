//! `pread` into an owned buffer, or `read` at the file position.

use std::io;

use ringaio_core::{Iocb, Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{no_room, on_registered_slot, IoBufMut};
use crate::fd::SharedFd;
use crate::op::Operation;

/// `AT_POSITION`: reads at the file position (`Read::at_position`), a type of its own so that
/// the plain `pread`'s request is made without a branch.
pub(crate) struct Read<B, const AT_POSITION: bool = false> {
    fd: SharedFd,
    buf: B,
    /// Where in the buffer the bytes go.
    at: usize,
    /// The file offset (unused at the file position).
    pos: u64,
}

impl<B: IoBufMut> Read<B> {
    /// Reads at file offset `pos` into `buf[at..bytes_total]` (at most `MAX_RW_COUNT` bytes).
    #[inline]
    pub(crate) fn new(fd: &SharedFd, buf: B, at: usize, pos: u64) -> Read<B> {
        Read {
            fd: fd.clone(),
            buf,
            at,
            pos,
        }
    }
}

impl<B: IoBufMut> Read<B, true> {
    /// Reads at the file position into `buf[at..bytes_total]`, moving the position on
    /// (`read(2)`): for a file whose position only these requests use (`fs::read`'s).
    pub(crate) fn at_position(fd: &SharedFd, buf: B, at: usize) -> Read<B, true> {
        Read {
            fd: fd.clone(),
            buf,
            at,
            pos: 0,
        }
    }
}

impl<B: IoBufMut, const AT_POSITION: bool> Read<B, AT_POSITION> {
    /// Where in the buffer the bytes go, within its room (a buffer may report less room than
    /// when the read was made).
    #[inline]
    fn start(&self) -> usize {
        self.at.min(self.buf.bytes_total())
    }
}

// SAFETY: the iocb points into `buf`, whose memory is stable (`IoBufMut`) and owned by self.
unsafe impl<B: IoBufMut, const AT_POSITION: bool> Operation for Read<B, AT_POSITION> {
    type Output = (io::Result<usize>, B);

    #[inline]
    fn iocb(&mut self) -> Iocb {
        let at = self.start();
        let len = (self.buf.bytes_total() - at).min(MAX_RW_COUNT as usize);
        let ptr = self.buf.stable_mut_ptr().wrapping_add(at);
        let target = self.fd.target_for(Opcode::Pread);
        if AT_POSITION {
            Iocb::read(target, ptr, len)
        } else {
            Iocb::pread(target, ptr, len, self.pos)
        }
    }

    #[inline]
    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb {
        let mut iocb = self.iocb();
        on_registered_slot(&mut self.buf, reactor, &mut iocb);
        iocb
    }

    #[inline]
    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        match result {
            // Checked only when nothing was read, off the path of every read that was.
            Ok(0) if self.start() >= self.buf.bytes_total() => (Err(no_room()), self.buf),
            Ok(n) => {
                let n = n as usize;
                // The kernel wrote `n` bytes from where the request started (`start`, as
                // `iocb` clamped it), no more than the room it was given.
                let end = (self.start() + n).min(self.buf.bytes_total());
                // SAFETY: the first `end` bytes are initialized (the ones before `start` were
                // already, the caller's contract), and `end <= bytes_total()`.
                unsafe { self.buf.set_init(end) };
                (Ok(n), self.buf)
            }
            Err(e) => (Err(e), self.buf),
        }
    }
}
