//! `UnixListener`.

use std::fmt;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::net::stream_io::socket_fd;
use crate::net::{Incoming, RawAddr, Socket, UnixStream};

/// A Unix stream socket listening for connections.
pub struct UnixListener {
    pub(crate) sock: Socket,
}

socket_fd!(UnixListener);

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

impl UnixListener {
    /// A listener bound to `path`, which must not exist yet.
    ///
    /// # Errors
    /// `EADDRINUSE` when `path` exists; `InvalidInput` for a path too long for a socket
    /// address; other `socket`, `bind` and `listen` errors.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let addr = RawAddr::from_path(path.as_ref())?;
        let sock = Socket::bind(&addr, libc::SOCK_STREAM, true)?;
        Ok(UnixListener { sock })
    }

    /// Adopts a std listener, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        let sock = Socket::from_std(OwnedFd::from(listener))?;
        Ok(UnixListener { sock })
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock
            .with_std(|l: &std::os::unix::net::UnixListener| l.local_addr())
    }

    /// Every connection, as a stream (one multishot accept on io_uring). Dropping it
    /// cancels the accept.
    pub fn incoming(&self) -> Incoming<UnixStream> {
        Incoming::new(&self.sock, |sock| UnixStream { sock })
    }

    /// Waits for a connection: the new stream and its peer's address (usually unnamed).
    /// Dropping the future cancels the accept.
    ///
    /// # Errors
    /// As `accept4(2)`.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (sock, _) = self.sock.accept().await?;
        let stream = UnixStream { sock };
        let peer = stream.peer_addr()?;
        Ok((stream, peer))
    }
}
