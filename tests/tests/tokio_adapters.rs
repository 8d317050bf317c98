//! Issue 18: `io::BufFile` as `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead}` (the
//! `tokio` feature) on ringaio's runtime: `tokio::io::copy` and a `tokio_util` codec.

use futures::{SinkExt, StreamExt};
use ringaio::fs::File;
use ringaio::io::BufFile;
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, Rng, TempPath, BACKENDS};
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec};

fn tokio_copy(backend: Backend) {
    let rt = runtime(backend);
    let src = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "tokio-src");
    let dst = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "tokio-dst");
    let mut data = vec![0u8; 700_001];
    Rng::new(7).fill(&mut data);
    std::fs::write(src.path(), &data).expect("std write");
    rt.block_on(async {
        let mut reader = BufFile::with_capacity(8192, File::open(src.path()).await.expect("open"));
        let mut writer = BufFile::new(create_rw(dst.path()).await.expect("create"));
        let n = tokio::io::copy(&mut reader, &mut writer)
            .await
            .expect("tokio copy");
        assert_eq!(n, data.len() as u64);
        writer.shutdown().await.expect("shutdown");
    });
    assert_eq!(std::fs::read(dst.path()).expect("std read"), data);
}

fn codec_lines(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "tokio-codec");
    rt.block_on(async {
        let file = BufFile::with_capacity(512, create_rw(tmp.path()).await.expect("create"));
        let mut sink = FramedWrite::new(file, LinesCodec::new());
        for i in 0..2000 {
            sink.send(format!("frame {i}")).await.expect("send");
        }
        SinkExt::<String>::close(&mut sink).await.expect("close");
        let file = BufFile::with_capacity(512, File::open(tmp.path()).await.expect("open"));
        let frames: Vec<String> = FramedRead::new(file, LinesCodec::new())
            .map(|f| f.expect("frame"))
            .collect()
            .await;
        assert_eq!(frames.len(), 2000);
        assert!(frames
            .iter()
            .enumerate()
            .all(|(i, f)| *f == format!("frame {i}")));
    });
}

#[test]
fn tokio_io_copy() {
    for backend in BACKENDS {
        tokio_copy(backend);
    }
}

#[test]
fn tokio_util_lines_codec() {
    for backend in BACKENDS {
        codec_lines(backend);
    }
}
