//! `File::close` with operations still in flight returned `Ok(())` without closing anything,
//! and the real close's result was lost (issue 13, item 14). Now: a cancel already on its
//! way back is reaped first and the close is real; an operation the caller still holds makes
//! it `EBUSY`, and the fd closes once that operation completes.

use std::io::Write;
use std::pin::pin;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{open_fds, pipe, runtime};

/// The tests count this process's fds: one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_held_operation_makes_close_ebusy_then_the_fd_closes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for backend in [Backend::Uring, Backend::Fallback] {
        let rt = runtime(backend);
        // Warm up whatever the backend opens on first use (the pool's readiness poller).
        let (warm, mut warm_wr) = pipe().expect("pipe");
        warm_wr.write_all(b"w").expect("write");
        let warm = File::from_std(warm);
        let (res, _) = rt.block_on(warm.read_at(Vec::with_capacity(1), 0));
        assert_eq!(res.expect("warm-up read"), 1);
        let (rd, mut wr) = pipe().expect("pipe");
        let before = open_fds();
        let rd = File::from_std(rd);
        let read = rd.read_at(Vec::with_capacity(8), 0);
        let err = rt.block_on(rd.close()).expect_err("a read is in flight");
        assert_eq!(err.raw_os_error(), Some(libc::EBUSY), "{backend:?}: {err}");
        assert_eq!(open_fds(), before, "{backend:?}: still open for the read");
        wr.write_all(b"late").expect("write");
        let (res, buf) = rt.block_on(read);
        assert_eq!(res.expect("the read still works"), 4);
        assert_eq!(&buf[..], b"late");
        assert_eq!(open_fds(), before - 1, "{backend:?}: closed after the read");
    }
}

#[test]
fn a_dropped_operations_cancel_is_reaped_and_the_close_is_real() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = runtime(Backend::Uring);
    if rt.backend() != Backend::Uring {
        return;
    }
    let (rd, _wr) = pipe().expect("pipe");
    let before = open_fds();
    let rd = File::from_std(rd);
    rt.block_on(async {
        let mut read = pin!(rd.read_at(vec![0u8; 8], 0));
        assert!(futures::poll!(read.as_mut()).is_pending());
    });
    // The read's future is gone; its cancel goes out with the close's first round trip.
    rt.block_on(rd.close()).expect("closed for real");
    assert_eq!(open_fds(), before - 1);
}
