//! `UnixStream`.

use std::fmt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::net::stream_io::{socket_fd, stream_io};
use crate::net::{RawAddr, Socket};

/// A connected Unix stream socket, with the byte-stream methods of
/// [`TcpStream`](crate::net::TcpStream).
pub struct UnixStream {
    pub(crate) sock: Socket,
}

stream_io!(UnixStream);
socket_fd!(UnixStream);

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

/// Two connected sockets of type `ty` (`socketpair(2)`), non-blocking.
pub(crate) fn socket_pair(ty: i32) -> io::Result<(Socket, Socket)> {
    let mut fds = [0 as libc::c_int; 2];
    let flags = ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: socketpair writes two fds into a live array of two ints.
    if unsafe { libc::socketpair(libc::AF_UNIX, flags, 0, fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: socketpair succeeded: both fds are new and owned by nobody else.
    let (a, b) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((Socket::from_fd(a), Socket::from_fd(b)))
}

impl UnixStream {
    /// Connects to the listener at `path`. Dropping the future cancels the connect.
    ///
    /// # Errors
    /// `ENOENT` when nothing is at `path`, `ECONNREFUSED` when nothing listens there;
    /// `InvalidInput` for a path too long for a socket address.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let addr = RawAddr::from_path(path.as_ref())?;
        let sock = Socket::open(libc::AF_UNIX, libc::SOCK_STREAM).await?;
        sock.connect(addr).await?;
        Ok(UnixStream { sock })
    }

    /// Two streams connected to each other.
    ///
    /// # Errors
    /// As `socketpair(2)`.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = socket_pair(libc::SOCK_STREAM)?;
        Ok((UnixStream { sock: a }, UnixStream { sock: b }))
    }

    /// Adopts a std stream, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        let sock = Socket::from_std(OwnedFd::from(stream))?;
        Ok(UnixStream { sock })
    }

    /// The std stream (non-blocking).
    ///
    /// # Errors
    /// `WouldBlock` while a request on the stream is still in flight.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.sock
            .into_fd()
            .map(std::os::unix::net::UnixStream::from)
    }

    /// The peer's address.
    ///
    /// # Errors
    /// As `getpeername(2)`.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.sock
            .with_std(|s: &std::os::unix::net::UnixStream| s.peer_addr())
    }

    /// The local address.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock
            .with_std(|s: &std::os::unix::net::UnixStream| s.local_addr())
    }
}
