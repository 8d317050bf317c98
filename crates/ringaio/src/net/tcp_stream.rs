//! `TcpStream`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use crate::buf::IoBuf;
use crate::net::send_zc::send_zc;
use crate::net::stream_io::{socket_fd, stream_io};
use crate::net::{RawAddr, Socket};

/// A TCP connection. Reads and writes take owned buffers and give them back with the result;
/// one stream can have a read and a write in flight at once.
///
/// Its socket is non-blocking (as every ringaio socket is): [`into_std`](TcpStream::into_std)
/// gives back a non-blocking std stream.
pub struct TcpStream {
    pub(crate) sock: Socket,
}

stream_io!(TcpStream);
socket_fd!(TcpStream);

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

impl TcpStream {
    /// Connects to `addr`. Dropping the future cancels the connect and closes the socket.
    ///
    /// # Errors
    /// `ECONNREFUSED` when nothing listens there; other `socket` and `connect` errors.
    pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        let raw = RawAddr::from_inet(addr);
        let sock = Socket::open(raw.family(), libc::SOCK_STREAM).await?;
        sock.connect(raw).await?;
        Ok(TcpStream { sock })
    }

    /// Adopts a connected std stream, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        let sock = Socket::from_std(OwnedFd::from(stream))?;
        Ok(TcpStream { sock })
    }

    /// The std stream (non-blocking).
    ///
    /// # Errors
    /// `WouldBlock` while a request on the stream is still in flight (one whose future was
    /// dropped and whose cancellation the kernel has not confirmed yet).
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.sock.into_fd().map(std::net::TcpStream::from)
    }

    /// The address of the peer.
    ///
    /// # Errors
    /// As `getpeername(2)` (`ENOTCONN`, ...).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.addr(true)?.to_inet()
    }

    /// The local address.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.addr(false)?.to_inet()
    }

    /// Sends `buf`'s initialized bytes without copying them into the kernel
    /// (`IORING_OP_SEND_ZC`, Linux 6.0; a plain send where there is none, and on the fallback
    /// backend). The buffer comes back only after the kernel's notification that it no longer
    /// reads it, which may be later than for [`write`](TcpStream::write): worth it for large
    /// buffers only.
    ///
    /// # Errors
    /// As [`write`](TcpStream::write). The buffer comes back either way.
    pub async fn send_zc<B: IoBuf>(&self, buf: B) -> (io::Result<usize>, B) {
        send_zc(self.sock.shared(), buf).await
    }

    /// Turns Nagle's algorithm off (`TCP_NODELAY`, `true`) or on.
    ///
    /// # Errors
    /// As `setsockopt(2)`.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.sock
            .set_option(libc::IPPROTO_TCP, libc::TCP_NODELAY, i32::from(nodelay))
    }

    /// Whether `TCP_NODELAY` is set.
    ///
    /// # Errors
    /// As `getsockopt(2)`.
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(self.sock.option(libc::IPPROTO_TCP, libc::TCP_NODELAY)? != 0)
    }
}
