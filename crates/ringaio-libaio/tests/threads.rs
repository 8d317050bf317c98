//! One thread submitting while others wait on the same context, as the kernel allows.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;
use std::sync::Arc;

#[test]
fn a_waiter_gets_what_another_thread_submits() {
    let Some(ctx) = Ctx::new(8) else { return };
    let raw = ctx.0 as usize;
    let waiter = std::thread::spawn(move || {
        let mut ev = [IoEvent::default(); 1];
        // SAFETY: `ev` is writable; the context lives until joined.
        let n = unsafe { io_getevents(raw as IoContext, 1, 1, ev.as_mut_ptr(), ptr::null_mut()) };
        (n, ev[0])
    });
    std::thread::sleep(std::time::Duration::from_millis(10));
    let (rx, tx) = pipe();
    let mut buf = [0u8; 3];
    let mut r = pread(rx.as_raw_fd(), &mut buf, 0);
    r.data = 5;
    // SAFETY: `buf` outlives the request: the waiter reaps it before the join returns.
    assert_eq!(unsafe { ctx.submit(&mut [&mut r]) }, 1);
    write_fd(tx.as_raw_fd(), b"abc");
    let (n, ev) = waiter.join().expect("waiter");
    assert_eq!((n, ev.data, ev.res), (1, 5, 3));
    assert_eq!(&buf, b"abc");
}

#[test]
fn many_submitters_and_waiters_lose_nothing() {
    let Some(ctx) = Ctx::new(64) else { return };
    let ctx = Arc::new(ctx);
    const PER: u64 = 500;
    let submitters: Vec<_> = (0..3u64)
        .map(|t| {
            let ctx = Arc::clone(&ctx);
            std::thread::spawn(move || {
                let mut sent = 0;
                while sent < PER {
                    let mut n = noop(t * PER + sent);
                    // SAFETY: NOOPs point at no memory.
                    match unsafe { ctx.submit(&mut [&mut n]) } {
                        1 => sent += 1,
                        e if e == -libc::EAGAIN => std::thread::yield_now(),
                        e => panic!("io_submit: {e}"),
                    }
                }
            })
        })
        .collect();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let ctx = Arc::clone(&ctx);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut ev = [IoEvent::default(); 16];
                let step = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 20_000_000,
                };
                let mut idle = 0;
                while idle < 25 {
                    let n = ctx.get(1, &mut ev, Some(step));
                    assert!(n >= 0, "io_getevents: {n}");
                    if n == 0 {
                        idle += 1;
                    } else {
                        idle = 0;
                    }
                    seen.extend(ev[..n as usize].iter().map(|e| e.data));
                }
                seen
            })
        })
        .collect();
    for s in submitters {
        s.join().expect("submitter");
    }
    let mut all: Vec<u64> = waiters
        .into_iter()
        .flat_map(|w| w.join().expect("waiter"))
        .collect();
    // Whatever the waiters gave up on before the last submits is still there.
    let mut ev = [IoEvent::default(); 64];
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        let n = ctx.get(0, &mut ev, Some(zero));
        if n <= 0 {
            break;
        }
        all.extend(ev[..n as usize].iter().map(|e| e.data));
    }
    all.sort_unstable();
    assert_eq!(all, (0..3 * PER).collect::<Vec<_>>());
}
