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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    fn run(iocb: &Iocb) -> i32 {
        // SAFETY: every test keeps what its iocb points at alive across this call.
        unsafe { crate::execute(iocb) }
    }

    fn owned(fd: i32) -> OwnedFd {
        assert!(fd >= 0, "expected an fd, got {fd}");
        // SAFETY: a new fd from socket or accept that nothing else owns.
        unsafe { OwnedFd::from_raw_fd(fd) }
    }

    #[test]
    fn tcp_connect_accept_send_recv_shutdown() {
        let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = match listener.local_addr().unwrap() {
            std::net::SocketAddr::V4(v4) => v4,
            other => panic!("{other}"),
        };
        let client = owned(run(&Iocb::socket(libc::AF_INET, ty, 0)));
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: addr.port().to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(addr.ip().octets()),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let c = Target::Fd(client.as_raw_fd());
        let sa = (&sin as *const libc::sockaddr_in).cast();
        assert_eq!(run(&Iocb::connect(c, sa, len)), 0);
        let l = Target::Fd(listener.as_raw_fd());
        let accept = Iocb::accept(l, std::ptr::null_mut(), std::ptr::null_mut(), 0);
        let server = owned(run(&accept));
        let s = Target::Fd(server.as_raw_fd());

        // A one-shot attempt (as the pool makes after readiness) may say EAGAIN.
        let mut back = [0u8; 8];
        let nowait = Iocb::recv(s, back.as_mut_ptr(), 8, 0).with_rw_flags(libc::RWF_NOWAIT);
        assert_eq!(run(&nowait), -libc::EAGAIN);
        assert_eq!(
            run(&Iocb::send(c, b"ping".as_ptr(), 4, libc::MSG_NOSIGNAL)),
            4
        );
        // A blocking-style recv on the non-blocking socket waits for the data.
        assert_eq!(run(&Iocb::recv(s, back.as_mut_ptr(), 8, 0)), 4);
        assert_eq!(&back[..4], b"ping");
        assert_eq!(run(&Iocb::shutdown(c, libc::SHUT_WR)), 0);
        assert_eq!(run(&Iocb::recv(s, back.as_mut_ptr(), 8, 0)), 0);
        let epipe = Iocb::send(c, b"late".as_ptr(), 4, libc::MSG_NOSIGNAL);
        assert_eq!(run(&epipe), -libc::EPIPE);
        assert_eq!(run(&Iocb::accept_multi(l, 0)), -libc::EINVAL);
    }

    #[test]
    fn connect_to_a_closed_port_is_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let ty = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
        let sock = owned(run(&Iocb::socket(libc::AF_INET, ty, 0)));
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
            },
            sin_zero: [0; 8],
        };
        let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let connect = Iocb::connect(
            Target::Fd(sock.as_raw_fd()),
            (&sin as *const libc::sockaddr_in).cast(),
            len,
        );
        assert_eq!(run(&connect), -libc::ECONNREFUSED);
    }
}
