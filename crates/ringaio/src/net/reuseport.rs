//! `SO_REUSEPORT` listeners, one per core: [`TcpListener::bind_reuseport`], and
//! [`Pool::serve_tcp`], an accept loop on every pool thread in one call. The kernel spreads
//! incoming connections among the listeners of the group (by a hash of the connection's
//! addresses), so each thread accepts and serves its own share without any hand-off.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;

use crate::net::{RawAddr, Socket, TcpListener, TcpStream};
use crate::{JoinHandle, Pool};

impl TcpListener {
    /// A listener bound to `addr` with `SO_REUSEPORT` (and `SO_REUSEADDR`): other sockets of
    /// this user bound so to the same address (port 0 picks one; bind the others to
    /// [`local_addr`](TcpListener::local_addr)) share it, and the kernel spreads the
    /// connections among them. One per runtime thread is the thread-per-core accept loop;
    /// [`Pool::serve_tcp`] sets that up.
    ///
    /// # Errors
    /// `EADDRINUSE` when a socket without `SO_REUSEPORT` (or another user's) holds `addr`;
    /// other `socket`, `setsockopt`, `bind` and `listen` errors.
    pub fn bind_reuseport(addr: SocketAddr) -> io::Result<TcpListener> {
        let sock = Socket::bind_with(&RawAddr::from_inet(addr), libc::SOCK_STREAM, true, true)?;
        Ok(TcpListener { sock })
    }
}

/// The accept loops [`Pool::serve_tcp`] started: the address they share and a handle per
/// thread. Dropping it leaves them running (until the pool shuts down);
/// [`stop`](TcpServer::stop) ends them.
pub struct TcpServer {
    addr: SocketAddr,
    loops: Vec<JoinHandle<io::Result<()>>>,
}

impl fmt::Debug for TcpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpServer")
            .field("addr", &self.addr)
            .field("loops", &self.loops.len())
            .finish()
    }
}

impl TcpServer {
    /// The address every listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The accept loops, one per pool thread in thread order: each ends with the error
    /// that stopped it, or [`JoinError::Cancelled`](crate::JoinError) once stopped.
    pub fn into_loops(self) -> Vec<JoinHandle<io::Result<()>>> {
        self.loops
    }

    /// Stops every accept loop (closing its listener); connections being served carry on.
    pub fn stop(self) {
        for accept in &self.loops {
            accept.abort();
        }
    }
}

impl Pool {
    /// Binds one `SO_REUSEPORT` listener per pool thread to `addr` (port 0: one the kernel
    /// picks, shared by all) and runs an accept loop on each thread: every connection is
    /// served by `serve(stream, peer)`, a task on the thread that accepted it. The
    /// listeners are bound, and listening, when this returns: connections made from then
    /// on are queued until their thread accepts them.
    ///
    /// An accept that fails for want of resources (`EMFILE`, `ENFILE`, `ENOBUFS`,
    /// `ENOMEM`) or because the peer gave up (`ECONNABORTED`) is logged and the loop goes
    /// on; any other error ends that thread's loop, in its handle.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let pool = ringaio::Pool::builder().threads(2).build()?;
    /// let server = pool.serve_tcp("127.0.0.1:0".parse().unwrap(), |stream, _peer| async move {
    ///     let (res, _) = stream.write_all(&b"hi"[..]).await;
    ///     res.expect("write");
    /// })?;
    /// let mut reply = String::new();
    /// std::net::TcpStream::connect(server.local_addr())?.read_to_string(&mut reply)?;
    /// assert_eq!(reply, "hi");
    /// server.stop();
    /// pool.shutdown()
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`TcpListener::bind_reuseport`], for the first listener that cannot be bound
    /// (those bound already are closed).
    pub fn serve_tcp<S, F>(&self, addr: SocketAddr, serve: S) -> io::Result<TcpServer>
    where
        S: Fn(TcpStream, SocketAddr) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + 'static,
    {
        let first = TcpListener::bind_reuseport(addr)?;
        let addr = first.local_addr()?;
        let mut fds = vec![listener_fd(first)?];
        for _ in 1..self.threads() {
            fds.push(listener_fd(TcpListener::bind_reuseport(addr)?)?);
        }
        let serve = Arc::new(serve);
        let loops = fds
            .into_iter()
            .enumerate()
            .map(|(i, fd)| {
                let serve = serve.clone();
                self.spawn_on(i, move || accept_loop(fd, serve))
            })
            .collect();
        Ok(TcpServer { addr, loops })
    }
}

/// A listener just bound, as its fd (a `TcpListener` cannot cross threads).
fn listener_fd(listener: TcpListener) -> io::Result<OwnedFd> {
    listener.sock.into_fd()
}

/// Accepts on `fd` until a lasting error, serving each connection in a task of its own.
async fn accept_loop<S, F>(fd: OwnedFd, serve: Arc<S>) -> io::Result<()>
where
    S: Fn(TcpStream, SocketAddr) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    // Non-blocking already: it was made by `bind_reuseport`.
    let listener = TcpListener {
        sock: Socket::from_fd(fd),
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => drop(crate::spawn(serve(stream, peer))),
            Err(e) if e.raw_os_error() == Some(libc::ECONNABORTED) => {}
            Err(e) if out_of_resources(&e) => {
                // The next accept would fail the same way at once: give the connections
                // being served a moment to close theirs.
                tracing::warn!(error = %e, "ringaio serve_tcp: accept failed; retrying");
                crate::time::sleep(RESOURCE_PAUSE).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// How long an accept loop waits after running out of fds or memory.
const RESOURCE_PAUSE: Duration = Duration::from_millis(10);

/// Accept errors that a later accept may not meet.
fn out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}
