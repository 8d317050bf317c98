//! `ftruncate` (on the ring from Linux 6.9, on the blocking pool before).

use std::io;

use ringaio_core::{Iocb, Opcode};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Ftruncate {
    fd: SharedFd,
    len: u64,
}

impl Ftruncate {
    pub(crate) fn new(fd: &SharedFd, len: u64) -> Ftruncate {
        Ftruncate {
            fd: fd.clone(),
            len,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Ftruncate {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::ftruncate(self.fd.target_for(Opcode::Ftruncate), self.len)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
