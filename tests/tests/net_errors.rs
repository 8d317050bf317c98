//! Bad input on sockets gives the kernel's error, never a panic, a hang or a signal:
//! `ECONNREFUSED` from a closed port, `EADDRINUSE` from a used one, `ECONNRESET` after the
//! peer resets, `EPIPE` (no `SIGPIPE`) after it closes, `Ok(0)` reads after its shutdown.

use std::net::Shutdown;
use std::os::fd::AsRawFd;
use std::time::Duration;

use ringaio::net::{TcpListener, TcpStream, UnixStream};
use ringaio::Backend;
use ringaio_tests::{loopback, runtime, watchdog, TempPath, BACKENDS};

fn errors(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        // A port that was just free: bound, read, closed.
        let closed = TcpListener::bind(loopback())
            .and_then(|l| l.local_addr())
            .expect("a free port");
        let err = TcpStream::connect(closed)
            .await
            .expect_err("nobody listens");
        assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED), "{err}");

        let listener = TcpListener::bind(loopback()).expect("bind");
        let addr = listener.local_addr().expect("local_addr");
        let err = TcpListener::bind(addr).expect_err("port in use");
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE), "{err}");
        let err = ringaio::net::UdpSocket::bind(loopback())
            .and_then(|u| ringaio::net::UdpSocket::bind(u.local_addr()?))
            .expect_err("udp port in use");
        assert_eq!(err.raw_os_error(), Some(libc::EADDRINUSE), "{err}");

        // Reset: the peer closes with unread data (or SO_LINGER 0), the kernel sends RST.
        let client = TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: `linger` is a live struct of the size passed.
        let set = unsafe {
            libc::setsockopt(
                server.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                (&linger as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(set, 0, "SO_LINGER 0");
        drop(server);
        let (res, _) = client.read(Vec::with_capacity(16)).await;
        let err = res.expect_err("reset");
        assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET), "{err}");

        // Shutdown: the peer's reads give Ok(0); writes after our own shutdown are EPIPE.
        let client = TcpStream::connect(addr).await.expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        client.shutdown(Shutdown::Write).await.expect("shutdown");
        for _ in 0..2 {
            let (res, _) = server.read(Vec::with_capacity(16)).await;
            assert_eq!(res.expect("read after peer shutdown"), 0);
        }
        let (res, _) = client.write(&b"late"[..]).await;
        let err = res.expect_err("write after shutdown");
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "{err}");

        // A closed peer: the first send may still succeed (the RST comes back after it);
        // keep sending until the error shows, bounded. SIGPIPE would kill the test.
        drop(server);
        let client2 = TcpStream::connect(addr).await.expect("connect");
        let (server2, _) = listener.accept().await.expect("accept");
        drop(server2);
        let mut last = None;
        for _ in 0..100 {
            let (res, _) = client2.write(&b"into the void"[..]).await;
            if let Err(e) = res {
                last = Some(e);
                break;
            }
            ringaio::time::sleep(Duration::from_millis(1))
                .await
                .expect("sleep");
        }
        let err = last.expect("a send to a closed peer fails within 100 tries");
        assert!(
            matches!(err.raw_os_error(), Some(libc::EPIPE | libc::ECONNRESET)),
            "{err}"
        );

        let missing = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "missing-sock");
        let err = UnixStream::connect(missing.path())
            .await
            .expect_err("no socket");
        assert_eq!(err.raw_os_error(), Some(libc::ENOENT), "{err}");
    });
}

#[test]
fn socket_errors_on_both_backends() {
    for backend in BACKENDS {
        watchdog("socket errors", move || errors(backend));
    }
}
