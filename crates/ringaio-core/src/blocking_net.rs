//! The socket requests done with their plain system calls, for [`execute`](crate::execute).
//!
//! Sockets may be non-blocking (ringaio's are): a call that would block waits for the
//! socket's readiness with `poll(2)` and goes again, so the caller sees what the ring would
//! give, never `EAGAIN`. A request the blocking pool has already waited for carries
//! `RWF_NOWAIT` in `rw_flags`; it makes one attempt (`MSG_DONTWAIT`) and may answer `-EAGAIN`,
//! and the pool waits again.
//!
//! Where it differs from the ring:
//! - `Socket` and `Accept` add `SOCK_CLOEXEC`, as `Openat` adds `O_CLOEXEC`.
//! - `SendZc` is a plain `send` with one completion (no notification follows).
//! - `AcceptMulti` and `RecvMulti` need the ring: `-EINVAL` (the futures layer drives its
//!   streams with single-shot requests on the pool).
//! - `Connect` on a non-blocking socket waits for the handshake in the call (it cannot be
//!   cancelled once started).

use std::os::fd::RawFd;

use crate::blocking::{poll, retry};
use crate::{Iocb, Opcode};

/// Runs a socket request on `fd`; the result as its CQE would hold it.
///
/// # Safety
/// As [`execute`](crate::execute): the addresses, buffers and `msghdr`s `iocb` points at are
/// valid for the access its opcode makes until this returns.
pub(crate) unsafe fn execute(iocb: &Iocb, fd: RawFd) -> i32 {
    let nowait = iocb.rw_flags & libc::RWF_NOWAIT != 0;
    let flags = iocb.flags as libc::c_int | if nowait { libc::MSG_DONTWAIT } else { 0 };
    let addr = iocb.addr as usize;
    // `validate` bounds byte counts by MAX_RW_COUNT.
    let len = iocb.len as usize;
    let ready = |events: i16, call: &mut dyn FnMut() -> isize| -> i32 {
        loop {
            let res = retry(&mut *call);
            if res != -libc::EAGAIN || nowait {
                return res;
            }
            let polled = poll(fd, events as u32);
            if polled < 0 {
                return polled;
            }
        }
    };
    match iocb.opcode {
        Opcode::Socket => {
            let ty = iocb.flags as libc::c_int | libc::SOCK_CLOEXEC;
            // SAFETY: socket takes no pointer.
            retry(|| unsafe { libc::socket(iocb.fd2, ty, iocb.mode as libc::c_int) } as isize)
        }
        Opcode::Shutdown => {
            // SAFETY: shutdown takes no pointer.
            retry(|| unsafe { libc::shutdown(fd, iocb.flags as libc::c_int) } as isize)
        }
        // SAFETY: the caller keeps the `len`-byte address at `addr` valid.
        Opcode::Connect => unsafe { connect(fd, addr as *const libc::sockaddr, len) },
        Opcode::Accept => {
            let peer = addr as *mut libc::sockaddr;
            let peer_len = iocb.addr2 as usize as *mut libc::socklen_t;
            let flags = iocb.flags as libc::c_int | libc::SOCK_CLOEXEC;
            // SAFETY: the caller keeps `peer` and `peer_len` writable (or both null).
            ready(
                libc::POLLIN,
                &mut || unsafe { libc::accept4(fd, peer, peer_len, flags) } as isize,
            )
        }
        Opcode::Send | Opcode::SendZc => {
            let buf = addr as *const libc::c_void;
            // SAFETY: the caller keeps `len` bytes at `buf` readable.
            ready(libc::POLLOUT, &mut || unsafe {
                libc::send(fd, buf, len, flags)
            })
        }
        Opcode::Recv => {
            let buf = addr as *mut libc::c_void;
            // SAFETY: the caller keeps `len` bytes at `buf` writable and unaliased.
            ready(libc::POLLIN, &mut || unsafe {
                libc::recv(fd, buf, len, flags)
            })
        }
        Opcode::SendMsg => {
            let msg = addr as *const libc::msghdr;
            // SAFETY: the caller keeps the msghdr and everything it points at valid.
            ready(libc::POLLOUT, &mut || unsafe {
                libc::sendmsg(fd, msg, flags)
            })
        }
        Opcode::RecvMsg => {
            let msg = addr as *mut libc::msghdr;
            // SAFETY: the caller keeps the msghdr and everything it points at valid.
            ready(libc::POLLIN, &mut || unsafe {
                libc::recvmsg(fd, msg, flags)
            })
        }
        _ => -libc::EINVAL,
    }
}

/// `connect(2)`, waiting for the handshake of a non-blocking socket.
///
/// # Safety
/// - `addr` points at `len` readable bytes.
unsafe fn connect(fd: RawFd, addr: *const libc::sockaddr, len: usize) -> i32 {
    // `validate` bounds the length by the size of a sockaddr_storage.
    let len = len as libc::socklen_t;
    // SAFETY: forwarded from the caller. EINTR is not retried: the handshake goes on, and a
    // second connect would say EALREADY; wait for it below instead.
    let res = unsafe { libc::connect(fd, addr, len) };
    if res == 0 {
        return 0;
    }
    let err = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    if err != libc::EINPROGRESS && err != libc::EINTR && err != libc::EALREADY {
        return -err;
    }
    let polled = poll(fd, libc::POLLOUT as u32);
    if polled < 0 {
        return polled;
    }
    let mut so_error: libc::c_int = 0;
    let mut so_len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `so_error` and `so_len` are live and sized for SO_ERROR's int.
    let got = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            (&mut so_error as *mut libc::c_int).cast(),
            &mut so_len,
        )
    };
    if got != 0 {
        return -std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
    }
    -so_error
}
