//! `splice` between a pipe and a file (or two pipes), on the ring from Linux 5.7.

use std::io;

use ringaio_core::{Iocb, Target};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Splice {
    from: SharedFd,
    from_at: Option<u64>,
    to: SharedFd,
    to_at: Option<u64>,
    len: u32,
}

impl Splice {
    pub(crate) fn new(
        from: &SharedFd,
        from_at: Option<u64>,
        to: &SharedFd,
        to_at: Option<u64>,
        len: u32,
    ) -> Splice {
        Splice {
            from: from.clone(),
            from_at,
            to: to.clone(),
            to_at,
            len,
        }
    }
}

// SAFETY: the request points at no memory (the offsets travel in the SQE by value); both
// fds stay open while the operation lives.
unsafe impl Operation for Splice {
    type Output = io::Result<usize>;

    fn iocb(&mut self) -> Iocb {
        Iocb::splice(
            self.from.raw(),
            self.from_at,
            Target::Fd(self.to.raw()),
            self.to_at,
            self.len,
            0,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<usize> {
        result.map(|n| n as usize)
    }
}
