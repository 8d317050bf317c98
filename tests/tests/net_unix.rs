//! Unix socket round trips on both backends: a listener and its streams (read, write,
//! vectored, shutdown), a stream pair, and datagrams by path and on a pair.

use std::net::Shutdown;

use ringaio::net::{UnixDatagram, UnixListener, UnixStream};
use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, TempPath, BACKENDS};

fn streams(backend: Backend) {
    let rt = runtime(backend);
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "unix-listener");
    rt.block_on(async {
        let listener = UnixListener::bind(path.path()).expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        assert_eq!(addr.as_pathname(), Some(path.path()));
        let err = UnixListener::bind(path.path()).expect_err("path in use");
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE), "{err}");

        let client = UnixStream::connect(path.path()).await.expect("connect");
        let (server, peer) = listener.accept().await.expect("accept");
        assert!(peer.is_unnamed());
        assert_eq!(
            client.peer_addr().expect("peer").as_pathname(),
            Some(path.path())
        );
        let (res, _) = client.writev(vec![&b"uni"[..], &b"x"[..]]).await;
        assert_eq!(res.expect("writev"), 4);
        let (res, buf) = server.read_exact(vec![0u8; 4]).await;
        res.expect("read_exact");
        assert_eq!(&buf[..], b"unix");
        server.shutdown(Shutdown::Write).await.expect("shutdown");
        let (res, _) = client.read(Vec::with_capacity(4)).await;
        assert_eq!(res.expect("read after shutdown"), 0);

        let (a, b) = UnixStream::pair().expect("pair");
        let (res, _) = a.write_all(&b"paired"[..]).await;
        res.expect("write_all");
        let (res, bufs) = b
            .readv(vec![Vec::with_capacity(2), Vec::with_capacity(8)])
            .await;
        assert_eq!(res.expect("readv"), 6);
        assert_eq!((&bufs[0][..], &bufs[1][..]), (&b"pa"[..], &b"ired"[..]));
        drop(UnixStream::from_std(a.into_std().expect("into_std")).expect("from_std"));
    });
}

fn datagrams(backend: Backend) {
    let rt = runtime(backend);
    let (pa, pb) = (
        TempPath::new(env!("CARGO_TARGET_TMPDIR"), "unix-dgram-a"),
        TempPath::new(env!("CARGO_TARGET_TMPDIR"), "unix-dgram-b"),
    );
    rt.block_on(async {
        let a = UnixDatagram::bind(pa.path()).expect("bind a");
        let b = UnixDatagram::bind(pb.path()).expect("bind b");
        let (res, _) = a.send_to(&b"to b"[..], pb.path()).await;
        assert_eq!(res.expect("send_to"), 4);
        let (res, buf) = b.recv_from(Vec::with_capacity(16)).await;
        let (n, from) = res.expect("recv_from");
        assert_eq!((n, from.as_deref()), (4, Some(pa.path())));
        assert_eq!(&buf[..], b"to b");

        b.connect(pa.path()).await.expect("connect");
        let (res, _) = b.send(&b"back"[..]).await;
        assert_eq!(res.expect("send"), 4);
        let (res, buf) = a.recv(Vec::with_capacity(16)).await;
        assert_eq!(res.expect("recv"), 4);
        assert_eq!(&buf[..], b"back");

        let (x, y) = UnixDatagram::pair().expect("pair");
        let (res, _) = x.send(&b"pair"[..]).await;
        res.expect("send");
        let (res, buf) = y.recv_from(Vec::with_capacity(16)).await;
        assert_eq!(res.expect("recv_from").1, None, "unnamed sender");
        assert_eq!(&buf[..], b"pair");
        drop(UnixDatagram::from_std(x.into_std().expect("into_std")).expect("from_std"));
    });
}

#[test]
fn unix_streams_on_both_backends() {
    for backend in BACKENDS {
        watchdog("unix streams", move || streams(backend));
    }
}

#[test]
fn unix_datagrams_on_both_backends() {
    for backend in BACKENDS {
        watchdog("unix datagrams", move || datagrams(backend));
    }
}
