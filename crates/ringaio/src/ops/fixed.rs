//! `READ_FIXED` / `WRITE_FIXED` with a registered buffer.

use std::io;

use ringaio_core::{Iocb, Opcode, MAX_RW_COUNT};
use ringaio_reactor::Reactor;

use crate::buf::{FixedBuf, IoBuf, IoBufMut};
use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct RwFixed {
    fd: SharedFd,
    buf: FixedBuf,
    pos: u64,
    write: bool,
}

impl RwFixed {
    pub(crate) fn read(fd: &SharedFd, buf: FixedBuf, pos: u64) -> RwFixed {
        RwFixed {
            fd: fd.clone(),
            buf,
            pos,
            write: false,
        }
    }

    pub(crate) fn write(fd: &SharedFd, buf: FixedBuf, pos: u64) -> RwFixed {
        RwFixed {
            fd: fd.clone(),
            buf,
            pos,
            write: true,
        }
    }
}

// SAFETY: the buffer's memory belongs to its pool, which the `FixedBuf` keeps alive; self
// owns the `FixedBuf`.
unsafe impl Operation for RwFixed {
    type Output = (io::Result<usize>, FixedBuf);

    /// Plain `pread` / `pwrite` (a pool made on another runtime, or fallback mode).
    fn iocb(&mut self) -> Iocb {
        let fd = self.fd.target_for(Opcode::ReadFixed);
        let max = MAX_RW_COUNT as usize;
        if self.write {
            let len = self.buf.bytes_init().min(max);
            Iocb::pwrite(fd, self.buf.stable_ptr(), len, self.pos)
        } else {
            let len = self.buf.bytes_total().min(max);
            Iocb::pread(fd, self.buf.stable_mut_ptr(), len, self.pos)
        }
    }

    /// `READ_FIXED` / `WRITE_FIXED` when the buffer is registered with this very ring: an
    /// index from another ring's table could name a stale entry there.
    fn iocb_for(&mut self, reactor: &Reactor) -> Iocb {
        let iocb = self.iocb();
        match self.buf.index_in(reactor) {
            Some(index) => iocb.on_fixed_buffer(index),
            None => iocb,
        }
    }

    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        if let (Ok(n), false) = (&result, self.write) {
            // SAFETY: the kernel filled the first `n` bytes.
            unsafe { self.buf.set_init(*n as usize) };
        }
        (result.map(|n| n as usize), self.buf)
    }
}
