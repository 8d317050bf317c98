//! A forked child cannot use its parent's contexts (as with the kernel's AIO, whose
//! contexts are not inherited) and must not touch the parent's ring; its own work.

mod common;
use common::*;

use std::ptr;

#[test]
fn child_gets_einval_and_parent_carries_on() {
    let Some(ctx) = Ctx::new(4) else { return };
    let mut n = noop(9);
    // SAFETY: NOOPs point at no memory.
    assert_eq!(unsafe { ctx.submit(&mut [&mut n]) }, 1);
    // SAFETY: the child only calls the library and _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let code = child(ctx.0);
        // SAFETY: leaves the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status), "child died: {status}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "child check {} failed",
        libc::WEXITSTATUS(status)
    );
    let ev = ctx.wait(1)[0];
    assert_eq!(ev.data, 9, "the parent's event was not taken by the child");
}

/// 0 when every check passes, else the number of the first that failed.
fn child(parent: IoContext) -> i32 {
    let mut n = noop(1);
    let mut list = [&mut n as *mut Iocb];
    let mut ev = [IoEvent::default(); 1];
    let mut zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: valid lists and buffers; the parent's context is looked up, not touched.
    unsafe {
        if io_submit(parent, 1, list.as_mut_ptr()) != -libc::EINVAL {
            return 1;
        }
        if io_getevents(parent, 1, 1, ev.as_mut_ptr(), &mut zero) != -libc::EINVAL {
            return 2;
        }
        if io_destroy(parent) != -libc::EINVAL {
            return 3;
        }
        let mut own: IoContext = ptr::null_mut();
        if io_setup(4, &mut own) != 0 {
            return 4;
        }
        if io_submit(own, 1, list.as_mut_ptr()) != 1 {
            return 5;
        }
        if io_getevents(own, 1, 1, ev.as_mut_ptr(), ptr::null_mut()) != 1 || ev[0].data != 1 {
            return 6;
        }
        if io_destroy(own) != 0 {
            return 7;
        }
    }
    0
}
