//! `copy_file_range`: io_uring has no such opcode, so it always runs on the blocking pool.

use std::io;

use ringaio_core::{Iocb, Target};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct CopyRange {
    from: SharedFd,
    from_at: u64,
    to: SharedFd,
    to_at: u64,
    len: usize,
}

impl CopyRange {
    pub(crate) fn new(
        from: &SharedFd,
        from_at: u64,
        to: &SharedFd,
        to_at: u64,
        len: usize,
    ) -> CopyRange {
        CopyRange {
            from: from.clone(),
            from_at,
            to: to.clone(),
            to_at,
            len,
        }
    }
}

// SAFETY: the request points at no memory (the pool copies the offsets); both fds stay open
// while the operation lives.
unsafe impl Operation for CopyRange {
    type Output = io::Result<usize>;

    fn iocb(&mut self) -> Iocb {
        Iocb::copy_file_range(
            self.from.raw(),
            self.from_at,
            Target::Fd(self.to.raw()),
            self.to_at,
            self.len,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<usize> {
        result.map(|n| n as usize)
    }
}
