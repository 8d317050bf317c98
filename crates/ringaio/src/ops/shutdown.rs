//! `shutdown`.

use std::io;

use ringaio_core::Iocb;

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Shutdown {
    fd: SharedFd,
    how: i32,
}

impl Shutdown {
    pub(crate) fn new(fd: &SharedFd, how: std::net::Shutdown) -> Shutdown {
        let how = match how {
            std::net::Shutdown::Read => libc::SHUT_RD,
            std::net::Shutdown::Write => libc::SHUT_WR,
            std::net::Shutdown::Both => libc::SHUT_RDWR,
        };
        Shutdown {
            fd: fd.clone(),
            how,
        }
    }
}

// SAFETY: the request points at no memory.
unsafe impl Operation for Shutdown {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::shutdown(self.fd.target(), self.how)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
