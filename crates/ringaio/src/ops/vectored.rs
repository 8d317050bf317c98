//! `preadv2` / `pwritev2` over several owned buffers.

use std::io;

use ringaio_core::{Iocb, Opcode, IOV_MAX, MAX_RW_COUNT};

use crate::buf::{no_room, IoBuf, IoBufMut};
use crate::fd::SharedFd;
use crate::op::Operation;

/// The iovecs for `(base, len)` pairs: at most `IOV_MAX` of them and `MAX_RW_COUNT` bytes in
/// all (a longer request transfers a prefix, as a short read or write).
pub(crate) fn iovecs(parts: impl Iterator<Item = (*mut u8, usize)>) -> Vec<libc::iovec> {
    let mut room = MAX_RW_COUNT as usize;
    parts
        .take(IOV_MAX as usize)
        .map(|(base, len)| {
            let len = len.min(room);
            room -= len;
            libc::iovec {
                iov_base: base.cast(),
                iov_len: len,
            }
        })
        .collect()
}

/// Records that a vectored read filled `n` bytes: each buffer in turn, up to its iovec's
/// length.
///
/// # Safety
/// - `iovecs[i]` describes the start of `bufs[i]`, and the kernel wrote `n` bytes through them.
pub(crate) unsafe fn set_filled<B: IoBufMut>(bufs: &mut [B], iovecs: &[libc::iovec], n: usize) {
    let mut left = n;
    for (buf, iov) in bufs.iter_mut().zip(iovecs) {
        let filled = left.min(iov.iov_len);
        // SAFETY: the kernel filled the first `filled` bytes of this buffer (our caller).
        unsafe { buf.set_init(filled) };
        left -= filled;
    }
}

/// A vectored read into each buffer's whole capacity, in order; each buffer's length is
/// then what was read into it.
pub(crate) struct ReadV<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    iovecs: Vec<libc::iovec>,
    pos: u64,
}

impl<B: IoBufMut> ReadV<B> {
    pub(crate) fn new(fd: &SharedFd, mut bufs: Vec<B>, pos: u64) -> ReadV<B> {
        let iovecs = iovecs(
            bufs.iter_mut()
                .map(|b| (b.stable_mut_ptr(), b.bytes_total())),
        );
        ReadV {
            fd: fd.clone(),
            bufs,
            iovecs,
            pos,
        }
    }
}

// SAFETY: the iovec array and the buffers it points into are heap memory owned by self.
unsafe impl<B: IoBufMut> Operation for ReadV<B> {
    type Output = (io::Result<usize>, Vec<B>);

    fn iocb(&mut self) -> Iocb {
        let fd = self.fd.target_for(Opcode::Preadv);
        Iocb::preadv(fd, self.iovecs.as_ptr(), self.iovecs.len(), self.pos)
    }

    fn complete(mut self, result: io::Result<u32>) -> Self::Output {
        if matches!(result, Ok(0)) && self.iovecs.iter().all(|iov| iov.iov_len == 0) {
            return (Err(no_room()), self.bufs);
        }
        if let Ok(n) = &result {
            // SAFETY: the kernel filled `n` bytes through `iovecs`, which describe `bufs`.
            unsafe { set_filled(&mut self.bufs, &self.iovecs, *n as usize) };
        }
        (result.map(|n| n as usize), self.bufs)
    }
}

/// A vectored write of each buffer's initialized bytes, in order.
pub(crate) struct WriteV<B> {
    fd: SharedFd,
    bufs: Vec<B>,
    iovecs: Vec<libc::iovec>,
    pos: u64,
}

impl<B: IoBuf> WriteV<B> {
    pub(crate) fn new(fd: &SharedFd, bufs: Vec<B>, pos: u64) -> WriteV<B> {
        let iovecs = iovecs(
            bufs.iter()
                .map(|b| (b.stable_ptr() as *mut u8, b.bytes_init())),
        );
        WriteV {
            fd: fd.clone(),
            bufs,
            iovecs,
            pos,
        }
    }
}

// SAFETY: the iovec array and the buffers it points into are heap memory owned by self.
unsafe impl<B: IoBuf> Operation for WriteV<B> {
    type Output = (io::Result<usize>, Vec<B>);

    fn iocb(&mut self) -> Iocb {
        let fd = self.fd.target_for(Opcode::Pwritev);
        Iocb::pwritev(fd, self.iovecs.as_ptr(), self.iovecs.len(), self.pos)
    }

    fn complete(self, result: io::Result<u32>) -> Self::Output {
        (result.map(|n| n as usize), self.bufs)
    }
}
