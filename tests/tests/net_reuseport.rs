//! `Pool::serve_tcp`: one `SO_REUSEPORT` listener and accept loop per pool thread; the
//! connections are served by more than one thread (each reply names the serving thread),
//! on both backends; a second plain bind of the address is refused, a reuseport one shares
//! it; stopping ends every loop.

use std::collections::HashSet;
use std::io::Read;
use std::net::TcpStream;

use ringaio::net::TcpListener;
use ringaio::{Backend, JoinError};
use ringaio_tests::{loopback, pool, runtime, watchdog, BACKENDS};

/// Most connections made while waiting for both threads to serve one: the kernel hashes
/// each connection's addresses to a listener, so all of them landing on one thread has
/// probability 2^-(MAX_CONNECTIONS - 1).
const MAX_CONNECTIONS: usize = 500;

fn served_by_both(backend: Backend) {
    let pool = pool(backend, 2);
    let server = pool
        .serve_tcp(loopback(), |stream, _peer| async move {
            let name = std::thread::current().name().unwrap_or("?").to_owned();
            let (res, _) = stream.write_all(name.into_bytes()).await;
            res.expect("reply");
        })
        .expect("serve");
    let addr = server.local_addr();
    let mut threads = HashSet::new();
    let mut made = 0;
    while threads.len() < 2 && made < MAX_CONNECTIONS {
        let mut reply = String::new();
        TcpStream::connect(addr)
            .expect("connect")
            .read_to_string(&mut reply)
            .expect("reply");
        assert!(reply.starts_with("ringaio-rt-"), "{reply}");
        threads.insert(reply);
        made += 1;
    }
    assert_eq!(
        threads.len(),
        2,
        "served by {threads:?} after {made} connections"
    );
    let loops = server.into_loops();
    for accept in &loops {
        accept.abort();
    }
    for accept in loops {
        match futures::executor::block_on(accept) {
            Err(JoinError::Cancelled) => {}
            other => panic!("accept loop: {other:?}"),
        }
    }
    pool.shutdown().expect("shutdown");
}

#[test]
fn connections_are_served_by_every_thread() {
    watchdog("reuseport", || {
        for backend in BACKENDS {
            served_by_both(backend);
        }
    });
}

#[test]
fn reuseport_shares_the_address_and_plain_bind_is_refused() {
    let rt = runtime(Backend::Uring);
    rt.block_on(async {
        let a = TcpListener::bind_reuseport(loopback()).expect("first");
        let addr = a.local_addr().expect("addr");
        let b = TcpListener::bind_reuseport(addr).expect("second shares it");
        assert_eq!(b.local_addr().expect("addr"), addr);
        let err = TcpListener::bind(addr).expect_err("plain bind refused");
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    });
}

#[test]
fn serve_tcp_on_a_taken_address_is_an_error() {
    let pool = pool(Backend::Uring, 2);
    let taken = std::net::TcpListener::bind(loopback()).expect("std bind");
    let err = pool
        .serve_tcp(taken.local_addr().expect("addr"), |_s, _p| async {})
        .expect_err("address in use");
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    pool.shutdown().expect("shutdown");
}
