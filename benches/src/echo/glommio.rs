//! glommio's echo server: one task per connection with one buffer (its streams read into a
//! caller's slice, as futures' `AsyncRead` does).

use std::io;
use std::net::TcpListener;
use std::os::fd::{FromRawFd, IntoRawFd};

use futures::io::{AsyncReadExt, AsyncWriteExt};
use glommio::{LocalExecutorBuilder, Placement};

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    let ex = LocalExecutorBuilder::new(Placement::Unbound)
        .make()
        .map_err(io::Error::from)?;
    ex.run(async move {
        // SAFETY: the fd is a bound, listening socket that we give up here.
        let listener = unsafe { glommio::net::TcpListener::from_raw_fd(listener.into_raw_fd()) };
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let mut stream = listener.accept().await.map_err(io::Error::from)?;
            stream.set_nodelay(true).map_err(io::Error::from)?;
            tasks.push(glommio::spawn_local(async move {
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
            task.await?;
        }
        Ok(())
    })
}
