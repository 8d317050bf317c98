//! Issue 18: a read fills a buffer from its start and leaves its length at exactly what it
//! read, so a reused or pre-filled buffer never carries stale bytes after a short read; a
//! read into no room is an error, never an `Ok(0)` that looks like the end of the file.

use std::io::ErrorKind;

use ringaio::buf::{AlignedBuf, IoBufMut};
use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath, BACKENDS};

fn short_reads_leave_no_stale_bytes(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "read-start");
    std::fs::write(tmp.path(), b"0123456789").expect("std write");
    rt.block_on(async {
        let file = File::open(tmp.path()).await.expect("open");
        // A full buffer, reused: the second, shorter read leaves only its own bytes.
        let (n, buf) = file.read_at(vec![b'x'; 8], 0).await;
        assert_eq!(n.expect("read"), 8);
        assert_eq!(buf, b"01234567");
        let (n, buf) = file.read_at(buf, 7).await;
        assert_eq!(n.expect("short read"), 3);
        assert_eq!(buf, b"789", "length is exactly what was read");
        assert_eq!(buf.capacity(), 8, "the same allocation came back");
        // At the end of the file: Ok(0) and an empty buffer.
        let (n, buf) = file.read_at(buf, 10).await;
        assert_eq!(n.expect("read at the end"), 0);
        assert!(buf.is_empty());

        // The same for an AlignedBuf, whose bytes all count as initialized at birth.
        let (n, aligned) = file
            .read_at(AlignedBuf::new(4096, 4096).expect("buf"), 4)
            .await;
        assert_eq!(n.expect("aligned read"), 6);
        assert_eq!(&aligned[..], b"456789");

        // A fixed-length buffer keeps its length: the count says what is new.
        let boxed: Box<[u8]> = vec![b'-'; 4].into_boxed_slice();
        let (n, boxed) = file.read_at(boxed, 8).await;
        assert_eq!(n.expect("boxed read"), 2);
        assert_eq!(&boxed[..], b"89--");
    });
}

fn read_exact_fills_the_room_and_stops_at_eof(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "read-exact");
    std::fs::write(tmp.path(), b"0123456789").expect("std write");
    rt.block_on(async {
        let file = File::open(tmp.path()).await.expect("open");
        // Whatever the Vec held is overwritten from its start; all its room is filled.
        let mut held = Vec::with_capacity(4);
        held.extend_from_slice(b"ab");
        let room = held.capacity();
        let (res, buf) = file.read_exact_at(held, 1).await;
        res.expect("read_exact");
        assert_eq!(buf.len(), room);
        assert_eq!(&buf[..], &b"0123456789"[1..1 + room]);
        // Across the end: UnexpectedEof, and the length is what was read.
        let (res, buf) = file.read_exact_at(vec![0u8; 8], 6).await;
        let e = res.expect_err("read_exact across the end");
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{e}");
        assert_eq!(buf, b"6789");
        // No room: nothing to fill, as std's read_exact of an empty slice.
        let (res, _) = file.read_exact_at(Vec::new(), 0).await;
        res.expect("nothing to fill");
    });
}

fn no_room_is_an_error(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "read-noroom");
    std::fs::write(tmp.path(), b"abc").expect("std write");
    rt.block_on(async {
        let file = File::open(tmp.path()).await.expect("open");
        let (res, buf) = file.read_at(Vec::new(), 0).await;
        let e = res.expect_err("a read into no room");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(buf.capacity(), 0);
        // A slice past the buffer's room is empty, not out of bounds: the same error.
        let (res, slice) = file.read_at(vec![7u8; 4].slice_mut(usize::MAX..), 0).await;
        let e = res.expect_err("a read into an empty slice");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert_eq!(slice.into_inner(), [7u8; 4], "the buffer is untouched");
    });
}

#[test]
fn short_reads_leave_exactly_what_was_read() {
    for backend in BACKENDS {
        short_reads_leave_no_stale_bytes(backend);
    }
}

#[test]
fn read_exact_at_fills_the_whole_room() {
    for backend in BACKENDS {
        read_exact_fills_the_room_and_stops_at_eof(backend);
    }
}

#[test]
fn reads_into_no_room_are_invalid_input() {
    for backend in BACKENDS {
        no_room_is_an_error(backend);
    }
}
