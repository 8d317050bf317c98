//! monoio's echo server (io_uring driver): one task per connection with one owned buffer.

use std::io;
use std::net::TcpListener;

use monoio::io::{AsyncReadRent, AsyncWriteRentExt};
use monoio::{IoUringDriver, RuntimeBuilder};

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    let entries = u32::try_from(conns)
        .unwrap_or(u32::MAX)
        .next_power_of_two()
        .max(256);
    let mut rt = RuntimeBuilder::<IoUringDriver>::new()
        .with_entries(entries)
        .build()?;
    rt.block_on(async {
        let listener = monoio::net::TcpListener::from_std(listener)?;
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(monoio::spawn(async move {
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
            task.await?;
        }
        Ok(())
    })
}
