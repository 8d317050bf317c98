//! A relative timer (`IORING_OP_TIMEOUT`).

use std::io;
use std::time::Duration;

use ringaio_core::Iocb;
use ringaio_core::Timespec;

use crate::op::Operation;

pub(crate) struct Timeout {
    ts: Box<Timespec>,
}

impl Timeout {
    /// A timer firing `after` from its submission. Durations past what the kernel's
    /// timespec holds (`i64::MAX` seconds) saturate to that: a timer that never fires, on the
    /// ring (which saturates it further, to `KTIME_MAX`) and on the reactor's timer list.
    pub(crate) fn new(after: Duration) -> Timeout {
        Timeout {
            ts: Box::new(Timespec::from_duration(after)),
        }
    }
}

// SAFETY: the timespec is boxed: heap memory owned by self.
unsafe impl Operation for Timeout {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

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
