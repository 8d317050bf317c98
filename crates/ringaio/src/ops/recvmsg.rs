//! `recvmsg` into several owned buffers, with the sender's address.

use std::io;

use ringaio_core::Iocb;

use crate::buf::{no_room, IoBufMut};
use crate::fd::SharedFd;
use crate::net::RawAddr;
use crate::op::Operation;
use crate::ops::msghdr::MsgHdr;
use crate::ops::vectored::{iovecs, set_filled};

pub(crate) struct RecvMsg<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    msg: Box<MsgHdr>,
}

impl<B: IoBufMut> RecvMsg<B> {
    /// Receives one message into each buffer's whole capacity, in order; with `from`, the
    /// sender's address too.
    pub(crate) fn new(fd: &SharedFd, mut bufs: Vec<B>, from: bool) -> RecvMsg<B> {
        let iovecs = iovecs(
            bufs.iter_mut()
                .map(|b| (b.stable_mut_ptr(), b.bytes_total())),
        );
        RecvMsg {
            fd: fd.clone(),
            bufs,
            msg: MsgHdr::new(iovecs, from.then(RawAddr::empty)),
        }
    }
}

// SAFETY: the header, its iovecs and address are boxed, and the buffers are stable memory,
// all owned by self.
unsafe impl<B: IoBufMut> Operation for RecvMsg<B> {
    type Output = (io::Result<(usize, Option<RawAddr>)>, Vec<B>);

    fn iocb(&mut self) -> Iocb {
        Iocb::recvmsg(self.fd.target(), &mut self.msg.hdr, 0)
    }

    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        let no_room_at_all = self.msg.iovecs.iter().all(|iov| iov.iov_len == 0);
        // A zero-length datagram into buffers with room is a real `Ok(0)`; with no room at
        // all it could not be told from one.
        if matches!(result, Ok(0)) && no_room_at_all {
            return (Err(no_room()), self.bufs);
        }
        let result = result.map(|n| {
            // SAFETY: the kernel filled `n` bytes through the iovecs, which describe `bufs`.
            unsafe { set_filled(&mut self.bufs, &self.msg.iovecs, n as usize) };
            (n as usize, self.msg.received_addr())
        });
        (result, self.bufs)
    }
}
