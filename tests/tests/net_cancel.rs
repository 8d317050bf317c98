//! Socket requests dropped before their completion are cancelled, and what they point the
//! kernel at (a guard buffer here) is freed only after the cancel's completion: a recv on an
//! idle TCP stream, a Unix stream and a UDP socket, an accept on an idle listener, a
//! connect, and a recv under `time::timeout`. Nothing hangs, no slot or fd is left behind.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use ringaio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use ringaio::{Backend, Runtime};
use ringaio_tests::{
    loopback, open_fds, runtime, tcp_pair, wait_until, watchdog, CountedBuf, BACKENDS,
};

/// Polls `op` (holding a clone of `alive`) until the runtime has handed it to the kernel,
/// drops it, and checks that the buffer outlives the drop and is freed after the cancel.
async fn drop_mid_flight<F: Future>(rt_stats: impl Fn() -> ringaio::Stats, alive: &Arc<()>, op: F) {
    {
        let mut op = pin!(op);
        assert!(futures::poll!(op.as_mut()).is_pending(), "idle socket");
        ringaio::time::sleep(Duration::from_millis(5))
            .await
            .expect("sleep");
        assert!(futures::poll!(op.as_mut()).is_pending(), "still idle");
        assert_eq!(Arc::strong_count(alive), 2, "the request holds the buffer");
    }
    assert_eq!(
        Arc::strong_count(alive),
        2,
        "dropped in flight: the reactor keeps the buffer until the cancel completes"
    );
    wait_until("the cancel to complete", || Arc::strong_count(alive) == 1).await;
    wait_until("the slot to go", || rt_stats().slots == 0).await;
}

fn cancels(backend: Backend) {
    let rt = runtime(backend);
    // The blocking pool opens its poller's eventfd on first use: count after it has.
    rt.block_on(warm_up());
    let fds_before = open_fds();
    let stats = || rt.stats();
    rt.block_on(async {
        let alive = Arc::new(());
        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let client = TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");

        let buf = CountedBuf::new(&alive, 64);
        drop_mid_flight(&stats, &alive, client.read(buf)).await;

        // The stream still works after the cancel.
        let (res, _) = server.write_all(&b"after"[..]).await;
        res.expect("write");
        let (res, buf) = client.read_exact(vec![0u8; 5]).await;
        res.expect("read");
        assert_eq!(&buf[..], b"after");

        // An accept holds no buffer: its slot must go, and a connection it might take
        // after the drop is closed by the reactor (the fd count below).
        {
            let mut accept = pin!(listener.accept());
            assert!(
                futures::poll!(accept.as_mut()).is_pending(),
                "nobody connects"
            );
            ringaio::time::sleep(Duration::from_millis(5))
                .await
                .expect("sleep");
            assert!(futures::poll!(accept.as_mut()).is_pending(), "still nobody");
        }
        wait_until("the accept's slot to go", || stats().slots == 0).await;

        let (a, _b) = UnixStream::pair().expect("pair");
        drop_mid_flight(&stats, &alive, a.read(CountedBuf::new(&alive, 64))).await;

        let udp = UdpSocket::bind(loopback()).expect("udp bind");
        drop_mid_flight(&stats, &alive, udp.recv_from(CountedBuf::new(&alive, 64))).await;

        // A timeout around a recv: Elapsed, and the buffer is freed after the cancel.
        let timed = ringaio::time::timeout(
            Duration::from_millis(10),
            client.read(CountedBuf::new(&alive, 64)),
        )
        .await;
        assert!(timed.is_err(), "idle socket: the timeout fires");
        wait_until("the timed-out recv's buffer", || {
            Arc::strong_count(&alive) == 1
        })
        .await;

        // A connect dropped after its first poll (loopback may finish it first): either
        // way no socket is left open.
        for _ in 0..10 {
            let mut connect = pin!(TcpStream::connect(addr));
            let _ = futures::poll!(connect.as_mut());
        }
        drop((client, server, listener, a, udp));
    });
    wait_all_closed(&rt, fds_before);
}

/// One connection with a byte each way, closed again.
async fn warm_up() {
    let (client, server) = tcp_pair().await;
    let (res, _) = client.write(&b"!"[..]).await;
    res.expect("write");
    let (res, _) = server.read(Vec::with_capacity(1)).await;
    res.expect("read");
}

fn wait_all_closed(rt: &Runtime, before: usize) {
    rt.block_on(wait_until(
        "every socket to close and every slot to go",
        || rt.stats().slots == 0 && open_fds() <= before,
    ));
}

#[test]
fn dropped_socket_requests_free_their_buffers_after_the_cancel() {
    for backend in BACKENDS {
        watchdog("socket cancels", move || cancels(backend));
    }
}
