//! libaio's functions, with libaio's C signatures and return convention: `-errno` on
//! failure (`errno` itself is left alone), as libaio's system call wrappers return.
//!
//! The cdylib exports them under libaio's versioned names (`io_getevents@@LIBAIO_0.4`,
//! `io_getevents@LIBAIO_0.1`, ...) through the trampolines at the end of this file; the Rust
//! names here stay unexported, so the rlib can be linked beside the system's libaio.
//! No panic crosses the C boundary: each function runs under `catch_unwind` and a panic
//! becomes `-EIO`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::time::{Duration, Instant};

use libc::{c_int, c_long, timespec};

use crate::abi::{IoCallback, IoContext, IoEvent, Iocb, KIOCB_KEY};
use crate::context::Context;
use crate::registry;

/// Runs `f`, turning a panic into `-EIO`.
fn guard(f: impl FnOnce() -> c_int) -> c_int {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(-libc::EIO)
}

/// `io_setup(2)`: creates a context for `maxevents` requests and stores its address in
/// `*ctxp`.
///
/// Returns 0, or `-EFAULT` (`ctxp` null), `-EINVAL` (`*ctxp` not 0; `maxevents` 0, negative
/// or over the kernel's bound), `-EAGAIN` (over `fs.aio-max-nr` or 32760), `-ENOSYS`
/// (io_uring unavailable: seccomp, `kernel.io_uring_disabled`, no kernel support),
/// `-ENOMEM`.
///
/// # Safety
/// - `ctxp` is null or points at a readable and writable `io_context_t`.
pub unsafe extern "C" fn io_setup(maxevents: c_int, ctxp: *mut IoContext) -> c_int {
    guard(|| {
        if ctxp.is_null() {
            return -libc::EFAULT;
        }
        // SAFETY: the caller vouches for a readable `*ctxp`.
        if !unsafe { ctxp.read() }.is_null() {
            return -libc::EINVAL;
        }
        // The kernel takes the count as unsigned: a negative one is huge, and refused.
        let ctx = match Context::new(maxevents as u32) {
            Ok(ctx) => ctx,
            Err(e) => return -e,
        };
        let addr = ctx.addr();
        registry::insert(ctx);
        // SAFETY: the caller vouches for a writable `*ctxp`.
        unsafe { ctxp.write(addr as IoContext) };
        0
    })
}

/// `io_destroy(2)`: cancels the context's requests, waits until the kernel has completed
/// all of them, and frees the context (its address stops being valid).
///
/// Returns 0, or `-EINVAL` for an unknown context (never set up, destroyed, or inherited
/// across `fork`).
///
/// # Safety
/// - None beyond C's: any value may be passed.
pub unsafe extern "C" fn io_destroy(ctx: IoContext) -> c_int {
    guard(|| match registry::remove(ctx as usize) {
        Some(ctx) => {
            ctx.destroy();
            0
        }
        None => -libc::EINVAL,
    })
}

/// `io_submit(2)`: queues `nr` requests in order. Returns how many were queued, which is
/// fewer than `nr` when one was refused (those after it are not looked at); or, when the
/// first is refused, its error: `-EINVAL` (bad opcode, reserved field, negative offset or
/// length, fields a sync or poll does not take), `-EBADF` (fd not open, not open for the
/// direction, bad `resfd`), `-EFAULT` (null iocb or buffer), `-EAGAIN` (`nr_events`
/// requests in flight or unreaped), `-EOPNOTSUPP` (unknown `RWF_*`). `-EINVAL` for
/// `nr < 0` or an unknown context; 0 for `nr == 0`.
///
/// Each queued iocb's `key` is set to 0, as the kernel does.
///
/// # Safety
/// - `iocbpp` points at `nr` pointers, each null or pointing at a writable `struct iocb`.
/// - The buffers, iovec arrays and iovecs' buffers of the queued requests stay valid (and
///   are not otherwise written, for reads) until their events are reaped or the context
///   is destroyed. The iocb itself may be reused once submitted.
pub unsafe extern "C" fn io_submit(ctx: IoContext, nr: c_long, iocbpp: *mut *mut Iocb) -> c_int {
    guard(|| {
        let Ok(nr) = usize::try_from(nr) else {
            return -libc::EINVAL;
        };
        let Some(ctx) = registry::get(ctx as usize) else {
            return -libc::EINVAL;
        };
        if nr == 0 {
            return 0;
        }
        if iocbpp.is_null() {
            return -libc::EFAULT;
        }
        // SAFETY: forwarded from the caller.
        match unsafe { ctx.submit(iocbpp, nr) } {
            Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
            Err(e) => -e,
        }
    })
}

/// `io_cancel(2)`: cancels the in-flight request submitted from `iocb`.
///
/// Returns `-EINPROGRESS` when io_uring cancelled it: its event (`res` = `-ECANCELED`)
/// arrives through `io_getevents` like any other. `-EAGAIN` when it could not be stopped
/// (already running, or finished): its own event arrives. `-EINVAL` when `iocb` is not in
/// flight on this context (never submitted, reaped, cancelled already) or its `key` is not
/// 0; `-EFAULT` for a null `iocb`. As in the kernel since 4.19, `result` is never written.
///
/// # Safety
/// - `iocb` is null or points at a readable `struct iocb`.
pub unsafe extern "C" fn io_cancel(ctx: IoContext, iocb: *mut Iocb, result: *mut IoEvent) -> c_int {
    let _ = result;
    guard(|| {
        if iocb.is_null() {
            return -libc::EFAULT;
        }
        // SAFETY: the caller vouches for a readable iocb.
        if unsafe { (&raw const (*iocb).key).read() } != KIOCB_KEY {
            return -libc::EINVAL;
        }
        let Some(ctx) = registry::get(ctx as usize) else {
            return -libc::EINVAL;
        };
        -ctx.cancel(iocb as u64)
    })
}

/// libaio 0.1's `io_cancel(ctx, iocb)`, without the event argument.
///
/// # Safety
/// As [`io_cancel`].
pub unsafe extern "C" fn io_cancel_0_1(ctx: IoContext, iocb: *mut Iocb) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { io_cancel(ctx, iocb, ptr::null_mut()) }
}

/// The deadline of an `io_getevents` timeout: `None` waits without limit; zero, negative
/// or elapsed ones poll.
///
/// # Safety
/// - `timeout` is null or points at a readable `timespec`.
unsafe fn deadline(timeout: *const timespec) -> Option<Instant> {
    if timeout.is_null() {
        return None;
    }
    // SAFETY: the caller vouches for a readable timespec.
    let ts = unsafe { timeout.read() };
    if ts.tv_sec < 0 || (ts.tv_sec == 0 && ts.tv_nsec <= 0) {
        return Some(Instant::now());
    }
    let d = Duration::from_secs(ts.tv_sec as u64)
        .checked_add(Duration::from_nanos(ts.tv_nsec.max(0) as u64))?;
    Instant::now().checked_add(d)
}

/// The shared body of the `io_getevents` family.
///
/// # Safety
/// As [`io_pgetevents`], with `sigmask` null or a readable kernel sigset.
unsafe fn get_events(
    ctx: IoContext,
    min_nr: c_long,
    nr: c_long,
    events: *mut IoEvent,
    timeout: *const timespec,
    sigmask: *const libc::sigset_t,
) -> c_int {
    guard(|| {
        let (Ok(min), Ok(nr)) = (usize::try_from(min_nr), usize::try_from(nr)) else {
            return -libc::EINVAL;
        };
        if min > nr {
            return -libc::EINVAL;
        }
        let Some(ctx) = registry::get(ctx as usize) else {
            return -libc::EINVAL;
        };
        if nr > 0 && events.is_null() {
            return -libc::EFAULT;
        }
        // SAFETY: the caller vouches for `nr` writable events (only those returned are
        // written, as by the kernel), the timeout and the sigmask.
        let res = unsafe { ctx.get_events(min, events, nr, deadline(timeout), sigmask) };
        match res {
            Ok(n) => c_int::try_from(n).unwrap_or(c_int::MAX),
            Err(e) => -e,
        }
    })
}

/// `io_getevents(2)`: reaps between `min_nr` and `nr` events into `events`, waiting up to
/// `timeout` (null: without limit; zero: not at all) for `min_nr` of them. Returns how
/// many, which is fewer than `min_nr` only when the timeout passed (or the context was
/// destroyed meanwhile).
///
/// Each event has `data` = the iocb's `data`, `obj` = the iocb's address, `res` = bytes
/// transferred, the poll mask, 0, or `-errno`; `res2` = 0.
///
/// Returns `-EINVAL` (negative counts, `min_nr > nr`, unknown context, destroyed with no
/// event taken), `-EFAULT` (`events` null with `nr > 0`), `-EINTR` (a signal before any
/// event, for the thread waiting in the kernel; threads waiting behind it are not
/// interrupted).
///
/// # Safety
/// - `events` points at `nr` writable `io_event`s (or `nr` is 0).
/// - `timeout` is null or points at a readable `timespec`.
pub unsafe extern "C" fn io_getevents(
    ctx: IoContext,
    min_nr: c_long,
    nr: c_long,
    events: *mut IoEvent,
    timeout: *mut timespec,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { get_events(ctx, min_nr, nr, events, timeout, ptr::null()) }
}

/// libaio 0.1's `io_getevents(ctx, nr, events, timeout)`: `io_getevents` with `min_nr` 1.
///
/// # Safety
/// As [`io_getevents`].
pub unsafe extern "C" fn io_getevents_0_1(
    ctx: IoContext,
    nr: c_long,
    events: *mut IoEvent,
    timeout: *mut timespec,
) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { get_events(ctx, 1, nr, events, timeout, ptr::null()) }
}

/// `io_pgetevents(2)`: `io_getevents` with `sigmask` (null: the thread's own) as the
/// signal mask while waiting in the kernel.
///
/// # Safety
/// As [`io_getevents`]; `sigmask` is null or points at a readable `sigset_t`.
pub unsafe extern "C" fn io_pgetevents(
    ctx: IoContext,
    min_nr: c_long,
    nr: c_long,
    events: *mut IoEvent,
    timeout: *mut timespec,
    sigmask: *mut libc::sigset_t,
) -> c_int {
    // libaio hands the kernel this mask with the kernel's sigset size; io_uring_enter takes
    // the same pair.
    // SAFETY: forwarded from the caller.
    unsafe { get_events(ctx, min_nr, nr, events, timeout, sigmask) }
}

/// `io_queue_init(maxevents, ctxp)`: `*ctxp = NULL` then `io_setup`; `-EINVAL` for
/// `maxevents <= 0`.
///
/// # Safety
/// - `ctxp` is null or points at a writable `io_context_t`.
pub unsafe extern "C" fn io_queue_init(maxevents: c_int, ctxp: *mut IoContext) -> c_int {
    if maxevents <= 0 {
        return -libc::EINVAL;
    }
    if ctxp.is_null() {
        return -libc::EFAULT;
    }
    // SAFETY: the caller vouches for a writable `*ctxp`.
    unsafe { ctxp.write(ptr::null_mut()) };
    // SAFETY: forwarded from the caller.
    unsafe { io_setup(maxevents, ctxp) }
}

/// `io_queue_release(ctx)`: `io_destroy`.
///
/// # Safety
/// None beyond C's.
pub unsafe extern "C" fn io_queue_release(ctx: IoContext) -> c_int {
    // SAFETY: any value may be passed.
    unsafe { io_destroy(ctx) }
}

/// `io_queue_wait(ctx, timeout)`: `io_getevents(ctx, 0, 0, NULL, timeout)`, as libaio.
///
/// # Safety
/// - `timeout` is null or points at a readable `timespec`.
pub unsafe extern "C" fn io_queue_wait(ctx: IoContext, timeout: *mut timespec) -> c_int {
    // SAFETY: forwarded from the caller; no events are written with `nr` 0.
    unsafe { get_events(ctx, 0, 0, ptr::null_mut(), timeout, ptr::null()) }
}

/// libaio 0.1's `io_queue_wait`: the same call.
///
/// # Safety
/// As [`io_queue_wait`].
pub unsafe extern "C" fn io_queue_wait_0_1(ctx: IoContext, timeout: *mut timespec) -> c_int {
    // SAFETY: forwarded from the caller.
    unsafe { io_queue_wait(ctx, timeout) }
}

/// `io_queue_run(ctx)`: reaps ready events one at a time, without waiting, calling each
/// one's `data` as an `io_callback_t` (set by `io_set_callback`) with the iocb, `res` and
/// `res2`. Events with null `data` are skipped. Returns 0, or the error of the reap.
///
/// # Safety
/// - Every reaped event's `data` is null or an `io_callback_t`, safe to call with that
///   event's iocb.
pub unsafe extern "C" fn io_queue_run(ctx: IoContext) -> c_int {
    let zero = timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    loop {
        let mut event = IoEvent::default();
        // SAFETY: one writable event and a readable timeout, both on this stack.
        let ret = unsafe { get_events(ctx, 0, 1, &mut event, &zero, ptr::null()) };
        if ret != 1 {
            return ret;
        }
        if event.data == 0 {
            continue;
        }
        // SAFETY: the caller vouches that `data` is an io_callback_t (the callback runs
        // outside any lock of the library).
        let cb: IoCallback =
            unsafe { std::mem::transmute::<usize, IoCallback>(event.data as usize) };
        // SAFETY: as above.
        unsafe {
            cb(
                ctx,
                event.obj as *mut Iocb,
                event.res as c_long,
                event.res2 as c_long,
            )
        };
    }
}

/// Binds each export to its versioned name with a jump trampoline: `.symver` needs a
/// symbol defined in the same object, and the Rust functions may sit in another codegen
/// unit. The trampolines are local to the library but for their versioned names
/// (libaio.map ends in `local: *`).
macro_rules! exports {
    ($($tramp:ident $name:literal => $f:path),* $(,)?) => {
        #[cfg(target_arch = "x86_64")]
        std::arch::global_asm!(
            ".pushsection .text.ringaio_libaio_exports,\"ax\",@progbits",
            $(
                ".p2align 4",
                concat!(".globl ", stringify!($tramp)),
                concat!(".type ", stringify!($tramp), ",@function"),
                concat!(stringify!($tramp), ":"),
                concat!("jmp {", stringify!($tramp), "}"),
                concat!(".size ", stringify!($tramp), ", . - ", stringify!($tramp)),
                concat!(".symver ", stringify!($tramp), ", ", $name),
            )*
            ".popsection",
            $( $tramp = sym $f, )*
        );
        #[cfg(target_arch = "aarch64")]
        std::arch::global_asm!(
            ".pushsection .text.ringaio_libaio_exports,\"ax\",@progbits",
            $(
                ".p2align 4",
                concat!(".globl ", stringify!($tramp)),
                concat!(".type ", stringify!($tramp), ",%function"),
                concat!(stringify!($tramp), ":"),
                concat!("b {", stringify!($tramp), "}"),
                concat!(".size ", stringify!($tramp), ", . - ", stringify!($tramp)),
                concat!(".symver ", stringify!($tramp), ", ", $name),
            )*
            ".popsection",
            $( $tramp = sym $f, )*
        );
    };
}

exports! {
    ringaio_libaio_io_setup "io_setup@@LIBAIO_0.4" => io_setup,
    ringaio_libaio_io_destroy "io_destroy@@LIBAIO_0.4" => io_destroy,
    ringaio_libaio_io_submit "io_submit@@LIBAIO_0.1" => io_submit,
    ringaio_libaio_io_cancel "io_cancel@@LIBAIO_0.4" => io_cancel,
    ringaio_libaio_io_cancel_0_1 "io_cancel@LIBAIO_0.1" => io_cancel_0_1,
    ringaio_libaio_io_getevents "io_getevents@@LIBAIO_0.4" => io_getevents,
    ringaio_libaio_io_getevents_0_1 "io_getevents@LIBAIO_0.1" => io_getevents_0_1,
    ringaio_libaio_io_pgetevents "io_pgetevents@@LIBAIO_0.5" => io_pgetevents,
    ringaio_libaio_io_queue_init "io_queue_init@@LIBAIO_0.1" => io_queue_init,
    ringaio_libaio_io_queue_release "io_queue_release@@LIBAIO_0.1" => io_queue_release,
    ringaio_libaio_io_queue_run "io_queue_run@@LIBAIO_0.1" => io_queue_run,
    ringaio_libaio_io_queue_wait "io_queue_wait@@LIBAIO_0.4" => io_queue_wait,
    ringaio_libaio_io_queue_wait_0_1 "io_queue_wait@LIBAIO_0.1" => io_queue_wait_0_1,
}
