//! Issue 18: `bytes::Bytes` writes and `bytes::BytesMut` reads (the `bytes` feature), with
//! the same read rule as a `Vec`: the length ends at exactly what was read.

use bytes::{Bytes, BytesMut};
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, TempPath, BACKENDS};

fn round_trip(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "bytes");
    rt.block_on(async {
        let file = create_rw(tmp.path()).await.expect("open");
        let (res, _) = file.write_all_at(Bytes::from_static(b"static "), 0).await;
        res.expect("write Bytes");
        let (res, _) = file.write_all_at(Bytes::from(b"heap".to_vec()), 7).await;
        res.expect("write Bytes from a Vec");
        let mut stale = BytesMut::with_capacity(64);
        stale.extend_from_slice(&[b'x'; 40]);
        let (n, buf) = file.read_at(stale, 0).await;
        assert_eq!(n.expect("read BytesMut"), 11);
        assert_eq!(&buf[..], b"static heap");
    });
}

#[test]
fn bytes_and_bytes_mut_round_trip() {
    for backend in BACKENDS {
        round_trip(backend);
    }
}
