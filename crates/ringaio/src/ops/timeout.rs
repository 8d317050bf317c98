//! A relative timer (`IORING_OP_TIMEOUT`).

use std::io;
use std::time::Duration;

use ringaio_core::uring::Timespec;
use ringaio_core::Iocb;

use crate::op::Operation;

pub(crate) struct Timeout {
    ts: Box<Timespec>,
}

impl Timeout {
    pub(crate) fn new(after: Duration) -> Timeout {
        Timeout {
            ts: Box::new(
                Timespec::new()
                    .sec(after.as_secs())
                    .nsec(after.subsec_nanos()),
            ),
        }
    }
}

// SAFETY: the timespec is boxed: heap memory owned by self.
unsafe impl Operation for Timeout {
    type Output = io::Result<()>;

    fn iocb(&mut self) -> Iocb {
        Iocb::timeout(&*self.ts)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ETIME) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
