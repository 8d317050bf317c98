//! The echo and hello servers answer over loopback, on both backends (`RINGAIO_BACKEND`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `bin` with `args` and returns it with the address it printed.
fn start(bin: &str, args: &[&str], backend: &str) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(args)
        .env("RINGAIO_BACKEND", backend)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("banner");
    let addr = line
        .split_whitespace()
        .last()
        .expect("an address in the banner")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    (child, addr)
}

fn connect(addr: &str) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    stream
}

#[test]
fn echo_echoes() {
    for backend in ["uring", "fallback"] {
        for mode in [&[][..], &["--multishot"][..]] {
            let mut args = vec!["127.0.0.1:0", "--connections", "1"];
            args.extend_from_slice(mode);
            let (mut child, addr) = start(env!("CARGO_BIN_EXE_ringaio-echo"), &args, backend);
            let mut stream = connect(&addr);
            let mut back = [0u8; 5];
            for _ in 0..3 {
                stream.write_all(b"hello").expect("write");
                stream.read_exact(&mut back).expect("read");
                assert_eq!(&back, b"hello");
            }
            drop(stream);
            let status = child.wait().expect("wait");
            assert!(status.success(), "{backend} {mode:?}: {status}");
        }
    }
}

#[test]
fn hello_answers_keep_alive_requests() {
    for backend in ["uring", "fallback"] {
        let (mut child, addr) = start(
            env!("CARGO_BIN_EXE_ringaio-hello"),
            &["127.0.0.1:0"],
            backend,
        );
        let mut stream = connect(&addr);
        let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        stream.write_all(request).expect("write");
        stream.write_all(request).expect("write");
        let want = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
        let mut got = vec![0u8; want.len() * 2];
        stream.read_exact(&mut got).expect("two answers");
        assert_eq!(&got[..want.len()], want);
        assert_eq!(&got[want.len()..], want);
        child.kill().expect("kill");
        let _ = child.wait();
    }
}
