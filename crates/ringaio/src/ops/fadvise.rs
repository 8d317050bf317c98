//! `posix_fadvise`.

use std::io;

use ringaio_core::{Iocb, Opcode};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Fadvise {
    fd: SharedFd,
    offset: u64,
    len: u64,
    advice: i32,
}

impl Fadvise {
    pub(crate) fn new(fd: &SharedFd, offset: u64, len: u64, advice: i32) -> Fadvise {
        Fadvise {
            fd: fd.clone(),
            offset,
            len,
            advice,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Fadvise {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::fadvise(
            self.fd.target_for(Opcode::Fadvise),
            self.offset,
            self.len,
            self.advice,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
