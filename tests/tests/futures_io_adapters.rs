//! Issue 18: `io::BufFile` as `futures::io::{AsyncRead, AsyncWrite, AsyncSeek,
//! AsyncBufRead}`: `futures::io::copy` between files, line reading, seeking, and reads into
//! caller buffers larger than the file's own.

use std::io::SeekFrom;

use futures::io::{AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use futures::StreamExt;
use ringaio::fs::File;
use ringaio::io::BufFile;
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, Rng, TempPath, BACKENDS};

fn copies_and_seeks(backend: Backend) {
    let rt = runtime(backend);
    let src = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "fio-src");
    let dst = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "fio-dst");
    let mut data = vec![0u8; 1_000_003];
    Rng::new(4).fill(&mut data);
    std::fs::write(src.path(), &data).expect("std write");
    rt.block_on(async {
        // A small buffer, so the copy takes many reads and writes.
        let mut reader = BufFile::with_capacity(4096, File::open(src.path()).await.expect("open"));
        let mut writer = BufFile::new(create_rw(dst.path()).await.expect("create"));
        let n = futures::io::copy(&mut reader, &mut writer)
            .await
            .expect("copy");
        assert_eq!(n, data.len() as u64);
        writer.close().await.expect("close");
        assert_eq!(std::fs::read(dst.path()).expect("std read"), data);

        // Seek from the end, the start and the current position, then read.
        let mut file = writer;
        assert_eq!(
            file.seek(SeekFrom::End(-3)).await.expect("seek end"),
            data.len() as u64 - 3
        );
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).await.expect("read tail");
        assert_eq!(tail, data[data.len() - 3..]);
        assert_eq!(
            file.seek(SeekFrom::Start(10)).await.expect("seek start"),
            10
        );
        let mut two = [0u8; 2];
        file.read_exact(&mut two).await.expect("read 2");
        assert_eq!(two, data[10..12]);
        assert_eq!(
            file.seek(SeekFrom::Current(-2)).await.expect("seek back"),
            10
        );
        // Overwrite in the middle (the seek writes it out), then read across it.
        file.write_all(b"XY").await.expect("write");
        assert_eq!(file.seek(SeekFrom::Current(-4)).await.expect("seek"), 8);
        let mut six = [0u8; 6];
        file.read_exact(&mut six).await.expect("read 6");
        assert_eq!(six[..2], data[8..10]);
        assert_eq!(&six[2..4], b"XY");
        assert_eq!(six[4..], data[12..14]);
        let e = file
            .seek(SeekFrom::Current(-100))
            .await
            .expect_err("before 0");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");

        // One read into a caller buffer larger than the file's: filled by one request.
        let mut big = BufFile::with_capacity(4096, File::open(src.path()).await.expect("open"));
        let mut out = vec![0u8; 1 << 20];
        let n = big.read(&mut out).await.expect("large read");
        assert_eq!(n, data.len().min(out.len()));
        assert_eq!(out[..n], data[..n]);
    });
}

fn reads_lines(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "fio-lines");
    let text: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(tmp.path(), &text).expect("std write");
    rt.block_on(async {
        let file = BufFile::with_capacity(1000, File::open(tmp.path()).await.expect("open"));
        let lines: Vec<String> = file.lines().map(|l| l.expect("line")).collect().await;
        assert_eq!(lines.len(), 5000);
        assert_eq!(lines[4999], "line 4999");
        assert!(lines
            .iter()
            .enumerate()
            .all(|(i, l)| *l == format!("line {i}")));
    });
}

#[test]
fn futures_io_copy_and_seek() {
    for backend in BACKENDS {
        copies_and_seeks(backend);
    }
}

#[test]
fn futures_io_lines() {
    for backend in BACKENDS {
        reads_lines(backend);
    }
}
