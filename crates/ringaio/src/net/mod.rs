//! Sockets: TCP, UDP and Unix, on io_uring (or the blocking pool).
//!
//! Every request keeps what it points the kernel at — buffer, address, `msghdr`, the fd
//! itself — until the kernel's final completion, whatever happens to its future: dropping
//! a future (a `time::timeout` expiring around it, say) cancels the request, and the
//! reactor drops the buffer once the kernel has confirmed. Sends use `MSG_NOSIGNAL`: a
//! closed peer is `EPIPE`, never a `SIGPIPE`.
//!
//! Sockets made or adopted here are non-blocking: the ring waits for readiness itself, and
//! on the fallback backend the pool does (see `ringaio_core::execute`).

mod addr;
mod incoming;
mod recv_stream;
mod reuseport;
mod send_zc;
mod socket;
mod stream_io;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub(crate) use addr::RawAddr;
pub(crate) use socket::Socket;

pub use incoming::Incoming;
pub use recv_stream::RecvStream;
pub use reuseport::TcpServer;
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;
