//! 10,000 connections in a storm (100 clients at once) against one accept stream, on both
//! backends: every connection is accepted exactly once, and once all are closed the process
//! has no more fds open than before.

use std::net::SocketAddr;

use ringaio::net::{TcpListener, TcpStream};
use ringaio::Backend;
use ringaio_tests::{loopback, open_fds, runtime, wait_until, watchdog, BACKENDS};

const CONNECTIONS: usize = 10_000;
const CLIENTS: usize = 100;

/// Connects `n` times, one after another; each connection waits for the server to close it
/// (so the server's side, not ours, keeps the TIME_WAIT and no client port is tied up).
async fn client(addr: SocketAddr, n: usize) {
    for _ in 0..n {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (res, _) = stream.read(Vec::with_capacity(1)).await;
        assert_eq!(res.expect("read until the server closes"), 0);
    }
}

fn storm(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        // Warm up the blocking pool (its poller's fd) before counting.
        client_once().await;
        let before = open_fds();
        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| ringaio::spawn(client(addr, CONNECTIONS / CLIENTS)))
            .collect();
        let mut incoming = listener.incoming();
        for _ in 0..CONNECTIONS {
            drop(incoming.next().await.expect("accept"));
        }
        for c in clients {
            c.await.expect("client");
        }
        drop((incoming, listener));
        wait_until("every socket to close", || open_fds() <= before).await;
    });
    assert_eq!(rt.stats().slots, 0);
}

async fn client_once() {
    let listener = TcpListener::bind(loopback()).expect("bind");
    let connect = TcpStream::connect(listener.local_addr().expect("addr"));
    let (stream, accepted) = futures::join!(connect, listener.accept());
    drop((stream.expect("connect"), accepted.expect("accept")));
}

#[test]
fn ten_thousand_connects_are_each_accepted_once() {
    for backend in BACKENDS {
        watchdog("connect storm", move || storm(backend));
    }
}
