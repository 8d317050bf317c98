//! `tokio::io` traits for [`BufFile`] (the `tokio` feature). They need no tokio runtime:
//! `tokio::io::copy` and `tokio_util::codec` run on ringaio's.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncBufRead, AsyncRead, AsyncWrite, ReadBuf};

use super::BufFile;

impl AsyncRead for BufFile {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let want = buf.remaining();
        if want == 0 {
            return Poll::Ready(Ok(()));
        }
        let data = ready!(this.poll_fill(cx, want))?;
        let n = data.len().min(want);
        buf.put_slice(&data[..n]);
        this.consume_buf(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for BufFile {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        self.get_mut().poll_fill(cx, 0)
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        self.get_mut().consume_buf(amt);
    }
}

impl AsyncWrite for BufFile {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_write_from(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }

    /// Writes out the gathered bytes; the fd is closed when the `BufFile` is dropped.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_flush_all(cx)
    }
}
