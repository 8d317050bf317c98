//! Per-operation tracing (the `trace-ops` feature): one `tracing` event when a request is
//! submitted and one when it ends, at `TRACE` level under the `ringaio::op` target, with the
//! opcode, fd, length, result and latency. Without the feature none of this is compiled:
//! `Op` has no extra field and its polls no extra instruction.

use std::time::Instant;

use ringaio_core::{Iocb, Opcode, Target};

/// What an in-flight request's events report.
#[derive(Debug)]
pub(crate) struct OpTrace {
    opcode: Opcode,
    fd: i64,
    len: u64,
    submitted: Instant,
}

impl OpTrace {
    /// Records a submission (and says so).
    pub(crate) fn submitted(iocb: &Iocb) -> OpTrace {
        let fd = match iocb.fd {
            Target::Fd(fd) => i64::from(fd),
            // Registered slots show as negative numbers below -1: -2 is slot 0.
            Target::Fixed(i) => -2 - i64::from(i),
        };
        tracing::trace!(
            target: "ringaio::op",
            opcode = %iocb.opcode,
            fd,
            len = iocb.len,
            "submitted"
        );
        OpTrace {
            opcode: iocb.opcode,
            fd,
            len: iocb.len,
            submitted: Instant::now(),
        }
    }

    /// The request's final result (`>= 0`, or `-errno`) is in.
    pub(crate) fn completed(self, result: i32) {
        tracing::trace!(
            target: "ringaio::op",
            opcode = %self.opcode,
            fd = self.fd,
            len = self.len,
            result,
            latency_ns = self.submitted.elapsed().as_nanos() as u64,
            "completed"
        );
    }

    /// The waiter let go before the result (the request is being cancelled).
    pub(crate) fn abandoned(self) {
        tracing::trace!(
            target: "ringaio::op",
            opcode = %self.opcode,
            fd = self.fd,
            len = self.len,
            after_ns = self.submitted.elapsed().as_nanos() as u64,
            "abandoned"
        );
    }
}
