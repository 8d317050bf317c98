//! ringaio's echo servers: one task per connection, on io_uring with an owned buffer
//! (`ringaio`), with one multishot receive into a buffer ring (`ringaio-multishot`), and on
//! the fallback backend (`ringaio-fallback`).

use std::io;
use std::net::TcpListener;

use ringaio::net::{TcpListener as Listener, TcpStream};
use ringaio::{Backend, Runtime};

/// Buffers in each connection's ring for the multishot server.
const RING_BUFFERS: u16 = 16;

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    run(Backend::Uring, listener, conns, msg, false)
}

pub(super) fn serve_multishot(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    run(Backend::Uring, listener, conns, msg, true)
}

pub(super) fn serve_fallback(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    run(Backend::Fallback, listener, conns, msg, false)
}

fn run(
    backend: Backend,
    listener: TcpListener,
    conns: usize,
    msg: usize,
    multishot: bool,
) -> io::Result<()> {
    let rt = Runtime::builder().backend(backend).build()?;
    rt.block_on(async {
        let listener = Listener::from_std(listener)?;
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(ringaio::spawn(async move {
                if multishot {
                    echo_multishot(stream, msg).await
                } else {
                    echo(stream, msg).await
                }
            }));
        }
        for task in tasks {
            task.await.map_err(|e| io::Error::other(e.to_string()))??;
        }
        Ok(())
    })
}

async fn echo(stream: TcpStream, msg: usize) -> io::Result<()> {
    let mut buf = Vec::with_capacity(msg.max(4096));
    loop {
        let (res, b) = stream.read(buf).await;
        if res? == 0 {
            return Ok(());
        }
        let (res, mut b) = stream.write_all(b).await;
        res?;
        b.clear();
        buf = b;
    }
}

async fn echo_multishot(stream: TcpStream, msg: usize) -> io::Result<()> {
    let buf_len = u32::try_from(msg.max(4096)).unwrap_or(u32::MAX);
    let mut messages = stream.recv_stream(RING_BUFFERS, buf_len);
    while let Some(buf) = messages.next().await {
        // The pooled buffer is sent as it is and goes back to the ring afterwards.
        let (res, _) = stream.write_all(buf?).await;
        res?;
    }
    Ok(())
}
