//! Dropping a `Context` (`io_destroy`) cancels what is in flight, waits for it, and leaves the
//! requests' memory alone from then on.

mod common;

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};

use ringaio_core::Timespec;
use ringaio_core::{Iocb, Target};

/// Bytes waiting in a pipe, without reading them (`FIONREAD`).
fn queued_bytes(r: &OwnedFd) -> libc::c_int {
    let mut n: libc::c_int = -1;
    // SAFETY: FIONREAD writes one int through the pointer, which points at `n`.
    let res = unsafe { libc::ioctl(r.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(res, 0, "FIONREAD: {}", std::io::Error::last_os_error());
    n
}

#[test]
fn drop_with_pipe_reads_in_flight_returns_and_leaves_the_buffers() {
    let pipes = [common::pipe(), common::pipe()];
    let mut bufs = [[0x5au8; 16]; 2];
    let reads: Vec<Iocb> = bufs
        .iter_mut()
        .zip(&pipes)
        .enumerate()
        .map(|(i, (buf, (r, _)))| {
            Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 16, 0).with_data(i as u64)
        })
        .collect();
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `bufs` outlives `ctx`, whose drop below waits for the reads.
    assert_eq!(unsafe { ctx.submit(&[&reads[0], &reads[1]]) }.unwrap(), 2);
    assert_eq!(ctx.in_flight(), 2);
    drop(ctx);

    for (_, w) in &pipes {
        File::from(w.try_clone().unwrap())
            .write_all(b"after drop")
            .unwrap();
    }
    // The reads are gone: the bytes stay in the pipes, and the buffers keep their pattern.
    for (r, _) in &pipes {
        assert_eq!(queued_bytes(r), 10);
    }
    assert_eq!(bufs, [[0x5a; 16]; 2]);
}

#[test]
fn drop_with_a_poll_and_a_long_timeout_in_flight_returns() {
    let (r, _w) = common::pipe();
    let ts = Timespec::from_duration(std::time::Duration::from_secs(3600));
    let poll = Iocb::poll(Target::Fd(r.as_raw_fd()), libc::POLLIN as u32).with_data(1);
    let timeout = Iocb::timeout(&ts).with_data(2);
    let Some(mut ctx) = common::context(4) else {
        return;
    };
    // SAFETY: `ts` outlives `ctx`, whose drop waits for the timeout.
    assert_eq!(unsafe { ctx.submit(&[&poll, &timeout]) }.unwrap(), 2);
    // Ask for one of them to be cancelled already: drop must not cancel it twice and wait on a
    // completion that never comes.
    ctx.cancel(1).unwrap();
    drop(ctx);
}

#[test]
fn drop_with_unreaped_completions_returns() {
    let noops = [Iocb::noop().with_data(1), Iocb::noop().with_data(2)];
    let Some(mut ctx) = common::context(2) else {
        return;
    };
    // SAFETY: noops point at no memory.
    assert_eq!(unsafe { ctx.submit(&[&noops[0], &noops[1]]) }.unwrap(), 2);
    drop(ctx);
}
