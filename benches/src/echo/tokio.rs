//! tokio's echo server: a current-thread runtime (epoll) on the server core, one task per
//! connection with one buffer.

use std::io;
use std::net::TcpListener;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(tokio::spawn(async move {
                let mut buf = vec![0u8; msg.max(4096)];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<(), io::Error>(());
                    }
                    stream.write_all(&buf[..n]).await?;
                }
            }));
        }
        for task in tasks {
            task.await.map_err(io::Error::other)??;
        }
        Ok(())
    })
}
