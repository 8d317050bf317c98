//! `Context::submit` queues a batch in order and stops at the first iocb it cannot queue.

mod common;

use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
use std::ptr;

use ringaio_core::{Event, Iocb, Target};

/// An iocb `validate` refuses: a one-byte read into a null buffer.
fn invalid() -> Iocb {
    Iocb::pread(Target::Fd(0), ptr::null_mut(), 1, 0).with_data(99)
}

#[test]
fn invalid_middle_iocb_stops_the_batch_after_one() {
    let Some(mut ctx) = common::context(8) else {
        return;
    };
    let (first, bad, last) = (
        Iocb::noop().with_data(1),
        invalid(),
        Iocb::noop().with_data(3),
    );
    // SAFETY: noops point at no memory, and the invalid iocb never reaches the kernel.
    assert_eq!(unsafe { ctx.submit(&[&first, &bad, &last]) }.unwrap(), 1);
    assert_eq!(ctx.in_flight(), 1);
    let mut events = [Event::default(); 4];
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
    assert_eq!((events[0].data, events[0].res), (1, 0));
    assert_eq!(ctx.in_flight(), 0);
}

#[test]
fn invalid_first_iocb_is_the_error() {
    let Some(mut ctx) = common::context(8) else {
        return;
    };
    let (bad, noop) = (invalid(), Iocb::noop().with_data(2));
    // SAFETY: the noop points at no memory, and the invalid iocb never reaches the kernel.
    let err = unsafe { ctx.submit(&[&bad, &noop]) }.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(ctx.in_flight(), 0);
}

#[test]
fn empty_batch_queues_nothing() {
    let Some(mut ctx) = common::context(8) else {
        return;
    };
    // SAFETY: there is nothing to point at.
    assert_eq!(unsafe { ctx.submit(&[]) }.unwrap(), 0);
}

#[test]
fn more_than_nr_events_in_flight_would_block() {
    let pipes = [common::pipe(), common::pipe(), common::pipe()];
    let mut bufs = [[0u8; 4]; 3];
    let reads: Vec<Iocb> = bufs
        .iter_mut()
        .zip(&pipes)
        .enumerate()
        .map(|(i, (buf, (r, _)))| {
            Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 4, 0).with_data(i as u64)
        })
        .collect();
    // Declared after the buffers, so dropped (waiting for the reads) before them.
    let Some(mut ctx) = common::context(2) else {
        return;
    };
    // Nothing is written to the pipes, so the reads stay in flight. A batch bigger than the
    // room left queues what fits.
    // SAFETY: `bufs` outlives `ctx`, whose drop waits for the reads.
    let queued = unsafe { ctx.submit(&[&reads[0], &reads[1], &reads[2]]) };
    assert_eq!(queued.unwrap(), 2);
    // SAFETY: as above.
    let err = unsafe { ctx.submit(&[&reads[2]]) }.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(err.raw_os_error(), Some(libc::EAGAIN));
    assert_eq!(ctx.in_flight(), 2);

    // Completing and reaping one makes room for one.
    std::fs::File::from(pipes[0].1.try_clone().unwrap())
        .write_all(b"go")
        .unwrap();
    let mut events = [Event::default(); 2];
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
    assert_eq!((events[0].data, events[0].res), (0, 2));
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&[&reads[2]]) }.unwrap(), 1);
    // SAFETY: as above.
    let err = unsafe { ctx.submit(&[&reads[0]]) }.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}
