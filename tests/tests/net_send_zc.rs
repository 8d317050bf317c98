//! Zero-copy send on both backends (a plain send on the fallback and on kernels without
//! `SEND_ZC`): the bytes arrive, the count is the result completion's, and the buffer comes
//! back with it; a zero-copy send on a closed connection is `EPIPE`, without `SIGPIPE`.

use std::net::Shutdown;

use ringaio::Backend;
use ringaio_tests::{runtime, tcp_pair, watchdog, Rng, BACKENDS};

fn send_zc(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let (client, server) = tcp_pair().await;
        let mut data = vec![0u8; 256 * 1024];
        Rng::new(3).fill(&mut data);
        let expected = data.clone();
        let reader = ringaio::spawn(async move {
            let (res, buf) = server.read_exact(vec![0u8; 256 * 1024]).await;
            res.expect("read_exact");
            buf
        });
        let mut sent = 0;
        while sent < expected.len() {
            let (res, back) = client.send_zc(data[sent..].to_vec()).await;
            let n = res.expect("send_zc");
            assert!(n > 0 && n <= back.len());
            assert!(back[..] == expected[sent..], "the same buffer comes back");
            sent += n;
        }
        let got = reader.await.expect("reader");
        assert!(got == expected, "bytes lost or reordered");

        client.shutdown(Shutdown::Write).await.expect("shutdown");
        let (res, back) = client.send_zc(b"late".to_vec()).await;
        let err = res.expect_err("send after shutdown");
        assert_eq!(err.raw_os_error(), Some(libc::EPIPE), "{err}");
        assert_eq!(&back[..], b"late", "the buffer comes back on error too");
    });
}

#[test]
fn zero_copy_send_on_both_backends() {
    for backend in BACKENDS {
        watchdog("send_zc", move || send_zc(backend));
    }
}
