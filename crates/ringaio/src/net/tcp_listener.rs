//! `TcpListener`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;

use crate::net::stream_io::socket_fd;
use crate::net::{Incoming, RawAddr, Socket, TcpStream};

/// A TCP socket listening for connections.
///
/// ```
/// use ringaio::net::{TcpListener, TcpStream};
///
/// # fn main() -> std::io::Result<()> {
/// ringaio::block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
///     let addr = listener.local_addr()?;
///     let client = ringaio::spawn(async move {
///         let stream = TcpStream::connect(addr).await?;
///         let (res, _) = stream.write_all(&b"hello"[..]).await;
///         res
///     });
///     let (stream, _peer) = listener.accept().await?;
///     let (res, buf) = stream.read_exact(vec![0u8; 5]).await;
///     res?;
///     assert_eq!(&buf[..], b"hello");
///     client.await.expect("client task")?;
///     Ok(())
/// })
/// # }
/// ```
pub struct TcpListener {
    pub(crate) sock: Socket,
}

socket_fd!(TcpListener);

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("fd", &self.sock.raw())
            .finish()
    }
}

impl TcpListener {
    /// A listener bound to `addr` (port 0: one the kernel picks), with `SO_REUSEADDR`.
    ///
    /// # Errors
    /// `EADDRINUSE` when another socket listens on `addr`; other `socket`, `bind` and
    /// `listen` errors.
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let sock = Socket::bind(&RawAddr::from_inet(addr), libc::SOCK_STREAM, true)?;
        Ok(TcpListener { sock })
    }

    /// Adopts a std listener, switching it to non-blocking mode.
    ///
    /// # Errors
    /// When its mode cannot be changed (`fcntl`).
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let sock = Socket::from_std(OwnedFd::from(listener))?;
        Ok(TcpListener { sock })
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// As `getsockname(2)`.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.sock.addr(false)?.to_inet()
    }

    /// Every connection, as a stream (one multishot accept on io_uring). Dropping it
    /// cancels the accept.
    pub fn incoming(&self) -> Incoming<TcpStream> {
        Incoming::new(&self.sock, |sock| TcpStream { sock })
    }

    /// Waits for a connection: the new stream and its peer's address. Dropping the future
    /// cancels the accept; a connection it took meanwhile is closed.
    ///
    /// # Errors
    /// As `accept4(2)` (`EMFILE` when out of fds, ...).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (sock, peer) = self.sock.accept().await?;
        Ok((TcpStream { sock }, peer.to_inet()?))
    }
}
