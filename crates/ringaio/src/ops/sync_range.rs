//! `sync_file_range`.

use std::io;

use ringaio_core::{Iocb, Opcode};

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct SyncRange {
    fd: SharedFd,
    offset: u64,
    len: u64,
    flags: u32,
}

impl SyncRange {
    pub(crate) fn new(fd: &SharedFd, offset: u64, len: u64, flags: u32) -> SyncRange {
        SyncRange {
            fd: fd.clone(),
            offset,
            len,
            flags,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for SyncRange {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::sync_file_range(
            self.fd.target_for(Opcode::SyncFileRange),
            self.offset,
            self.len,
            self.flags,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
