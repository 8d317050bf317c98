//! libaio's `io_queue_*` helpers: init, run (callbacks in `data`), release.

mod common;
use common::*;

use std::ptr;
use std::sync::atomic::{AtomicI64, Ordering};

static SUM: AtomicI64 = AtomicI64::new(0);

unsafe extern "C" fn callback(
    _ctx: IoContext,
    iocb: *mut Iocb,
    res: libc::c_long,
    res2: libc::c_long,
) {
    assert!(!iocb.is_null());
    SUM.fetch_add(1 + res + res2, Ordering::Relaxed);
}

#[test]
fn queue_run_calls_each_callback() {
    let mut ctx: IoContext = ptr::null_mut();
    // SAFETY: a writable io_context_t.
    match unsafe { io_queue_init(4, &mut ctx) } {
        0 => {}
        e if e == -libc::ENOSYS => return skip("io_uring is unavailable here"),
        e => panic!("io_queue_init: {e}"),
    }
    let cb: IoCallback = callback;
    let mut a = noop(cb as usize as u64);
    let mut b = noop(cb as usize as u64);
    let mut list = [&mut a as *mut Iocb, &mut b as *mut Iocb];
    // SAFETY: NOOPs point at no memory; `data` is an io_callback_t for io_queue_run.
    unsafe {
        assert_eq!(io_submit(ctx, 2, list.as_mut_ptr()), 2);
        let mut got = 0;
        while got < 2 {
            assert_eq!(io_queue_wait(ctx, ptr::null_mut()), 0);
            assert_eq!(io_queue_run(ctx), 0);
            got = SUM.load(Ordering::Relaxed);
        }
        assert_eq!(SUM.load(Ordering::Relaxed), 2, "each callback once, res 0");
        assert_eq!(io_queue_release(ctx), 0);
    }
}
