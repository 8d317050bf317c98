//! `Socket`: what every socket type shares — the fd, the requests on it, and the few
//! synchronous calls (bind, listen, options, addresses) io_uring has no request for.

use std::future::Future;
use std::io;
use std::mem::ManuallyDrop;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::buf::{IoBuf, IoBufMut};
use crate::fd::SharedFd;
use crate::net::RawAddr;
use crate::op::Op;
use crate::ops;

/// The listen backlog of every listener (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: i32 = 1024;

#[derive(Debug)]
pub(crate) struct Socket {
    fd: SharedFd,
}

/// The result of a plain system call: `-1` is the thread's `errno`.
fn check(res: libc::c_int) -> io::Result<libc::c_int> {
    if res < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(res)
    }
}

impl Socket {
    /// A new non-blocking socket of `domain` and `ty`, through the ring.
    pub(crate) async fn open(domain: i32, ty: i32) -> io::Result<Socket> {
        let fd = Op::new(ops::Socket::new(domain, ty)).await?;
        Ok(Socket::from_fd(fd))
    }

    /// A new non-blocking socket bound to `addr` (and, with `listen`, listening), made with
    /// plain system calls: there is no io_uring request for `bind` on the kernels we support,
    /// and none of these calls block. Listeners set `SO_REUSEADDR`, as std's do.
    pub(crate) fn bind(addr: &RawAddr, ty: i32, listen: bool) -> io::Result<Socket> {
        Socket::bind_with(addr, ty, listen, false)
    }

    /// [`bind`](Socket::bind), with `SO_REUSEPORT` set first when `reuse_port`: sockets of
    /// one user bound so to one address share it, and the kernel spreads connections
    /// (datagrams) among them.
    pub(crate) fn bind_with(
        addr: &RawAddr,
        ty: i32,
        listen: bool,
        reuse_port: bool,
    ) -> io::Result<Socket> {
        let flags = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
        // SAFETY: socket takes no pointer.
        let fd = check(unsafe { libc::socket(addr.family(), flags, 0) })?;
        // SAFETY: a new fd that nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let raw = fd.as_raw_fd();
        if listen && addr.family() != libc::AF_UNIX {
            set_option(raw, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        }
        if reuse_port {
            set_option(raw, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
        }
        // SAFETY: `addr` holds `addr.len` initialized bytes of a socket address.
        check(unsafe { libc::bind(raw, addr.as_ptr(), addr.len) })?;
        if listen {
            // SAFETY: listen takes no pointer.
            check(unsafe { libc::listen(raw, BACKLOG) })?;
        }
        Ok(Socket::from_fd(fd))
    }

    /// Adopts a socket made here (non-blocking already).
    pub(crate) fn from_fd(fd: OwnedFd) -> Socket {
        Socket {
            fd: SharedFd::new(fd),
        }
    }

    /// Adopts a socket made elsewhere, switching it to non-blocking mode.
    pub(crate) fn from_std(fd: OwnedFd) -> io::Result<Socket> {
        let raw = fd.as_raw_fd();
        // SAFETY: F_GETFL takes no pointer.
        let flags = check(unsafe { libc::fcntl(raw, libc::F_GETFL) })?;
        // SAFETY: F_SETFL takes no pointer.
        check(unsafe { libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
        Ok(Socket::from_fd(fd))
    }

    /// The fd, if no request in flight still holds it.
    pub(crate) fn into_fd(self) -> io::Result<OwnedFd> {
        self.fd.try_unwrap().map_err(|_| {
            io::Error::new(
                io::ErrorKind::WouldBlock,
                "the socket still has requests in flight",
            )
        })
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.fd.raw()
    }

    pub(crate) fn shared(&self) -> &SharedFd {
        &self.fd
    }

    /// Runs `f` on a std view of the socket (for the calls std already wraps: addresses,
    /// options); the view never closes the fd.
    pub(crate) fn with_std<T: FromRawFd + IntoRawFd, R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: the fd is open for as long as `self`; ManuallyDrop keeps the view from
        // closing it.
        let view = ManuallyDrop::new(unsafe { T::from_raw_fd(self.raw()) });
        f(&view)
    }

    /// Connects to `addr`.
    pub(crate) fn connect(&self, addr: RawAddr) -> impl Future<Output = io::Result<()>> {
        Op::new(ops::Connect::new(&self.fd, addr))
    }

    /// Accepts one connection: the new socket and the peer's address.
    pub(crate) async fn accept(&self) -> io::Result<(Socket, RawAddr)> {
        let (fd, peer) = Op::new(ops::Accept::new(&self.fd)).await?;
        Ok((Socket::from_fd(fd), peer))
    }

    pub(crate) fn recv<B: IoBufMut>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        Op::new(ops::Recv::new(&self.fd, buf, 0))
    }

    pub(crate) fn send<B: IoBuf>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        Op::new(ops::Send::new(&self.fd, buf, 0))
    }

    /// Receives until `buf` is full.
    pub(crate) async fn recv_exact<B: IoBufMut>(&self, buf: B) -> (io::Result<()>, B) {
        let total = buf.bytes_total();
        let eof = || io::Error::new(io::ErrorKind::UnexpectedEof, "peer closed early");
        let step = |buf, done| Op::new(ops::Recv::new(&self.fd, buf, done));
        all(buf, total, step, eof).await
    }

    /// Sends every initialized byte of `buf`.
    pub(crate) async fn send_all<B: IoBuf>(&self, buf: B) -> (io::Result<()>, B) {
        let total = buf.bytes_init();
        let zero = || io::Error::new(io::ErrorKind::WriteZero, "socket took no bytes");
        let step = |buf, done| Op::new(ops::Send::new(&self.fd, buf, done));
        all(buf, total, step, zero).await
    }

    /// One message into `bufs` (and the sender's address, with `from`).
    pub(crate) fn recvmsg<B: IoBufMut>(
        &self,
        bufs: Vec<B>,
        from: bool,
    ) -> impl Future<Output = (io::Result<(usize, Option<RawAddr>)>, Vec<B>)> {
        Op::new(ops::RecvMsg::new(&self.fd, bufs, from))
    }

    /// One message from `bufs` (to `to`, when given).
    pub(crate) fn sendmsg<B: IoBuf>(
        &self,
        bufs: Vec<B>,
        to: Option<RawAddr>,
    ) -> impl Future<Output = (io::Result<usize>, Vec<B>)> {
        Op::new(ops::SendMsg::new(&self.fd, bufs, to))
    }

    pub(crate) fn shutdown(&self, how: std::net::Shutdown) -> impl Future<Output = io::Result<()>> {
        Op::new(ops::Shutdown::new(&self.fd, how))
    }

    /// The address the kernel reports through `getsockname` (`peer: false`) or
    /// `getpeername`.
    pub(crate) fn addr(&self, peer: bool) -> io::Result<RawAddr> {
        let mut addr = RawAddr::empty();
        let (raw, ptr, len) = (self.raw(), addr.as_mut_ptr(), &mut addr.len as *mut _);
        // SAFETY: `ptr` has room for `*len` bytes, and `len` is a live socklen_t.
        let res = unsafe {
            if peer {
                libc::getpeername(raw, ptr, len)
            } else {
                libc::getsockname(raw, ptr, len)
            }
        };
        check(res)?;
        Ok(addr)
    }

    /// Sets an integer socket option.
    pub(crate) fn set_option(&self, level: i32, name: i32, value: i32) -> io::Result<()> {
        set_option(self.raw(), level, name, value)
    }

    /// Reads an integer socket option.
    pub(crate) fn option(&self, level: i32, name: i32) -> io::Result<i32> {
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are live and sized for an int option.
        check(unsafe {
            libc::getsockopt(
                self.raw(),
                level,
                name,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        })?;
        Ok(value)
    }
}

/// Runs `step(buf, done)` (a transfer of what is left from byte `done`) until `total` bytes
/// have moved; a transfer of 0 bytes is `stalled()`. Interrupted transfers go again.
async fn all<B, F, Fut>(
    mut buf: B,
    total: usize,
    mut step: F,
    stalled: impl Fn() -> io::Error,
) -> (io::Result<()>, B)
where
    F: FnMut(B, usize) -> Fut,
    Fut: Future<Output = (io::Result<usize>, B)>,
{
    let mut done = 0;
    while done < total {
        let (res, b) = step(buf, done).await;
        buf = b;
        match res {
            Ok(0) => return (Err(stalled()), buf),
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (Err(e), buf),
        }
    }
    (Ok(()), buf)
}

fn set_option(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: `value` is a live int and `len` its size.
    check(unsafe { libc::setsockopt(fd, level, name, (&value as *const libc::c_int).cast(), len) })
        .map(drop)
}
