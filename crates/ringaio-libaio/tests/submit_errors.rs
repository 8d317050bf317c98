//! `io_submit`'s refusals and partial counts, with the kernel's error codes.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;

#[test]
fn counts_and_bad_contexts() {
    let Some(ctx) = Ctx::new(8) else { return };
    let mut n = noop(1);
    let mut list = [&mut n as *mut Iocb];
    // SAFETY: every call gets a valid list or a null one with the matching count.
    unsafe {
        assert_eq!(io_submit(ctx.0, -1, list.as_mut_ptr()), -libc::EINVAL);
        assert_eq!(io_submit(ctx.0, 0, list.as_mut_ptr()), 0);
        assert_eq!(io_submit(ctx.0, 1, ptr::null_mut()), -libc::EFAULT);
        let bogus = 0x1000 as IoContext;
        assert_eq!(io_submit(bogus, 1, list.as_mut_ptr()), -libc::EINVAL);
        assert_eq!(
            io_submit(ptr::null_mut(), 1, list.as_mut_ptr()),
            -libc::EINVAL
        );
    }
    let mut nulls = [ptr::null_mut::<Iocb>()];
    // SAFETY: a null iocb pointer is refused before use.
    let rc = unsafe { io_submit(ctx.0, 1, nulls.as_mut_ptr()) };
    assert_eq!(rc, -libc::EFAULT);
}

#[test]
fn first_bad_iocb_stops_the_batch() {
    let Some(ctx) = Ctx::new(8) else { return };
    let (mut a, mut b, mut c) = (noop(1), noop(2), noop(3));
    let mut bad = pread(NEVER_OPEN, &mut [], 0);
    // SAFETY: no request points at memory.
    let queued = unsafe { ctx.submit(&mut [&mut a, &mut b, &mut bad, &mut c]) };
    assert_eq!(queued, 2, "the two before the bad fd");
    let mut events = ctx.wait(2);
    events.sort_by_key(|e| e.data);
    assert_eq!([events[0].data, events[1].data], [1, 2]);
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut bad, &mut c]) }, -libc::EBADF);
}

#[test]
fn kernel_refusals() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("refuse");
    dir.file("data", b"0123456789");
    let ro = std::fs::File::open(dir.path("data")).expect("open");
    let fd = ro.as_raw_fd();
    let mut buf = [0u8; 4];
    let submit1 = |iocb: &mut Iocb| {
        // SAFETY: `buf` outlives the call; refused requests never reach the kernel.
        unsafe { ctx.submit(&mut [iocb]) }
    };
    let mut w = pwrite(fd, b"xx", 0);
    assert_eq!(submit1(&mut w), -libc::EBADF, "write on a read-only fd");
    let mut r = pread(fd, &mut buf, -1);
    assert_eq!(submit1(&mut r), -libc::EINVAL, "negative offset");
    let mut r = pread(fd, &mut buf, 0);
    r.reserved2 = 1;
    assert_eq!(submit1(&mut r), -libc::EINVAL, "reserved field");
    let mut r = pread(fd, &mut buf, 0);
    r.aio_lio_opcode = 4;
    assert_eq!(
        submit1(&mut r),
        -libc::EINVAL,
        "IO_CMD_PREADX does not exist"
    );
    let mut r = pread(fd, &mut buf, 0);
    r.aio_rw_flags = 1 << 20;
    assert_eq!(submit1(&mut r), -libc::EOPNOTSUPP, "unknown RWF_ flag");
    let mut s = sync(fd, false);
    s.offset = 1;
    assert_eq!(submit1(&mut s), -libc::EINVAL, "fsync with an offset");
    let mut r = pread(fd, &mut buf, 0);
    r.flags = IOCB_FLAG_RESFD;
    r.resfd = NEVER_OPEN as u32;
    assert_eq!(submit1(&mut r), -libc::EBADF, "bad resfd");
    let mut r = pread(fd, &mut buf, 0);
    r.flags = IOCB_FLAG_IOPRIO;
    r.aio_reqprio = 7 << 13;
    assert_eq!(submit1(&mut r), -libc::EINVAL, "no I/O priority class 7");
}

#[test]
fn a_full_context_is_eagain() {
    let Some(ctx) = Ctx::new(2) else { return };
    let (rx, tx) = pipe();
    let mut bufs = [[0u8; 1]; 3];
    let [b0, b1, b2] = &mut bufs;
    let mut r0 = pread(rx.as_raw_fd(), b0, 0);
    let mut r1 = pread(rx.as_raw_fd(), b1, 0);
    let mut r2 = pread(rx.as_raw_fd(), b2, 0);
    // SAFETY: the buffers outlive the requests (reaped below, before they go).
    assert_eq!(unsafe { ctx.submit(&mut [&mut r0, &mut r1, &mut r2]) }, 2);
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r2]) }, -libc::EAGAIN);
    write_fd(tx.as_raw_fd(), b"ab");
    let events = ctx.wait(2);
    assert!(events.iter().all(|e| e.res == 1));
    // Reaped: room again.
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r2]) }, 1);
    write_fd(tx.as_raw_fd(), b"c");
    assert_eq!(ctx.wait(1)[0].res, 1);
}

#[test]
fn a_lone_bad_fd_is_ebadf_at_submit_and_leaves_no_event() {
    let Some(ctx) = Ctx::new(4) else { return };
    let dir = Scratch::new("lone");
    dir.file("data", b"0123456789");
    let ro = std::fs::File::open(dir.path("data")).expect("open");
    let mut buf = [0u8; 4];
    let mut closed = pread(NEVER_OPEN, &mut buf, 0);
    let mut wrong_way = pwrite(ro.as_raw_fd(), b"no", 0);
    let mut sync_closed = sync(NEVER_OPEN, false);
    let mut poll_closed = poll(NEVER_OPEN, libc::POLLIN);
    for iocb in [
        &mut closed,
        &mut wrong_way,
        &mut sync_closed,
        &mut poll_closed,
    ] {
        // SAFETY: `buf` outlives the call; refused requests leave nothing in flight.
        assert_eq!(unsafe { ctx.submit(&mut [iocb]) }, -libc::EBADF);
    }
    let mut good = pread(ro.as_raw_fd(), &mut buf, 2);
    // SAFETY: as above; reaped below.
    assert_eq!(unsafe { ctx.submit(&mut [&mut good]) }, 1);
    let ev = ctx.wait(1)[0];
    assert_eq!((ev.obj, ev.res), (&good as *const Iocb as u64, 4));
    assert_eq!(&buf, b"2345");
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut more = [IoEvent::default(); 4];
    assert_eq!(
        ctx.get(0, &mut more, Some(zero)),
        0,
        "no event for refused requests"
    );
}
