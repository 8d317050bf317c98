//! Messages to another ring (`IORING_OP_MSG_RING` with `IORING_MSG_DATA`, Linux 5.18): a
//! CQE posted on the target ring, carrying a user data and a result chosen by the sender.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

use io_uring::opcode::MsgRingData;
use io_uring::types::Fd;

use super::Ring;
use crate::Sqe;

impl Ring {
    /// Whether this kernel runs `IORING_OP_MSG_RING` (from `IORING_REGISTER_PROBE`), and the
    /// ring can send with it: not an SQPOLL ring, whose poller consumes the SQ on its own
    /// time (so the caller could not tell when the kernel has looked the target fd up).
    pub fn can_send_msg(&self) -> bool {
        self.msg_ring && !self.mode.sqpoll
    }

    /// Queues a message to the ring `target`: a CQE with `target_data` as its user data and
    /// `result` as its result is posted there once this ring submits it; this ring gets a
    /// CQE with `user_data` (result 0, or the error: `EBADFD` when `target` is no ring,
    /// `EOVERFLOW` when its CQ is full, `EOWNERDEAD` when its single issuer has exited).
    ///
    /// The kernel looks `target` up when it consumes the SQE (at the next
    /// [`submit`](Ring::submit), or a push that finds the SQ full): the caller keeps that fd
    /// open until then, or the message may go to whatever file later takes the number.
    ///
    /// # Errors
    /// `Unsupported` without [`can_send_msg`](Ring::can_send_msg); a forked child's ring; a
    /// failed flush of a full SQ.
    pub fn push_msg(
        &mut self,
        target: BorrowedFd<'_>,
        target_data: u64,
        result: i32,
        user_data: u64,
    ) -> io::Result<()> {
        if !self.can_send_msg() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "IORING_OP_MSG_RING is not available on this ring",
            ));
        }
        let entry = MsgRingData::new(Fd(target.as_raw_fd()), result, target_data, None)
            .build()
            .user_data(user_data);
        // SAFETY: a MSG_DATA request points at no memory of this process and names no
        // registered file or buffer; the target fd is only read by the kernel as a number
        // (the caller's job, documented above, is only that it names the intended ring).
        unsafe { self.push(&Sqe::from_entry(entry)) }
    }
}
