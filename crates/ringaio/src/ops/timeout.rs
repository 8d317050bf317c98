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
    /// A timer firing `after` from its submission. Durations past what the kernel's
    /// timespec holds (`i64::MAX` seconds) saturate to that: a timer that never fires, on the
    /// ring (which saturates it further, to `KTIME_MAX`) and on the reactor's timer list.
    pub(crate) fn new(after: Duration) -> Timeout {
        // `Timespec` keeps the seconds as an i64: seconds past i64::MAX would wrap negative
        // (EINVAL from the ring, a one-second timer on the fallback).
        const MAX_SECS: u64 = i64::MAX as u64;
        let (sec, nsec) = if after.as_secs() > MAX_SECS {
            (MAX_SECS, 999_999_999)
        } else {
            (after.as_secs(), after.subsec_nanos())
        };
        Timeout {
            ts: Box::new(Timespec::new().sec(sec).nsec(nsec)),
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
