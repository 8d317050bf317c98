//! `READ_FIXED` / `WRITE_FIXED` with a registered buffer.

use std::io;

use ringaio_core::{Iocb, Target, MAX_RW_COUNT};

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

    fn iocb(&mut self) -> Iocb {
        let fd = Target::Fd(self.fd.raw());
        let index = self.buf.buf_index();
        let registered = self.buf.is_registered();
        let max = MAX_RW_COUNT as usize;
        match (self.write, registered) {
            (true, true) => {
                let len = self.buf.bytes_init().min(max);
                Iocb::write_fixed(fd, self.buf.stable_ptr(), len, self.pos, index)
            }
            (false, true) => {
                let len = self.buf.bytes_total().min(max);
                Iocb::read_fixed(fd, self.buf.stable_mut_ptr(), len, self.pos, index)
            }
            // Not registered (fallback mode): plain reads and writes.
            (true, false) => {
                let len = self.buf.bytes_init().min(max);
                Iocb::pwrite(fd, self.buf.stable_ptr(), len, self.pos)
            }
            (false, false) => {
                let len = self.buf.bytes_total().min(max);
                Iocb::pread(fd, self.buf.stable_mut_ptr(), len, self.pos)
            }
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
