//! `UdpSocket`.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use crate::buf::{IoBuf, IoBufMut};
use crate::net::stream_io::socket_fd;
use crate::net::{RawAddr, Socket};

/// A UDP socket: datagrams to and from any address, or (after
/// [`connect`](UdpSocket::connect)) one peer.
pub struct UdpSocket {
    pub(crate) sock: Socket,
}

socket_fd!(UdpSocket);

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

impl UdpSocket {
    /// A socket bound to `addr` (port 0: one the kernel picks).
    ///
    /// # Errors
    /// `EADDRINUSE` when another socket has `addr`; other `socket` and `bind` errors.
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        let sock = Socket::bind(&RawAddr::from_inet(addr), libc::SOCK_DGRAM, false)?;
        Ok(UdpSocket { sock })
    }

    /// Adopts a std socket, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        let sock = Socket::from_std(OwnedFd::from(socket))?;
        Ok(UdpSocket { sock })
    }

    /// The std socket (non-blocking).
    ///
    /// # Errors
    /// `WouldBlock` while a request on the socket is still in flight.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.sock.into_fd().map(std::net::UdpSocket::from)
    }

    /// Sets the only peer [`send`](UdpSocket::send) sends to and
    /// [`recv`](UdpSocket::recv) receives from.
    ///
    /// # Errors
    /// As `connect(2)`.
    pub async fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.sock.connect(RawAddr::from_inet(addr)).await
    }

    /// The local address.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.addr(false)?.to_inet()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    /// `ENOTCONN` before [`connect`](UdpSocket::connect).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock.addr(true)?.to_inet()
    }

    /// Sends `buf`'s initialized bytes as one datagram to `addr`; returns how many.
    ///
    /// # Errors
    /// As `sendmsg(2)` (`EMSGSIZE` for a datagram too large, ...). The buffer comes back
    /// either way.
    pub async fn send_to<B: IoBuf>(&self, buf: B, addr: SocketAddr) -> (io::Result<usize>, B) {
        let (res, bufs) = self
            .sock
            .sendmsg(vec![buf], Some(RawAddr::from_inet(addr)))
            .await;
        (res, one(bufs))
    }

    /// Receives one datagram into `buf` (the rest of a longer one is dropped); returns its
    /// length and sender.
    ///
    /// # Errors
    /// As `recvmsg(2)`. The buffer comes back either way.
    pub async fn recv_from<B: IoBufMut>(&self, buf: B) -> (io::Result<(usize, SocketAddr)>, B) {
        let (res, bufs) = self.sock.recvmsg(vec![buf], true).await;
        let res = res.and_then(|(n, from)| match from {
            Some(from) => Ok((n, from.to_inet()?)),
            None => Err(io::Error::other("recvmsg gave no sender address")),
        });
        (res, one(bufs))
    }

    /// Sends `buf`'s initialized bytes as one datagram to the connected peer.
    ///
    /// # Errors
    /// `EDESTADDRREQ` before [`connect`](UdpSocket::connect); `ECONNREFUSED` after an
    /// earlier datagram found no listener. The buffer comes back either way.
    pub fn send<B: IoBuf>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        self.sock.send(buf)
    }

    /// Receives one datagram from the connected peer into `buf`.
    ///
    /// # Errors
    /// As `recv(2)`. The buffer comes back either way.
    pub fn recv<B: IoBufMut>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        self.sock.recv(buf)
    }
}

/// The one buffer of a one-buffer message.
pub(crate) fn one<B>(mut bufs: Vec<B>) -> B {
    match bufs.pop() {
        Some(buf) => buf,
        // The operations give back the vector they were given, which held one buffer.
        None => unreachable!("a one-buffer message came back without its buffer"),
    }
}
