//! `io_getevents`: `min_nr`, `nr`, the timeout, its errors.

mod common;
use common::*;

use std::os::fd::AsRawFd;
use std::ptr;

const ZERO: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

#[test]
fn argument_errors() {
    let Some(ctx) = Ctx::new(4) else { return };
    let mut events = [IoEvent::default(); 2];
    assert_eq!(ctx.get(3, &mut events, None), -libc::EINVAL, "min_nr > nr");
    assert_eq!(ctx.get(-1, &mut events, None), -libc::EINVAL);
    // SAFETY: a null events pointer with nr > 0 is refused before use.
    unsafe {
        assert_eq!(
            io_getevents(ctx.0, 0, 1, ptr::null_mut(), ptr::null_mut()),
            -libc::EFAULT
        );
        assert_eq!(
            io_getevents(
                0x1000 as IoContext,
                0,
                2,
                events.as_mut_ptr(),
                ptr::null_mut()
            ),
            -libc::EINVAL
        );
    }
}

#[test]
fn zero_timeout_polls_and_min_zero_returns_at_once() {
    let Some(ctx) = Ctx::new(4) else { return };
    let mut events = [IoEvent::default(); 4];
    assert_eq!(ctx.get(1, &mut events, Some(ZERO)), 0);
    assert_eq!(ctx.get(0, &mut events, None), 0, "min_nr 0 does not wait");
    let short = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    assert_eq!(ctx.get(1, &mut events, Some(short)), 0, "timed out empty");
}

#[test]
fn nr_caps_and_the_rest_stays_for_later() {
    let Some(ctx) = Ctx::new(8) else { return };
    let mut iocbs: Vec<Iocb> = (0..5).map(noop).collect();
    let mut refs: Vec<&mut Iocb> = iocbs.iter_mut().collect();
    // SAFETY: NOOPs point at no memory.
    assert_eq!(unsafe { ctx.submit(&mut refs) }, 5);
    let mut two = [IoEvent::default(); 2];
    assert_eq!(ctx.get(2, &mut two, None), 2);
    let mut rest = ctx.wait(3);
    rest.extend_from_slice(&two);
    let mut data: Vec<u64> = rest.iter().map(|e| e.data).collect();
    data.sort_unstable();
    assert_eq!(data, [0, 1, 2, 3, 4]);
    let mut more = [IoEvent::default(); 1];
    assert_eq!(ctx.get(0, &mut more, Some(ZERO)), 0, "nothing left");
}

#[test]
fn min_nr_waits_for_that_many() {
    let Some(ctx) = Ctx::new(8) else { return };
    let (rx, tx) = pipe();
    let mut bufs = [[0u8; 1]; 3];
    let mut reads: Vec<Iocb> = bufs
        .iter_mut()
        .enumerate()
        .map(|(i, b)| Iocb {
            data: i as u64,
            ..pread(rx.as_raw_fd(), b, 0)
        })
        .collect();
    let mut refs: Vec<&mut Iocb> = reads.iter_mut().collect();
    // SAFETY: `bufs` outlives the requests (all reaped below).
    assert_eq!(unsafe { ctx.submit(&mut refs) }, 3);
    let writer = std::thread::spawn(move || {
        for b in [b"a", b"b", b"c"] {
            std::thread::sleep(std::time::Duration::from_millis(5));
            write_fd(tx.as_raw_fd(), b);
        }
    });
    let mut events = [IoEvent::default(); 3];
    assert_eq!(ctx.get(3, &mut events, None), 3);
    writer.join().expect("writer");
    assert!(events.iter().all(|e| e.res == 1));
    let mut got: Vec<u8> = bufs.iter().map(|b| b[0]).collect();
    got.sort_unstable();
    assert_eq!(got, b"abc");
}

#[test]
fn pgetevents_and_the_0_1_entry_points() {
    let Some(ctx) = Ctx::new(4) else { return };
    let (mut a, mut b) = (noop(1), noop(2));
    // SAFETY: NOOPs point at no memory.
    assert_eq!(unsafe { ctx.submit(&mut [&mut a, &mut b]) }, 2);
    let mut ev = [IoEvent::default(); 1];
    // SAFETY: `set` is an initialised sigset; `ev` is writable.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        assert_eq!(
            io_pgetevents(ctx.0, 1, 1, ev.as_mut_ptr(), ptr::null_mut(), &mut set),
            1
        );
        assert_eq!(
            io_getevents_0_1(ctx.0, 1, ev.as_mut_ptr(), ptr::null_mut()),
            1
        );
        let mut zero = ZERO;
        assert_eq!(io_queue_wait(ctx.0, &mut zero), 0);
        assert_eq!(io_queue_wait_0_1(ctx.0, &mut zero), 0);
    }
}

#[test]
fn nr_larger_than_the_context_is_fine() {
    let Some(ctx) = Ctx::new(2) else { return };
    let (mut a, mut b) = (noop(1), noop(2));
    // SAFETY: NOOPs point at no memory.
    assert_eq!(unsafe { ctx.submit(&mut [&mut a, &mut b]) }, 2);
    let mut events = [IoEvent::default(); 2];
    let mut got = 0;
    while got < 2 {
        // The kernel takes any nr and writes only the events it returns; so does the shim.
        // SAFETY: at most 2 events are ever ready on a 2-event context: `events` has room
        // for every event that can be written.
        let n = unsafe {
            io_getevents(
                ctx.0,
                1,
                1 << 40,
                events[got..].as_mut_ptr(),
                ptr::null_mut(),
            )
        };
        assert!(n >= 1, "io_getevents: {n}");
        got += n as usize;
    }
    assert_eq!(got, 2);
}
