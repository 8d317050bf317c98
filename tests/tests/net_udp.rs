//! UDP round trips on both backends: `send_to`/`recv_from` between unconnected sockets, then
//! `send`/`recv` once connected; a datagram longer than the buffer is cut, not split.

use ringaio::net::UdpSocket;
use ringaio::Backend;
use ringaio_tests::{loopback, runtime, watchdog, BACKENDS};

fn round_trip(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let a = UdpSocket::bind(loopback()).expect("bind a");
        let b = UdpSocket::bind(loopback()).expect("bind b");
        let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));

        let (res, _) = a.send_to(&b"ping"[..], b_addr).await;
        assert_eq!(res.expect("send_to"), 4);
        let (res, buf) = b.recv_from(Vec::with_capacity(64)).await;
        let (n, from) = res.expect("recv_from");
        assert_eq!((n, from), (4, a_addr));
        assert_eq!(&buf[..], b"ping");

        a.connect(b_addr).await.expect("connect a");
        b.connect(a_addr).await.expect("connect b");
        assert_eq!(a.peer_addr().expect("peer"), b_addr);
        let (res, _) = b.send(&b"pong, and more"[..]).await;
        assert_eq!(res.expect("send"), 14);
        let (res, buf) = a.recv(Vec::with_capacity(4)).await;
        assert_eq!(res.expect("recv"), 4, "the rest of the datagram is dropped");
        assert_eq!(&buf[..], b"pong");

        let std = a.into_std().expect("into_std");
        drop(UdpSocket::from_std(std).expect("from_std"));
    });
}

#[test]
fn udp_round_trip_on_both_backends() {
    for backend in BACKENDS {
        watchdog("udp round trip", move || round_trip(backend));
    }
}
