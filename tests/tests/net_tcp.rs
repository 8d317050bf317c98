//! TCP round trips on both backends: connect and accept, read and write, the exact and
//! vectored forms, shutdown giving `Ok(0)`, addresses and options, std conversions.

use std::net::Shutdown;

use ringaio::net::{TcpListener, TcpStream};
use ringaio::Backend;
use ringaio_tests::{loopback, runtime, watchdog, BACKENDS};

fn round_trip(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        assert_ne!(addr.port(), 0);
        let server = ringaio::spawn(async move {
            let (stream, peer) = listener.accept().await.expect("accept");
            assert_eq!(peer, stream.peer_addr().expect("peer_addr"));
            let (res, buf) = stream.read_exact(vec![0u8; 11]).await;
            res.expect("read_exact");
            let (res, _) = stream.write_all(buf).await;
            res.expect("write_all");
            let (res, bufs) = stream
                .readv(vec![Vec::with_capacity(3), Vec::with_capacity(16)])
                .await;
            let n = res.expect("readv");
            let (res, _) = stream.writev(bufs).await;
            assert_eq!(res.expect("writev"), n);
            // The client shut down writing: reads give Ok(0) from now on.
            let (res, _) = stream.read(Vec::with_capacity(8)).await;
            assert_eq!(res.expect("read after shutdown"), 0);
        });
        let stream = TcpStream::connect(addr).await.expect("connect");
        assert_eq!(stream.peer_addr().expect("peer_addr"), addr);
        stream.set_nodelay(true).expect("set_nodelay");
        assert!(stream.nodelay().expect("nodelay"));
        let (res, _) = stream.write_all(&b"hello, ring"[..]).await;
        res.expect("write_all");
        let (res, buf) = stream.read_exact(vec![0u8; 11]).await;
        res.expect("read_exact");
        assert_eq!(&buf[..], b"hello, ring");
        let (res, _) = stream.writev(vec![&b"vec"[..], &b"tored"[..]]).await;
        assert_eq!(res.expect("writev"), 8);
        let (res, buf) = stream.read_exact(vec![0u8; 8]).await;
        res.expect("read back");
        // The server's readv may have split the message: compare the bytes only.
        assert_eq!(&buf[..], b"vectored");
        stream.shutdown(Shutdown::Write).await.expect("shutdown");
        server.await.expect("server task");
        let std = stream.into_std().expect("into_std");
        let again = TcpStream::from_std(std).expect("from_std");
        drop(again);
    });
}

#[test]
fn round_trip_on_both_backends() {
    for backend in BACKENDS {
        watchdog("tcp round trip", move || round_trip(backend));
    }
}
