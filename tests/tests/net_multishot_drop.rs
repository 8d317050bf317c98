//! Dropping the accept stream or the receive stream (each armed, on io_uring a multishot
//! request) cancels its request: its slot goes, no fd is left open, and a connection or
//! message arriving afterwards is not taken by a ghost request. Both backends. Alone in its
//! binary: it counts the process's fds.

use std::pin::pin;
use std::time::Duration;

use ringaio::net::{TcpListener, TcpStream, UnixStream};
use ringaio::Backend;
use ringaio_tests::{loopback, open_fds, runtime, wait_until, watchdog, BACKENDS};

fn dropped_streams(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        // Warm up the blocking pool (its poller's fd) before counting.
        let (a, b) = UnixStream::pair().expect("pair");
        let (res, _) = a.write(&b"!"[..]).await;
        res.expect("write");
        let (res, _) = b.read(Vec::with_capacity(1)).await;
        res.expect("read");
        let before = open_fds();

        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("addr");
        {
            let mut incoming = pin!(listener.incoming());
            let mut next = pin!(incoming.next());
            assert!(
                futures::poll!(next.as_mut()).is_pending(),
                "nobody connects"
            );
            ringaio::time::sleep(Duration::from_millis(5))
                .await
                .expect("sleep");
        }
        {
            let mut stream = b.recv_stream(4, 16);
            let mut next = pin!(stream.next());
            assert!(futures::poll!(next.as_mut()).is_pending(), "nothing sent");
            ringaio::time::sleep(Duration::from_millis(5))
                .await
                .expect("sleep");
        }
        // A connection arriving after the drop is not accepted by a ghost request.
        let late = TcpStream::connect(addr).await.expect("connect");
        let (res, _) = a.write(&b"late"[..]).await;
        res.expect("write");
        let (res, buf) = b.read(Vec::with_capacity(8)).await;
        assert_eq!(res.expect("read after the stream"), 4);
        assert_eq!(&buf[..], b"late");
        drop((late, listener, a, b));
        wait_until("the streams' slots and fds to go", || {
            rt.stats().slots == 0 && open_fds() + 2 <= before
        })
        .await;
    });
    assert_eq!(rt.stats().slots, 0);
}

#[test]
fn dropped_streams_cancel() {
    for backend in BACKENDS {
        watchdog("dropped streams", move || dropped_streams(backend));
    }
}
