//! Reaping in user space from the `aio_ring` at the context address (fio's
//! `userspace_reap`), and `IOCB_FLAG_RESFD` eventfds: both need completions moved without
//! any call into the library.

mod common;
use common::*;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{fence, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// fio's `user_io_getevents`: copy events from head to tail, then advance head.
fn user_reap(ctx: &Ctx, out: &mut Vec<IoEvent>) {
    let ring = ctx.0;
    // SAFETY: the context address is a live aio_ring; head and tail are aligned u32s.
    unsafe {
        let nr = (*ring).nr;
        let head = AtomicU32::from_ptr(&raw mut (*ring).head);
        let tail = AtomicU32::from_ptr(&raw mut (*ring).tail);
        let events = ring.cast::<u8>().add(32).cast::<IoEvent>();
        let mut h = head.load(Ordering::Relaxed);
        while h != tail.load(Ordering::Acquire) {
            out.push(events.add(h as usize).read_volatile());
            fence(Ordering::Acquire);
            h = (h + 1) % nr;
            head.store(h, Ordering::Release);
        }
    }
}

#[test]
fn completions_appear_in_the_ring_without_io_getevents() {
    let Some(ctx) = Ctx::new(32) else { return };
    assert_eq!(ctx.header().magic, AIO_RING_MAGIC);
    let dir = Scratch::new("ureap");
    let file = dir.file("data", &[7u8; 64 * 1024]);
    let mut bufs = vec![[0u8; 4096]; 16];
    let mut got = Vec::new();
    for round in 0..3 {
        let mut reads: Vec<Iocb> = bufs
            .iter_mut()
            .enumerate()
            .map(|(i, b)| Iocb {
                data: (round * 16 + i) as u64,
                ..pread(file.as_raw_fd(), b, (i * 4096) as i64)
            })
            .collect();
        let mut refs: Vec<&mut Iocb> = reads.iter_mut().collect();
        // SAFETY: `bufs` outlives the requests: all are reaped before the next round.
        assert_eq!(unsafe { ctx.submit(&mut refs) }, 16);
        let give_up = Instant::now() + Duration::from_secs(60);
        while got.len() < (round + 1) * 16 {
            assert!(Instant::now() < give_up, "hang: {} events", got.len());
            user_reap(&ctx, &mut got);
            std::thread::yield_now();
        }
    }
    assert!(got.iter().all(|e| e.res == 4096));
    let mut data: Vec<u64> = got.iter().map(|e| e.data).collect();
    data.sort_unstable();
    assert_eq!(data, (0..48).collect::<Vec<_>>());
    assert!(bufs.iter().all(|b| b.iter().all(|&x| x == 7)));
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut ev = [IoEvent::default(); 4];
    assert_eq!(ctx.get(0, &mut ev, Some(zero)), 0, "reaped events are gone");
}

#[test]
fn resfd_eventfd_counts_completions() {
    let Some(ctx) = Ctx::new(8) else { return };
    // SAFETY: eventfd has no memory arguments; the fd is owned from here on.
    let efd = unsafe { OwnedFd::from_raw_fd(libc::eventfd(0, libc::EFD_CLOEXEC)) };
    let (rx, tx) = pipe();
    let mut buf = [0u8; 1];
    let mut iocbs = [noop(1), noop(2), pread(rx.as_raw_fd(), &mut buf, 0)];
    for i in &mut iocbs {
        i.flags |= IOCB_FLAG_RESFD;
        i.resfd = efd.as_raw_fd() as u32;
    }
    let [a, b, c] = &mut iocbs;
    // SAFETY: `buf` outlives the requests.
    assert_eq!(unsafe { ctx.submit(&mut [a, b, c]) }, 3);
    write_fd(tx.as_raw_fd(), b"x");
    let mut total = 0u64;
    while total < 3 {
        let mut v = 0u64;
        // SAFETY: reads 8 bytes into a live u64; the eventfd blocks until signalled.
        let n = unsafe { libc::read(efd.as_raw_fd(), (&raw mut v).cast(), 8) };
        assert_eq!(n, 8);
        total += v;
    }
    assert_eq!(total, 3);
    let events = ctx.wait(3);
    assert_eq!(events.len(), 3);
    assert_eq!(buf[0], b'x');
}
