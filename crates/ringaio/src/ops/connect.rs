//! `connect`.

use std::io;

use ringaio_core::Iocb;

use crate::fd::SharedFd;
use crate::net::RawAddr;
use crate::op::Operation;

pub(crate) struct Connect {
    fd: SharedFd,
    addr: Box<RawAddr>,
}

impl Connect {
    pub(crate) fn new(fd: &SharedFd, addr: RawAddr) -> Connect {
        Connect {
            fd: fd.clone(),
            addr: Box::new(addr),
        }
    }
}

// SAFETY: the address is boxed and owned by self.
unsafe impl Operation for Connect {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::connect(self.fd.target(), self.addr.as_ptr(), self.addr.len)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
