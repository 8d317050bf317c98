//! `accept4`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::Iocb;

use crate::fd::SharedFd;
use crate::net::RawAddr;
use crate::op::Operation;

/// The flags of every accepted socket: non-blocking (see `net`'s docs) and close-on-exec.
pub(crate) const ACCEPT_FLAGS: i32 = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

pub(crate) struct Accept {
    fd: SharedFd,
    /// The peer's address, filled in by the kernel.
    peer: Box<RawAddr>,
}

impl Accept {
    pub(crate) fn new(fd: &SharedFd) -> Accept {
        Accept {
            fd: fd.clone(),
            peer: Box::new(RawAddr::empty()),
        }
    }
}

// SAFETY: the address and its length live in a box owned by self.
unsafe impl Operation for Accept {
    type Output = io::Result<(OwnedFd, RawAddr)>;

    fn iocb(&mut self) -> Iocb {
        let peer = &mut *self.peer;
        let len: *mut libc::socklen_t = &mut peer.len;
        Iocb::accept(self.fd.target(), peer.as_mut_ptr(), len, ACCEPT_FLAGS)
    }

    fn complete(self, result: io::Result<u32>) -> Self::Output {
        // SAFETY: a successful accept returns a new fd that nobody else owns.
        let fd = result.map(|fd| unsafe { OwnedFd::from_raw_fd(fd as i32) })?;
        Ok((fd, *self.peer))
    }
}
