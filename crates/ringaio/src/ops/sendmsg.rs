//! `sendmsg` from several owned buffers, to an address or on a connected socket.

use std::io;

use ringaio_core::Iocb;

use crate::buf::IoBuf;
use crate::fd::SharedFd;
use crate::net::RawAddr;
use crate::op::Operation;
use crate::ops::msghdr::MsgHdr;
use crate::ops::vectored::iovecs;

pub(crate) struct SendMsg<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    msg: Box<MsgHdr>,
}

impl<B: IoBuf> SendMsg<B> {
    /// Sends each buffer's initialized bytes, in order, as one message (to `to` when given).
    /// Always `MSG_NOSIGNAL`.
    pub(crate) fn new(fd: &SharedFd, bufs: Vec<B>, to: Option<RawAddr>) -> SendMsg<B> {
        let iovecs = iovecs(
            bufs.iter()
                .map(|b| (b.stable_ptr() as *mut u8, b.bytes_init())),
        );
        SendMsg {
            fd: fd.clone(),
            bufs,
            msg: MsgHdr::new(iovecs, to),
        }
    }
}

// SAFETY: the header, its iovecs and address are boxed, and the buffers are stable memory,
// all owned by self.
unsafe impl<B: IoBuf> Operation for SendMsg<B> {
    type Output = (io::Result<usize>, Vec<B>);

    fn iocb(&mut self) -> Iocb {
        Iocb::sendmsg(self.fd.target(), &self.msg.hdr, libc::MSG_NOSIGNAL)
    }

    fn complete(self, result: io::Result<u32>) -> Self::Output {
        (result.map(|n| n as usize), self.bufs)
    }
}
