//! `Context::cancel`, and requests the kernel fails: each still ends in exactly one event.

mod common;

use std::os::fd::AsRawFd;

use common::NEVER_OPEN;
use ringaio_core::{Event, Iocb, Target};

#[test]
fn cancelled_pipe_read_ends_with_ecanceled() {
    let (r, _w) = common::pipe();
    let mut buf = [0xa5u8; 8];
    let read = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 8, 0).with_data(7);
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `buf` outlives `ctx`, whose drop waits for the read.
    assert_eq!(unsafe { ctx.submit(&[&read]) }.unwrap(), 1);
    ctx.cancel(7).unwrap();
    // Cancelling twice is harmless: one event comes either way.
    ctx.cancel(7).unwrap();
    let mut events = [Event::default(); 2];
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
    assert_eq!(events[0].data, 7);
    assert_eq!(events[0].res, -i64::from(libc::ECANCELED));
    assert_eq!(ctx.in_flight(), 0);
    // The context's own cancel request never shows up as an event.
    let none = ctx.get_events(0, &mut events, None).unwrap();
    assert_eq!(none, 0);
    assert_eq!(buf, [0xa5; 8]);
}

#[test]
fn cancel_of_nothing_in_flight_is_einval() {
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    let err = ctx.cancel(42).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}

#[test]
fn bad_fd_ends_with_ebadf() {
    let mut buf = [0u8; 8];
    let read = Iocb::pread(Target::Fd(NEVER_OPEN), buf.as_mut_ptr(), 8, 0).with_data(1);
    let poll = Iocb::poll(Target::Fd(NEVER_OPEN), libc::POLLIN as u32).with_data(2);
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `buf` outlives `ctx`, whose drop waits for the requests.
    assert_eq!(unsafe { ctx.submit(&[&read, &poll]) }.unwrap(), 2);
    let mut events = [Event::default(); 2];
    assert_eq!(ctx.get_events(2, &mut events, None).unwrap(), 2);
    events.sort_by_key(|e| e.data);
    for (event, data) in events.iter().zip([1, 2]) {
        assert_eq!(event.data, data);
        assert_eq!(event.res, -i64::from(libc::EBADF));
    }
}
