//! `io_pgetevents` waits with the caller's signal mask, and a signal ends a wait with EINTR.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

extern "C" fn on_sigusr1(_: libc::c_int) {}

#[test]
fn a_signal_unblocked_by_the_mask_interrupts_the_wait() {
    let Some(ctx) = Ctx::new(4) else { return };
    // SAFETY: installs a handler that does nothing, for SIGUSR1 only.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, ptr::null_mut()), 0);
    }
    let (rx, _tx) = pipe();
    let mut buf = [0u8; 1];
    let mut r = pread(rx.as_raw_fd(), &mut buf, 0);
    // SAFETY: `buf` outlives the request: it is cancelled and reaped below.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    let raw = ctx.0 as usize;
    let (tid_tx, tid_rx) = mpsc::channel();
    static WAITING: AtomicBool = AtomicBool::new(false);
    let waiter = std::thread::spawn(move || {
        // SAFETY: `blocked` and `open` are initialised sigsets; the events buffer is live.
        unsafe {
            let mut blocked: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut blocked);
            libc::sigaddset(&mut blocked, libc::SIGUSR1);
            libc::pthread_sigmask(libc::SIG_BLOCK, &blocked, ptr::null_mut());
            let mut open: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut open);
            tid_tx.send(libc::pthread_self()).expect("send tid");
            WAITING.store(true, Ordering::Release);
            let mut ev = [IoEvent::default(); 1];
            io_pgetevents(
                raw as IoContext,
                1,
                1,
                ev.as_mut_ptr(),
                ptr::null_mut(),
                &mut open,
            )
        }
    });
    let tid = tid_rx.recv().expect("tid");
    // The signal stays pending while blocked outside the wait, so sending it early is fine:
    // the wait unblocks it and returns at once.
    while !WAITING.load(Ordering::Acquire) {
        std::thread::yield_now();
    }
    // SAFETY: the waiter thread is alive until joined.
    assert_eq!(unsafe { libc::pthread_kill(tid, libc::SIGUSR1) }, 0);
    assert_eq!(waiter.join().expect("waiter"), -libc::EINTR);
    let mut result = IoEvent::default();
    // SAFETY: `r` is in flight.
    let rc = unsafe { io_cancel(ctx.0, &mut r, &mut result) };
    assert_eq!(rc, -libc::EINPROGRESS);
    assert_eq!(ctx.wait(1)[0].res as i64, -i64::from(libc::ECANCELED));
}
