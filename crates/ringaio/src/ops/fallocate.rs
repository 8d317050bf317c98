//! `fallocate`.

use std::io;

use ringaio_core::{Iocb, Opcode};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Fallocate {
    fd: SharedFd,
    mode: i32,
    offset: u64,
    len: u64,
}

impl Fallocate {
    pub(crate) fn new(fd: &SharedFd, offset: u64, len: u64, mode: i32) -> Fallocate {
        Fallocate {
            fd: fd.clone(),
            mode,
            offset,
            len,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Fallocate {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::fallocate(
            self.fd.target_for(Opcode::Fallocate),
            self.mode,
            self.offset,
            self.len,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
