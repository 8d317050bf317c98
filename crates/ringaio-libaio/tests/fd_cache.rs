//! The context's fd cache: an fd checked once is not checked with `fcntl` again, so an fd
//! the program closes (or reopens with less access) afterwards must still be refused:
//! `EBADF` at `io_submit` for a lone request, as the kernel's AIO answers, or (in a batch)
//! `-EBADF` in the events; and checked afresh from then on. One test, alone in its binary,
//! so no other test's `open` takes the fd number it closes.

mod common;
use common::*;

use std::io::Write;
use std::os::fd::{AsRawFd, RawFd};

/// An fd number the test places files at with `dup2`, high enough that no `open` takes it.
const FD: RawFd = 900;

fn place(file: &std::fs::File) {
    // SAFETY: dup2 onto a number this test owns; no Rust object owns FD.
    let r = unsafe { libc::dup2(file.as_raw_fd(), FD) };
    assert_eq!(r, FD, "dup2: {}", std::io::Error::last_os_error());
}

fn unplace() {
    // SAFETY: FD was placed by `place` and is owned by nobody else.
    assert_eq!(unsafe { libc::close(FD) }, 0);
}

fn read_ok(ctx: &Ctx, buf: &mut [u8; 4]) {
    let mut r = pread(FD, buf, 0);
    // SAFETY: `buf` outlives the request, reaped below.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    assert_eq!(ctx.wait(1)[0].res, 4);
}

fn nothing_pending(ctx: &Ctx) {
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut more = [IoEvent::default(); 4];
    assert_eq!(ctx.get(0, &mut more, Some(zero)), 0, "no event left behind");
}

#[test]
fn closed_and_reopened_fds_are_refused_after_being_remembered() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("fdcache");
    let rw = dir.file("data", b"0123456789");
    let ro = std::fs::File::open(dir.path("data")).expect("open read-only");
    let mut buf = [0u8; 4];

    // Closed after a successful read: a lone read is EBADF at submit, every time.
    for _ in 0..200 {
        place(&rw);
        read_ok(&ctx, &mut buf);
        unplace();
        let mut r = pread(FD, &mut buf, 0);
        // SAFETY: `buf` outlives the call; a refused request leaves nothing in flight.
        assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, -libc::EBADF);
        nothing_pending(&ctx);
    }

    // Reopened read-only where a read-write file was: a write is refused at submit, or
    // (if io_uring fails it only after `io_submit` returns) in its event; then at submit.
    place(&rw);
    read_ok(&ctx, &mut buf);
    unplace();
    place(&ro);
    let mut w = pwrite(FD, b"no", 0);
    // SAFETY: the data is static; reaped below if queued.
    let rc = unsafe { ctx.submit(&mut [&mut w]) };
    let _ = writeln!(
        std::io::stderr(),
        "note: a write on a reopened read-only fd: {rc}"
    );
    if rc == 1 {
        assert_eq!(ctx.wait(1)[0].res as i64, -i64::from(libc::EBADF));
    } else {
        assert_eq!(rc, -libc::EBADF);
    }
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut w]) }, -libc::EBADF);
    nothing_pending(&ctx);
    read_ok(&ctx, &mut buf);
    assert_eq!(&buf, b"0123");
    unplace();

    // In a batch, a remembered fd closed since fails in the events; then at submit.
    place(&rw);
    read_ok(&ctx, &mut buf);
    unplace();
    let (mut b1, mut b2) = ([0u8; 4], [0u8; 4]);
    let mut r1 = pread(FD, &mut b1, 0);
    let mut r2 = pread(FD, &mut b2, 4);
    // SAFETY: the buffers outlive the requests, reaped below.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r1, &mut r2]) }, 2);
    for ev in ctx.wait(2) {
        assert_eq!(ev.res as i64, -i64::from(libc::EBADF), "{ev:?}");
    }
    let mut r = pread(FD, &mut buf, 0);
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, -libc::EBADF);
    nothing_pending(&ctx);
}
