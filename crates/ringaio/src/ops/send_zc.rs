//! Zero-copy `send`: a result completion, then a notification once the kernel has let go
//! of the buffer.

use ringaio_core::{Iocb, MAX_RW_COUNT};

use crate::buf::IoBuf;
use crate::fd::SharedFd;
use crate::multi::Multishot;

pub(crate) struct SendZc<B> {
    fd: SharedFd,
    pub(crate) buf: B,
}

impl<B: IoBuf> SendZc<B> {
    /// Sends `buf`'s initialized bytes (at most `MAX_RW_COUNT`), `MSG_NOSIGNAL`.
    pub(crate) fn new(fd: &SharedFd, buf: B) -> SendZc<B> {
        SendZc {
            fd: fd.clone(),
            buf,
        }
    }
}

// SAFETY: the iocb points into `buf`, whose memory is stable (`IoBuf`) and owned by self.
unsafe impl<B: IoBuf> Multishot for SendZc<B> {
    fn iocb(&mut self) -> Iocb {
        let len = self.buf.bytes_init().min(MAX_RW_COUNT as usize);
        Iocb::send_zc(
            self.fd.target(),
            self.buf.stable_ptr(),
            len,
            libc::MSG_NOSIGNAL,
        )
    }
}
