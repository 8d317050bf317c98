//! Every opcode round trip through the ABI: bytes read back, `obj` and `data` in the events.

mod common;
use common::*;

use std::os::fd::AsRawFd;

#[test]
fn pwrite_then_pread_returns_the_bytes() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("rw");
    let file = dir.file("data", &[0u8; 8192]);
    let fd = file.as_raw_fd();
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
    let mut w = pwrite(fd, &data, 4096);
    w.data = 0xfeed;
    // SAFETY: `data` outlives the request (reaped below).
    assert_eq!(unsafe { ctx.submit(&mut [&mut w]) }, 1);
    assert_eq!(w.key, KIOCB_KEY);
    let ev = ctx.wait(1)[0];
    assert_eq!(ev.data, 0xfeed);
    assert_eq!(ev.obj, &w as *const Iocb as u64);
    assert_eq!(ev.res, 4096);
    assert_eq!(ev.res2, 0);

    let mut back = vec![0u8; 4096];
    let mut r = pread(fd, &mut back, 4096);
    r.data = 0xbeef;
    // SAFETY: `back` outlives the request.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    let ev = ctx.wait(1)[0];
    assert_eq!((ev.data, ev.res), (0xbeef, 4096));
    assert_eq!(back, data);
    assert_eq!(
        std::fs::read(dir.path("data")).expect("read")[4096..],
        data[..]
    );
}

#[test]
fn vectored_reads_and_writes() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("rwv");
    let file = dir.file("data", b"");
    let fd = file.as_raw_fd();
    let (a, b) = (b"hello, ".to_vec(), b"vectored world".to_vec());
    let iov = [
        libc::iovec {
            iov_base: a.as_ptr() as *mut _,
            iov_len: a.len(),
        },
        libc::iovec {
            iov_base: b.as_ptr() as *mut _,
            iov_len: b.len(),
        },
    ];
    let mut w = vectored(IO_CMD_PWRITEV, fd, &iov, 0);
    // SAFETY: the iovecs and their buffers outlive the request.
    assert_eq!(unsafe { ctx.submit(&mut [&mut w]) }, 1);
    assert_eq!(ctx.wait(1)[0].res, 21);
    assert_eq!(
        std::fs::read(dir.path("data")).expect("read"),
        b"hello, vectored world"
    );

    let (mut x, mut y) = (vec![0u8; 5], vec![0u8; 16]);
    let iov = [
        libc::iovec {
            iov_base: x.as_mut_ptr().cast(),
            iov_len: x.len(),
        },
        libc::iovec {
            iov_base: y.as_mut_ptr().cast(),
            iov_len: y.len(),
        },
    ];
    let mut r = vectored(IO_CMD_PREADV, fd, &iov, 2);
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    assert_eq!(ctx.wait(1)[0].res, 19, "short read at end of file");
    assert_eq!(&x, b"llo, ");
    assert_eq!(&y[..14], b"vectored world");
}

#[test]
fn fsync_fdsync_and_noop_complete_with_zero() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("sync");
    let file = dir.file("data", b"x");
    let fd = file.as_raw_fd();
    let (mut s, mut d, mut n) = (sync(fd, false), sync(fd, true), noop(3));
    s.data = 1;
    d.data = 2;
    // SAFETY: these requests point at no memory.
    assert_eq!(unsafe { ctx.submit(&mut [&mut s, &mut d, &mut n]) }, 3);
    let mut events = ctx.wait(3);
    events.sort_by_key(|e| e.data);
    assert_eq!(
        events.iter().map(|e| (e.data, e.res)).collect::<Vec<_>>(),
        [(1, 0), (2, 0), (3, 0)]
    );
}

#[test]
fn poll_reports_the_ready_mask() {
    let Some(ctx) = Ctx::new(8) else { return };
    let (rx, tx) = pipe();
    let mut p = poll(rx.as_raw_fd(), libc::POLLIN);
    // SAFETY: a poll points at no memory.
    assert_eq!(unsafe { ctx.submit(&mut [&mut p]) }, 1);
    let mut none = [IoEvent::default(); 1];
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    assert_eq!(ctx.get(0, &mut none, Some(zero)), 0, "nothing to read yet");
    write_fd(tx.as_raw_fd(), b"!");
    let ev = ctx.wait(1)[0];
    assert_eq!(
        ev.res as i64 & i64::from(libc::POLLIN),
        i64::from(libc::POLLIN)
    );
}

#[test]
fn errors_of_the_operation_come_back_in_res() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("eres");
    std::fs::create_dir(dir.path("sub")).expect("mkdir");
    let d = std::fs::File::open(dir.path("sub")).expect("open dir");
    let mut buf = [0u8; 16];
    let mut r = pread(d.as_raw_fd(), &mut buf, 0);
    // SAFETY: `buf` outlives the request.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    assert_eq!(ctx.wait(1)[0].res as i64, -i64::from(libc::EISDIR));
}

#[test]
fn rw_flags_and_io_priority_reach_the_request() {
    let Some(ctx) = Ctx::new(8) else { return };
    let dir = Scratch::new("flags");
    let file = dir.file("data", b"");
    let fd = file.as_raw_fd();
    let mut w = pwrite(fd, b"synced", 0);
    w.aio_rw_flags = libc::RWF_DSYNC;
    w.flags = IOCB_FLAG_IOPRIO;
    w.aio_reqprio = (2 << 13) | 4; // best effort, level 4
    let mut a = pwrite(fd, b"+appended", 0);
    a.aio_rw_flags = libc::RWF_APPEND;
    // SAFETY: the buffers are static.
    assert_eq!(unsafe { ctx.submit(&mut [&mut w]) }, 1);
    assert_eq!(ctx.wait(1)[0].res, 6);
    // SAFETY: as above.
    assert_eq!(unsafe { ctx.submit(&mut [&mut a]) }, 1);
    assert_eq!(ctx.wait(1)[0].res, 9);
    assert_eq!(
        std::fs::read(dir.path("data")).expect("read"),
        b"synced+appended",
        "RWF_APPEND wrote at the end, not at offset 0"
    );
}
