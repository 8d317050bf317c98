//! The methods the socket types share, written once: each type has a `sock: Socket` field,
//! and these forward to it. `stream_io!` for the byte streams (`TcpStream`, `UnixStream`),
//! `socket_fd!` for every type.

/// Implements `read`, `write`, `read_exact`, `write_all`, `readv`, `writev` and `shutdown`
/// for a stream type with a `sock: Socket` field.
macro_rules! stream_io {
    ($ty:ident) => {
        impl $ty {
            /// Receives up to `buf.bytes_total()` bytes into `buf` (from its start); returns
            /// how many, 0 once the peer has shut down its writing side.
            ///
            /// # Errors
            /// The receive's error (`ECONNRESET` when the peer reset the connection, ...).
            /// The buffer comes back either way.
            pub fn read<B: $crate::buf::IoBufMut>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<usize>, B)> {
                self.sock.recv(buf)
            }

            /// Sends up to `buf.bytes_init()` bytes from `buf`; returns how many.
            ///
            /// # Errors
            /// The send's error: `EPIPE` once the connection is closed (never a `SIGPIPE`),
            /// `ECONNRESET`, ... The buffer comes back either way.
            pub fn write<B: $crate::buf::IoBuf>(
                &self,
                buf: B,
            ) -> impl std::future::Future<Output = (std::io::Result<usize>, B)> {
                self.sock.send(buf)
            }

            /// Fills all of `buf.bytes_total()`, looping over short reads.
            ///
            /// # Errors
            /// `UnexpectedEof` if the peer closes first; the first receive error otherwise.
            pub async fn read_exact<B: $crate::buf::IoBufMut>(
                &self,
                buf: B,
            ) -> (std::io::Result<()>, B) {
                self.sock.recv_exact(buf).await
            }

            /// Sends every initialized byte of `buf`, looping over short writes.
            ///
            /// # Errors
            /// The first send error; `WriteZero` if the socket takes nothing.
            pub async fn write_all<B: $crate::buf::IoBuf>(
                &self,
                buf: B,
            ) -> (std::io::Result<()>, B) {
                self.sock.send_all(buf).await
            }

            /// Receives into each buffer's whole capacity, in order (one `recvmsg`); returns
            /// how many bytes in all.
            ///
            /// # Errors
            /// As [`read`](Self::read). The buffers come back either way.
            pub async fn readv<B: $crate::buf::IoBufMut>(
                &self,
                bufs: Vec<B>,
            ) -> (std::io::Result<usize>, Vec<B>) {
                let (res, bufs) = self.sock.recvmsg(bufs, false).await;
                (res.map(|(n, _)| n), bufs)
            }

            /// Sends each buffer's initialized bytes, in order (one `sendmsg`); returns how
            /// many bytes in all.
            ///
            /// # Errors
            /// As [`write`](Self::write). The buffers come back either way.
            pub fn writev<B: $crate::buf::IoBuf>(
                &self,
                bufs: Vec<B>,
            ) -> impl std::future::Future<Output = (std::io::Result<usize>, Vec<B>)> {
                self.sock.sendmsg(bufs, None)
            }

            /// The messages arriving on the stream, each in a buffer of up to `buf_len`
            /// bytes from a pool of `entries` (rounded up to a power of two).
            ///
            /// On io_uring this is one multishot receive into a provided buffer ring (Linux
            /// 6.0): the kernel fills a ring buffer per message, and the buffer goes back
            /// to the ring when the [`PooledBuf`]($crate::buf::PooledBuf) is dropped. When
            /// every buffer is out, the request ends (`ENOBUFS`) and the stream re-arms it
            /// once one comes back. Elsewhere it runs one receive after another. The stream
            /// ends once the peer shuts down its writing side; dropping it cancels the
            /// receive. Do not mix it with [`read`](Self::read)s on the same stream.
            pub fn recv_stream(&self, entries: u16, buf_len: u32) -> $crate::net::RecvStream {
                $crate::net::RecvStream::new(self.sock.shared(), entries, buf_len)
            }

            /// Shuts down the reading side, the writing side or both. After shutting down
            /// writing, the peer's reads return `Ok(0)`.
            ///
            /// # Errors
            /// `ENOTCONN` on a socket that is not connected.
            pub fn shutdown(
                &self,
                how: std::net::Shutdown,
            ) -> impl std::future::Future<Output = std::io::Result<()>> {
                self.sock.shutdown(how)
            }
        }
    };
}

/// Implements `AsRawFd` and `AsFd` for a socket type with a `sock: Socket` field.
macro_rules! socket_fd {
    ($ty:ident) => {
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.sock.raw()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                // SAFETY: the fd stays open at least as long as `self` (its socket owns it).
                unsafe { std::os::fd::BorrowedFd::borrow_raw(self.sock.raw()) }
            }
        }
    };
}

pub(crate) use {socket_fd, stream_io};
