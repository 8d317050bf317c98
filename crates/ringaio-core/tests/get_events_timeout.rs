//! `Context::get_events` returns once `min_nr` events are there or the timeout has passed.
//!
//! Only counts are asserted, never elapsed times.

mod common;

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

use ringaio_core::{Event, Iocb, Target};

#[test]
fn pending_read_and_a_timeout_return_no_events() {
    let (r, _w) = common::pipe();
    let mut buf = [0u8; 8];
    let read = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 8, 0).with_data(1);
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `buf` outlives `ctx`, whose drop waits for the read.
    assert_eq!(unsafe { ctx.submit(&[&read]) }.unwrap(), 1);
    let mut events = [Event::default(); 4];
    let got = ctx.get_events(1, &mut events, Some(Duration::from_millis(50)));
    assert_eq!(got.unwrap(), 0);
    assert_eq!(ctx.in_flight(), 1);
}

#[test]
fn min_nr_is_waited_for_and_no_more() {
    let (r, w) = common::pipe();
    let mut buf = [0u8; 8];
    let read = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 8, 0).with_data(3);
    let (a, b) = (Iocb::noop().with_data(1), Iocb::noop().with_data(2));
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `buf` outlives `ctx`, whose drop waits for the read; noops point at nothing.
    assert_eq!(unsafe { ctx.submit(&[&a, &b, &read]) }.unwrap(), 3);
    let mut events = [Event::default(); 4];

    // Three wanted, two can come: the timeout ends the wait with the two.
    let got = ctx.get_events(3, &mut events, Some(Duration::from_millis(50)));
    assert_eq!(got.unwrap(), 2);
    let mut data = [events[0].data, events[1].data];
    data.sort_unstable();
    assert_eq!(data, [1, 2]);

    // The read completes once written; with no timeout the wait is for exactly min_nr.
    File::from(w).write_all(b"late").unwrap();
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
    assert_eq!((events[0].data, events[0].res), (3, 4));
    assert_eq!(&buf[..4], b"late");
}

#[test]
fn min_nr_zero_does_not_wait() {
    let (r, _w) = common::pipe();
    let mut buf = [0u8; 8];
    let read = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 8, 0).with_data(1);
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `buf` outlives `ctx`, whose drop waits for the read.
    assert_eq!(unsafe { ctx.submit(&[&read]) }.unwrap(), 1);
    let mut events = [Event::default(); 4];
    // A wait with no limit would never end: min_nr 0 must return at once.
    assert_eq!(ctx.get_events(0, &mut events, None).unwrap(), 0);
}

#[test]
fn impossible_waits_are_einval() {
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    let noop = Iocb::noop();
    // SAFETY: a noop points at no memory.
    assert_eq!(unsafe { ctx.submit(&[&noop]) }.unwrap(), 1);
    let mut events = [Event::default(); 2];
    // More wanted than there is room for.
    let err = ctx
        .get_events(3, &mut events, Some(Duration::ZERO))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    // More wanted, with no timeout, than are in flight: the wait could never end.
    let err = ctx.get_events(2, &mut events, None).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
}

/// `Duration::MAX` used to panic ("overflow when adding duration to instant") even with an
/// event already waiting; it is a wait without a bound.
#[test]
fn duration_max_is_no_bound_not_a_panic() {
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    let nop = Iocb::noop().with_data(5);
    // SAFETY: a no-op points at no memory.
    assert_eq!(unsafe { ctx.submit(&[&nop]) }.unwrap(), 1);
    let mut events = [Event::default(); 4];
    let got = ctx.get_events(1, &mut events, Some(Duration::MAX));
    assert_eq!(got.unwrap(), 1);
    assert_eq!(events[0].data, 5);
    let got = ctx.get_events(0, &mut events, Some(Duration::MAX));
    assert_eq!(got.unwrap(), 0, "nothing in flight, nothing wanted");
}

#[test]
fn an_endless_wait_for_more_than_in_flight_is_einval() {
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    let mut events = [Event::default(); 4];
    let err = ctx
        .get_events(1, &mut events, Some(Duration::MAX))
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
}
