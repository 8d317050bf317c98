//! `io_cancel`: EINPROGRESS for what io_uring cancelled (its event then says ECANCELED),
//! EINVAL for what is not in flight.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;

#[test]
fn cancel_a_pending_read() {
    let Some(ctx) = Ctx::new(4) else { return };
    let (rx, _tx) = pipe();
    let mut buf = [0u8; 8];
    let mut r = pread(rx.as_raw_fd(), &mut buf, 0);
    r.data = 42;
    // SAFETY: `buf` outlives the request (its event is reaped below).
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    let mut result = IoEvent::default();
    // SAFETY: `r` is the submitted iocb.
    let rc = unsafe { io_cancel(ctx.0, &mut r, &mut result) };
    assert_eq!(rc, -libc::EINPROGRESS);
    let ev = ctx.wait(1)[0];
    assert_eq!((ev.data, ev.obj), (42, &r as *const Iocb as u64));
    assert_eq!(ev.res as i64, -i64::from(libc::ECANCELED));
    // SAFETY: as above.
    let rc = unsafe { io_cancel(ctx.0, &mut r, &mut result) };
    assert_eq!(rc, -libc::EINVAL, "reaped");
}

#[test]
fn cancel_what_is_not_in_flight() {
    let Some(ctx) = Ctx::new(4) else { return };
    let mut n = noop(1);
    let mut never = noop(2);
    let mut result = IoEvent::default();
    // SAFETY: all iocbs are live; a null one is refused before use.
    unsafe {
        assert_eq!(io_cancel(ctx.0, &mut never, &mut result), -libc::EINVAL);
        assert_eq!(
            io_cancel(ctx.0, ptr::null_mut(), &mut result),
            -libc::EFAULT
        );
        assert_eq!(ctx.submit(&mut [&mut n]), 1);
    }
    ctx.wait(1);
    // SAFETY: as above.
    unsafe {
        assert_eq!(
            io_cancel(ctx.0, &mut n, &mut result),
            -libc::EINVAL,
            "completed"
        );
        never.key = 1;
        assert_eq!(
            io_cancel(ctx.0, &mut never, &mut result),
            -libc::EINVAL,
            "bad key"
        );
    }
}

#[test]
fn cancel_twice_and_the_0_1_entry_point() {
    let Some(ctx) = Ctx::new(4) else { return };
    let (rx, _tx) = pipe();
    let mut buf = [0u8; 1];
    let mut p = poll(rx.as_raw_fd(), libc::POLLIN);
    let mut r = pread(rx.as_raw_fd(), &mut buf, 0);
    // SAFETY: `buf` outlives the requests.
    assert_eq!(unsafe { ctx.submit(&mut [&mut p, &mut r]) }, 2);
    // SAFETY: both are submitted iocbs.
    unsafe {
        assert_eq!(io_cancel_0_1(ctx.0, &mut p), -libc::EINPROGRESS);
        assert_eq!(
            io_cancel_0_1(ctx.0, &mut p),
            -libc::EINVAL,
            "already cancelled"
        );
        assert_eq!(io_cancel_0_1(ctx.0, &mut r), -libc::EINPROGRESS);
    }
    let events = ctx.wait(2);
    assert!(events
        .iter()
        .all(|e| e.res as i64 == -i64::from(libc::ECANCELED)));
}
