//! The accept stream and the receive stream, on both backends (multishot requests on
//! io_uring, one request after another on the fallback): every connection and byte comes
//! through; a buffer ring run dry (`ENOBUFS`) re-arms once buffers come back, with no byte
//! lost or reordered. (Dropping either stream: `net_multishot_drop.rs`.)

use std::net::Shutdown;
use std::time::Duration;

use ringaio::buf::PooledBuf;
use ringaio::net::{TcpListener, TcpStream};
use ringaio::{Backend, Runtime};
use ringaio_tests::{loopback, runtime, say, tcp_pair, watchdog, Rng, BACKENDS};

fn say_mode(rt: &Runtime, what: &str, multishot: bool) {
    if rt.backend() == Backend::Uring && !multishot {
        say!("skipped: multishot {what}: this kernel lacks it; ran single-shot instead");
    }
}

fn accept_stream(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut incoming = listener.incoming();
        let clients = ringaio::spawn(async move {
            let mut streams = Vec::new();
            for _ in 0..20 {
                streams.push(TcpStream::connect(addr).await.expect("connect"));
            }
            streams
        });
        let mut accepted = Vec::new();
        for _ in 0..20 {
            accepted.push(incoming.next().await.expect("accept"));
        }
        say_mode(&rt, "accept", incoming.is_multishot());
        let clients = clients.await.expect("clients");
        let mut peers: Vec<_> = accepted
            .iter()
            .map(|s| s.peer_addr().expect("peer"))
            .collect();
        let mut locals: Vec<_> = clients
            .iter()
            .map(|s| s.local_addr().expect("local"))
            .collect();
        peers.sort();
        locals.sort();
        assert_eq!(peers, locals, "every connection accepted once");
    });
}

/// Sends `data` in chunks of up to 100 bytes, then shuts down writing.
async fn send_chunks(stream: TcpStream, data: Vec<u8>) {
    for chunk in data.chunks(100) {
        let (res, _) = stream.write_all(chunk.to_vec()).await;
        res.expect("write");
    }
    stream.shutdown(Shutdown::Write).await.expect("shutdown");
}

/// Receives 16 KiB through a stream of `entries` buffers; with `hold`, keeps that many
/// buffers out for a while before dropping them.
fn receive_stream(backend: Backend, entries: u16, hold: Option<usize>) {
    let rt = runtime(backend);
    rt.block_on(async {
        let (client, server) = tcp_pair().await;
        let mut data = vec![0u8; 16 * 1024];
        Rng::new(7).fill(&mut data);
        let sender = ringaio::spawn(send_chunks(client, data.clone()));
        let mut stream = server.recv_stream(entries, 64);
        let mut got = Vec::new();
        let mut held: Vec<PooledBuf> = Vec::new();
        let mut multishot = false;
        while let Some(buf) = stream.next().await {
            multishot |= stream.is_multishot();
            let buf = buf.expect("recv");
            assert!(!buf.is_empty() && buf.len() <= 64);
            got.extend_from_slice(&buf);
            // Keep `hold` buffers out for a while: with as many as the ring has, the kernel
            // runs dry and the stream must re-arm when they come back.
            held.push(buf);
            if held.len() >= hold.unwrap_or(1) {
                if hold.is_none() {
                    held.clear();
                    continue;
                }
                ringaio::time::sleep(Duration::from_millis(2))
                    .await
                    .expect("sleep");
                held.clear();
            }
        }
        say_mode(&rt, "recv", multishot);
        if multishot && hold.is_some() {
            assert!(
                stream.rearms() > 0,
                "holding every buffer runs the ring dry"
            );
        }
        assert_eq!(got.len(), data.len());
        assert!(got == data, "bytes lost or reordered");
        sender.await.expect("sender");
    });
}

#[test]
fn accept_stream_on_both_backends() {
    for backend in BACKENDS {
        watchdog("accept stream", move || accept_stream(backend));
    }
}

#[test]
fn receive_stream_on_both_backends() {
    for backend in BACKENDS {
        watchdog("receive stream", move || receive_stream(backend, 16, None));
    }
}

#[test]
fn receive_stream_runs_dry_and_rearms() {
    for backend in BACKENDS {
        watchdog("receive stream exhaustion", move || {
            receive_stream(backend, 4, Some(4))
        });
    }
}
