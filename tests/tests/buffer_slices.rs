//! Issue 18: reads and writes through `IoBuf::slice` / `IoBufMut::slice_mut` touch only the
//! slice's part of the buffer, give the buffer back, and cannot reach outside it whatever the
//! range.

use std::sync::Arc;

use ringaio::buf::{IoBuf, IoBufMut};
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, CountedBuf, TempPath, BACKENDS};

fn slices_read_and_write_their_part(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "slices");
    rt.block_on(async {
        let file = create_rw(tmp.path()).await.expect("open");
        // Write the middle of a buffer.
        let (n, slice) = file.write_at(b"--payload--".to_vec().slice(2..9), 0).await;
        assert_eq!(n.expect("write a slice"), 7);
        assert_eq!(
            slice.into_inner(),
            b"--payload--",
            "the buffer comes back whole"
        );
        // A write slice past the initialized bytes sends only what is initialized.
        let mut v = Vec::with_capacity(32);
        v.extend_from_slice(b"abc");
        let (n, _) = file.write_at(v.slice(1..30), 7).await;
        assert_eq!(n.expect("write the initialized part"), 2);
        assert_eq!(std::fs::read(tmp.path()).expect("std read"), b"payloadbc");

        // Append: read into the room after what the buffer holds.
        let mut buf = Vec::with_capacity(16);
        buf.extend_from_slice(b">>");
        let (n, slice) = file.read_at(buf.slice_mut(2..6), 0).await;
        assert_eq!(n.expect("read into a slice"), 4);
        assert_eq!(&slice[..], b"payl");
        assert_eq!(slice.into_inner(), b">>payl");

        // A slice inside the initialized bytes overwrites them and never shortens the buffer.
        let (n, slice) = file
            .read_at(b"0123456789".to_vec().slice_mut(3..5), 7)
            .await;
        assert_eq!(n.expect("read into the middle"), 2);
        assert_eq!(slice.into_inner(), b"012bc56789");

        // read_exact_at into a slice fills exactly the slice.
        let (res, slice) = file.read_exact_at(vec![0u8; 64].slice_mut(10..13), 1).await;
        res.expect("read_exact into a slice");
        let back = slice.into_inner();
        assert_eq!(&back[10..13], b"ayl");
        assert_eq!(back.len(), 64);

        // A huge range is clamped to the room: the kernel never writes past it.
        let (n, slice) = file
            .read_at(Vec::with_capacity(4).slice_mut(..usize::MAX), 0)
            .await;
        assert_eq!(n.expect("clamped read"), slice.bytes_total());
        assert!(slice.get_ref().len() <= slice.get_ref().capacity());
    });
}

fn cancelled_slice_reads_release_the_buffer(backend: Backend) {
    let rt = runtime(backend);
    let alive = Arc::new(());
    let (reader, writer) = ringaio_tests::pipe().expect("pipe");
    rt.block_on(async {
        let file = ringaio::fs::File::from_std(reader);
        let slice = CountedBuf::new(&alive, 64).slice_mut(8..16);
        // A pipe read that cannot finish yet: dropping it cancels the request.
        let read = file.read_at(slice, 0);
        let timed = ringaio::time::timeout(std::time::Duration::from_millis(5), read).await;
        assert!(timed.is_err(), "nothing was written to the pipe");
        drop(writer);
        ringaio_tests::wait_until("the cancelled read's buffer to be dropped", || {
            Arc::strong_count(&alive) == 1
        })
        .await;
    });
    assert_eq!(Arc::strong_count(&alive), 1);
}

#[test]
fn slices_touch_only_their_part() {
    for backend in BACKENDS {
        slices_read_and_write_their_part(backend);
    }
}

#[test]
fn a_cancelled_read_into_a_slice_gives_the_buffer_up() {
    for backend in BACKENDS {
        cancelled_slice_reads_release_the_buffer(backend);
    }
}
