//! `io_setup` / `io_destroy`: error codes, several contexts, the `aio_ring` header.

mod common;
use common::*;

use std::ptr;

#[test]
fn setup_errors() {
    let Some(_probe) = Ctx::new(1) else { return };
    let mut ctx: IoContext = ptr::null_mut();
    // SAFETY: every call gets a null, or a writable, io_context_t pointer.
    unsafe {
        assert_eq!(io_setup(8, ptr::null_mut()), -libc::EFAULT);
        assert_eq!(io_setup(0, &mut ctx), -libc::EINVAL);
        assert_eq!(io_setup(-1, &mut ctx), -libc::EINVAL);
        let max: i32 = std::fs::read_to_string("/proc/sys/fs/aio-max-nr")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(65536);
        if let Some(over) = max.checked_add(1) {
            assert_eq!(io_setup(over, &mut ctx), -libc::EAGAIN);
        }
        let mut taken = 0x1000 as IoContext;
        assert_eq!(io_setup(8, &mut taken), -libc::EINVAL, "*ctxp must be 0");
        assert!(ctx.is_null(), "untouched on failure");
        assert_eq!(io_queue_init(0, &mut ctx), -libc::EINVAL);
    }
}

#[test]
fn several_contexts_each_with_an_aio_ring() {
    let Some(a) = Ctx::new(4) else { return };
    let b = Ctx::new(300).expect("second context");
    assert_ne!(a.0, b.0);
    for (ctx, n) in [(&a, 4u32), (&b, 300)] {
        let h = ctx.header();
        assert_eq!(h.magic, AIO_RING_MAGIC);
        assert!(h.nr > n, "room for {n} events: {}", h.nr);
        assert_eq!((h.head, h.tail, h.header_length), (0, 0, 32));
    }
    let (mut x, mut y) = (noop(1), noop(2));
    // SAFETY: NOOPs point at no memory.
    unsafe {
        assert_eq!(a.submit(&mut [&mut x]), 1);
        assert_eq!(b.submit(&mut [&mut y]), 1);
    }
    assert_eq!(b.wait(1)[0].data, 2);
    assert_eq!(a.wait(1)[0].data, 1);
}

#[test]
fn destroy_twice_and_unknown_contexts() {
    let Some(ctx) = Ctx::new(4) else { return };
    let raw = ctx.0;
    // SAFETY: destroy accepts any value.
    unsafe {
        assert_eq!(io_destroy(raw), 0);
        assert_eq!(io_destroy(raw), -libc::EINVAL);
        assert_eq!(io_destroy(ptr::null_mut()), -libc::EINVAL);
        assert_eq!(io_queue_release(0x5000 as IoContext), -libc::EINVAL);
    }
    let mut n = noop(0);
    // SAFETY: the destroyed context is looked up, not dereferenced.
    assert_eq!(unsafe { ctx.submit(&mut [&mut n]) }, -libc::EINVAL);
    std::mem::forget(ctx);
}
