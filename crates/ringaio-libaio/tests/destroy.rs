//! `io_destroy` with requests in flight: it cancels them, waits for the kernel, and wakes
//! threads waiting on the context.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;

#[test]
fn destroy_cancels_and_waits_for_requests_in_flight() {
    let Some(ctx) = Ctx::new(8) else { return };
    let (rx, tx) = pipe();
    let mut bufs = [[0u8; 4]; 4];
    let mut reads: Vec<Iocb> = bufs
        .iter_mut()
        .map(|b| pread(rx.as_raw_fd(), b, 0))
        .collect();
    let mut refs: Vec<&mut Iocb> = reads.iter_mut().collect();
    // SAFETY: `bufs` outlives the requests: destroy waits for all of them.
    assert_eq!(unsafe { ctx.submit(&mut refs) }, 4);
    // SAFETY: a context from io_setup.
    assert_eq!(unsafe { io_destroy(ctx.0) }, 0);
    // Nothing in flight reads the pipe any more: what is written stays there.
    write_fd(tx.as_raw_fd(), b"left");
    let mut back = [0u8; 4];
    // SAFETY: reads into a live buffer.
    let n = unsafe { libc::read(rx.as_raw_fd(), back.as_mut_ptr().cast(), 4) };
    assert_eq!((n, &back), (4, b"left"));
    std::mem::forget(ctx);
}

#[test]
fn destroy_wakes_a_waiter() {
    let Some(ctx) = Ctx::new(8) else { return };
    let raw = ctx.0 as usize;
    let waiter = std::thread::spawn(move || {
        let mut ev = [IoEvent::default(); 1];
        // SAFETY: `ev` is writable; the context may be destroyed meanwhile (EINVAL).
        unsafe { io_getevents(raw as IoContext, 1, 1, ev.as_mut_ptr(), ptr::null_mut()) }
    });
    // Let the waiter block first; if it has not yet, it finds the context gone: same answer.
    std::thread::sleep(std::time::Duration::from_millis(20));
    // SAFETY: a context from io_setup.
    assert_eq!(unsafe { io_destroy(ctx.0) }, 0);
    assert_eq!(waiter.join().expect("waiter"), -libc::EINVAL);
    std::mem::forget(ctx);
}
