//! tokio-uring's echo server: one task per connection with one owned buffer.

use std::io;
use std::net::TcpListener;

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    tokio_uring::start(async {
        let listener = tokio_uring::net::TcpListener::from_std(listener);
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(tokio_uring::spawn(async move {
                let mut buf = Vec::with_capacity(msg.max(4096));
                loop {
                    let (res, b) = stream.read(buf).await;
                    if res? == 0 {
                        return Ok::<(), io::Error>(());
                    }
                    let (res, mut b) = stream.write_all(b).await;
                    res?;
                    b.clear();
                    buf = b;
                }
            }));
        }
        for task in tasks {
            task.await.map_err(io::Error::other)??;
        }
        Ok(())
    })
}
