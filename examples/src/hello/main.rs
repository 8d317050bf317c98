//! `ringaio-hello`: a small HTTP/1.1 server on ringaio that answers every request with
//! "Hello, world!", keeping connections alive.
//!
//! ```text
//! ringaio-hello [ADDR]
//! ringaio-hello 127.0.0.1:8080 &
//! curl http://127.0.0.1:8080/
//! ```
//!
//! It reads request heads only: a request with a body (`Content-Length`) has the body
//! skipped; chunked bodies are refused with 411 and the connection closed.

use std::io;
use std::net::SocketAddr;
use std::process::ExitCode;

use ringaio::net::{TcpListener, TcpStream};

const HELLO: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
const LENGTH_REQUIRED: &[u8] =
    b"HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
/// The largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// What to do with one request head.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// Answer; skip this many body bytes; close afterwards if asked to.
    Answer { body: usize, close: bool },
    /// A chunked body: refuse and close.
    Chunked,
}

/// Parses the head in `head` (without the blank line).
fn parse_head(head: &[u8]) -> Head {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let version = lines.next().unwrap_or("").rsplit(' ').next().unwrap_or("");
    let mut close = version == "HTTP/1.0";
    let mut body = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            body = value.parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Head::Chunked;
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        }
    }
    Head::Answer { body, close }
}

async fn send(stream: &TcpStream, bytes: &'static [u8]) -> io::Result<()> {
    let (res, _) = stream.write_all(bytes).await;
    res
}

/// Serves requests on `stream` until the client closes or asks to.
async fn connection(stream: TcpStream) -> io::Result<()> {
    let mut pending: Vec<u8> = Vec::new();
    let mut skip = 0;
    let mut buf = Vec::with_capacity(4096);
    loop {
        // Answer every complete head already received.
        loop {
            let drop_now = skip.min(pending.len());
            pending.drain(..drop_now);
            skip -= drop_now;
            if skip > 0 {
                break;
            }
            let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                if pending.len() > MAX_HEAD {
                    return send(&stream, TOO_LARGE).await;
                }
                break;
            };
            let head = parse_head(&pending[..end]);
            pending.drain(..end + 4);
            match head {
                Head::Chunked => return send(&stream, LENGTH_REQUIRED).await,
                Head::Answer { body, close } => {
                    send(&stream, HELLO).await?;
                    if close {
                        return Ok(());
                    }
                    skip = body;
                }
            }
        }
        let (res, b) = stream.read(buf).await;
        if res? == 0 {
            return Ok(());
        }
        pending.extend_from_slice(&b);
        buf = b;
        buf.clear();
    }
}

async fn serve(addr: SocketAddr) -> io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    println!(
        "ringaio-hello listening on http://{}/",
        listener.local_addr()?
    );
    let mut incoming = listener.incoming();
    loop {
        match incoming.next().await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                ringaio::spawn(async move {
                    if let Err(e) = connection(stream).await {
                        eprintln!("ringaio-hello: connection: {e}");
                    }
                });
            }
            Err(e) => eprintln!("ringaio-hello: accept: {e}"),
        }
    }
}

fn main() -> ExitCode {
    let addr = match std::env::args().nth(1).map(|a| a.parse::<SocketAddr>()) {
        None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        Some(Ok(addr)) => addr,
        Some(Err(e)) => {
            eprintln!("ringaio-hello: {e}\nusage: ringaio-hello [ADDR]");
            return ExitCode::from(2);
        }
    };
    match ringaio::block_on(serve(addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringaio-hello: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse() {
        assert_eq!(
            parse_head(b"GET / HTTP/1.1\r\nHost: x"),
            Head::Answer {
                body: 0,
                close: false
            }
        );
        assert_eq!(
            parse_head(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nConnection: close"),
            Head::Answer {
                body: 5,
                close: true
            }
        );
        assert_eq!(
            parse_head(b"GET / HTTP/1.0"),
            Head::Answer {
                body: 0,
                close: true
            }
        );
        assert_eq!(
            parse_head(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked"),
            Head::Chunked
        );
    }
}
