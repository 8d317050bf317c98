//! `ringaio-echo`: a TCP echo server on ringaio. Every connection is a task that sends back
//! what it receives, with one owned buffer per connection (or, with `--multishot`, one
//! multishot receive into a provided buffer ring).
//!
//! ```text
//! ringaio-echo [ADDR] [--multishot] [--connections N]
//! ringaio-echo 127.0.0.1:7878 &
//! printf 'hello\n' | nc -q1 127.0.0.1 7878
//! ```
//!
//! `--connections N` exits after serving N connections (for scripts and tests).

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use ringaio::net::{TcpListener, TcpStream};

/// What the command line asks for.
struct Args {
    addr: SocketAddr,
    multishot: bool,
    connections: Option<u64>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 7878)),
        multishot: false,
        connections: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--multishot" => parsed.multishot = true,
            "--connections" => {
                let n = args.next().ok_or("--connections needs a number")?;
                parsed.connections = Some(n.parse().map_err(|e| format!("--connections: {e}"))?);
            }
            addr => parsed.addr = addr.parse().map_err(|e| format!("{addr}: {e}"))?,
        }
    }
    Ok(parsed)
}

/// Echoes with one buffer, received into and sent from in turn.
async fn echo(stream: TcpStream) -> io::Result<()> {
    let mut buf = Vec::with_capacity(16 * 1024);
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

/// Echoes each message from a multishot receive; its buffer goes back to the ring once sent.
async fn echo_multishot(stream: TcpStream) -> io::Result<()> {
    let mut messages = stream.recv_stream(64, 16 * 1024);
    while let Some(msg) = messages.next().await {
        let msg = msg?;
        let (res, _) = stream.write_all(msg.to_vec()).await;
        res?;
    }
    Ok(())
}

async fn serve(args: Args) -> io::Result<()> {
    let listener = TcpListener::bind(args.addr)?;
    println!("ringaio-echo listening on {}", listener.local_addr()?);
    let mut incoming = listener.incoming();
    let mut served = 0;
    while args.connections.is_none_or(|n| served < n) {
        let stream = match incoming.next().await {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("ringaio-echo: accept: {e}");
                continue;
            }
        };
        served += 1;
        let _ = stream.set_nodelay(true);
        let multishot = args.multishot;
        let task = ringaio::spawn(async move {
            let res = if multishot {
                echo_multishot(stream).await
            } else {
                echo(stream).await
            };
            if let Err(e) = res {
                eprintln!("ringaio-echo: connection: {e}");
            }
        });
        if args.connections.is_some() {
            // Counted runs wait for each connection, so the process exits after the last.
            let _ = task.await;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!(
                "ringaio-echo: {e}\nusage: ringaio-echo [ADDR] [--multishot] [--connections N]"
            );
            return ExitCode::from(2);
        }
    };
    match ringaio::block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringaio-echo: {e}");
            ExitCode::FAILURE
        }
    }
}
