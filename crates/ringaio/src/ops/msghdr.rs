//! `MsgHdr`: the `msghdr` a `sendmsg` or `recvmsg` points the kernel at, with the iovecs and
//! the address it points at in turn, boxed together so none of them moves.

use crate::net::RawAddr;

pub(crate) struct MsgHdr {
    pub(crate) hdr: libc::msghdr,
    pub(crate) iovecs: Vec<libc::iovec>,
    pub(crate) addr: RawAddr,
}

impl MsgHdr {
    /// A header over `iovecs`, naming `addr` (the destination of a send, room for the
    /// source of a receive) when given.
    pub(crate) fn new(iovecs: Vec<libc::iovec>, addr: Option<RawAddr>) -> Box<MsgHdr> {
        let named = addr.is_some();
        let mut msg = Box::new(MsgHdr {
            // SAFETY: msghdr is plain integers and pointers; all zeroes (null) is valid.
            hdr: unsafe { std::mem::zeroed() },
            iovecs,
            addr: addr.unwrap_or_else(RawAddr::empty),
        });
        // The box is where the header and the address stay: point the header at them now.
        let this = &mut *msg;
        this.hdr.msg_iov = this.iovecs.as_mut_ptr();
        this.hdr.msg_iovlen = this.iovecs.len();
        if named {
            this.hdr.msg_name = this.addr.as_mut_ptr().cast();
            this.hdr.msg_namelen = this.addr.len;
        }
        msg
    }

    /// The address a `recvmsg` filled in, if the header named one.
    pub(crate) fn received_addr(&self) -> Option<RawAddr> {
        if self.hdr.msg_name.is_null() {
            return None;
        }
        Some(RawAddr {
            storage: self.addr.storage,
            len: self.hdr.msg_namelen,
        })
    }
}
