//! `fsync` / `fdatasync`.

use std::io;

use ringaio_core::{Iocb, Opcode};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Fsync {
    fd: SharedFd,
    datasync: bool,
}

impl Fsync {
    pub(crate) fn new(fd: &SharedFd, datasync: bool) -> Fsync {
        Fsync {
            fd: fd.clone(),
            datasync,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Fsync {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::fsync(self.fd.target_for(Opcode::Fsync), self.datasync)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
