//! `UnixDatagram`.

use std::fmt;
use std::future::Future;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use crate::buf::{IoBuf, IoBufMut};
use crate::net::stream_io::socket_fd;
use crate::net::udp::one;
use crate::net::unix_stream::socket_pair;
use crate::net::{RawAddr, Socket};

/// A Unix datagram socket.
pub struct UnixDatagram {
    pub(crate) sock: Socket,
}

socket_fd!(UnixDatagram);

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

impl UnixDatagram {
    /// A socket bound to `path`, which must not exist yet.
    ///
    /// # Errors
    /// `EADDRINUSE` when `path` exists; `InvalidInput` for a path too long.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let addr = RawAddr::from_path(path.as_ref())?;
        let sock = Socket::bind(&addr, libc::SOCK_DGRAM, false)?;
        Ok(UnixDatagram { sock })
    }

    /// Two sockets connected to each other.
    ///
    /// # Errors
    /// As `socketpair(2)`.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = socket_pair(libc::SOCK_DGRAM)?;
        Ok((UnixDatagram { sock: a }, UnixDatagram { sock: b }))
    }

    /// Adopts a std socket, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        let sock = Socket::from_std(OwnedFd::from(socket))?;
        Ok(UnixDatagram { sock })
    }

    /// The std socket (non-blocking).
    ///
    /// # Errors
    /// `WouldBlock` while a request on the socket is still in flight.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.sock
            .into_fd()
            .map(std::os::unix::net::UnixDatagram::from)
    }

    /// Sets the only peer [`send`](UnixDatagram::send) sends to.
    ///
    /// # Errors
    /// As `connect(2)`; `InvalidInput` for a path too long.
    pub async fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let addr = RawAddr::from_path(path.as_ref())?;
        self.sock.connect(addr).await
    }

    /// Sends `buf`'s initialized bytes as one datagram to the socket at `path`.
    ///
    /// # Errors
    /// As `sendmsg(2)`; `InvalidInput` for a path too long. The buffer comes back either way.
    pub async fn send_to<B: IoBuf>(
        &self,
        buf: B,
        path: impl AsRef<Path>,
    ) -> (io::Result<usize>, B) {
        let addr = match RawAddr::from_path(path.as_ref()) {
            Ok(addr) => addr,
            Err(e) => return (Err(e), buf),
        };
        let (res, bufs) = self.sock.sendmsg(vec![buf], Some(addr)).await;
        (res, one(bufs))
    }

    /// Receives one datagram into `buf`; returns its length and the sender's path (`None`
    /// for an unnamed sender).
    ///
    /// # Errors
    /// As `recvmsg(2)`. The buffer comes back either way.
    pub async fn recv_from<B: IoBufMut>(
        &self,
        buf: B,
    ) -> (io::Result<(usize, Option<PathBuf>)>, B) {
        let (res, bufs) = self.sock.recvmsg(vec![buf], true).await;
        let res = res.map(|(n, from)| (n, from.and_then(|a| a.to_path())));
        (res, one(bufs))
    }

    /// Sends `buf`'s initialized bytes as one datagram to the connected peer.
    ///
    /// # Errors
    /// `ENOTCONN` before [`connect`](UnixDatagram::connect). The buffer comes back either way.
    pub fn send<B: IoBuf>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        self.sock.send(buf)
    }

    /// Receives one datagram into `buf`.
    ///
    /// # Errors
    /// As `recv(2)`. The buffer comes back either way.
    pub fn recv<B: IoBufMut>(&self, buf: B) -> impl Future<Output = (io::Result<usize>, B)> {
        self.sock.recv(buf)
    }
}
