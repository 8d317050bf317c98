//! Random-offset reads and writes, checked against a shadow copy of the file and against
//! what std reads back.

use std::io::ErrorKind;

use ringaio::Backend;
use ringaio_tests::{runtime, Rng, TempPath};

/// Operations per backend.
const OPS: usize = 3_000;
/// Offsets fall in the first `SPAN` bytes, so reads often overlap earlier writes.
const SPAN: u64 = 1 << 20;
/// Longest single read or write.
const MAX_LEN: u64 = 64 * 1024;

fn random_io(backend: Backend, seed: u64) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "random-io");
    let path = tmp.path().to_owned();
    let mut rng = Rng::new(seed);
    let mut shadow: Vec<u8> = Vec::new();
    rt.block_on(async {
        let file = ringaio_tests::create_rw(&path).await.expect("open");
        for i in 0..OPS {
            let pos = rng.below(SPAN);
            let len = rng.below(MAX_LEN + 1) as usize;
            let start = pos as usize;
            match rng.below(4) {
                0 => {
                    let mut data = vec![0u8; len];
                    rng.fill(&mut data);
                    let (res, back) = file.write_at(data, pos).await;
                    let n = res.unwrap_or_else(|e| panic!("op {i}: write_at({pos}, {len}): {e}"));
                    assert!(n <= len, "op {i}: wrote {n} of {len}");
                    apply(&mut shadow, start, &back[..n]);
                }
                1 => {
                    let mut data = vec![0u8; len];
                    rng.fill(&mut data);
                    let (res, back) = file.write_all_at(data, pos).await;
                    res.unwrap_or_else(|e| panic!("op {i}: write_all_at({pos}, {len}): {e}"));
                    assert_eq!(back.len(), len, "the buffer comes back whole");
                    apply(&mut shadow, start, &back);
                }
                2 => {
                    let (res, buf) = file.read_at(Vec::with_capacity(len), pos).await;
                    let n = res.unwrap_or_else(|e| panic!("op {i}: read_at({pos}, {len}): {e}"));
                    let room = buf.capacity();
                    let want = &shadow[start.min(shadow.len())..(start + room).min(shadow.len())];
                    // A regular file gives a full read up to its end.
                    assert_eq!(n, want.len(), "op {i}: read_at({pos}, {room}) length");
                    assert_eq!(buf.len(), n, "op {i}: the Vec's length is what was read");
                    assert!(buf == want, "op {i}: read_at({pos}, {room}) bytes differ");
                }
                _ => {
                    let (res, buf) = file.read_exact_at(vec![0xa5u8; len], pos).await;
                    if start + len <= shadow.len() {
                        res.unwrap_or_else(|e| panic!("op {i}: read_exact_at({pos}, {len}): {e}"));
                        assert!(
                            buf[..] == shadow[start..start + len],
                            "op {i}: read_exact_at({pos}, {len}) bytes differ"
                        );
                    } else {
                        let e = res.expect_err("read_exact_at past the end must fail");
                        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "op {i}: {e}");
                        // It comes back holding exactly what was read before the end.
                        let from = start.min(shadow.len());
                        let have = (shadow.len() - from).min(len);
                        assert_eq!(buf.len(), have, "op {i}: the buffer comes back on error");
                        assert!(buf[..] == shadow[from..from + have], "op {i}: bytes differ");
                    }
                }
            }
        }
        let meta = file.metadata().await.expect("metadata");
        assert_eq!(meta.len(), shadow.len() as u64, "file length");
        file.close().await.expect("close");
    });
    let on_disk = std::fs::read(&path).expect("std read");
    assert_eq!(on_disk.len(), shadow.len(), "length seen by std");
    assert!(
        on_disk == shadow,
        "std reads different bytes than were written"
    );
}

/// Writes `data` at `start` into the shadow copy, zero-filling any hole before it.
fn apply(shadow: &mut Vec<u8>, start: usize, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let end = start + data.len();
    if shadow.len() < end {
        shadow.resize(end, 0);
    }
    shadow[start..end].copy_from_slice(data);
}

#[test]
fn uring_random_offsets_match_std() {
    random_io(Backend::Uring, 0x5eed_0001);
}

#[test]
fn fallback_random_offsets_match_std() {
    random_io(Backend::Fallback, 0x5eed_0002);
}
