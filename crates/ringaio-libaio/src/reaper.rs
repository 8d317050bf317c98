//! The reaper thread: moves completions into the `aio_ring` (and signals `IOCB_FLAG_RESFD`
//! eventfds) while nobody calls `io_getevents`.
//!
//! The kernel fills the `aio_ring` from interrupt context; with io_uring the CQEs have to be
//! copied by someone. A program that reaps in user space (fio's `userspace_reap`, QEMU)
//! or waits on eventfds may never call into the library while it waits, so one thread per
//! context, started by the first `io_submit`, polls the ring for it. A program that calls
//! `io_getevents` does that work itself: the thread then parks (checking every 10 ms
//! whether the program started reaping in user space), and costs nothing per request.

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::context::{Context, ReaperState, State};

/// How often a parked reaper looks at `head` while requests are in flight.
const NAP: Duration = Duration::from_millis(10);
/// The longest one poll of the ring, so a reaper that is no longer wanted parks soon.
const POLL: Duration = Duration::from_millis(50);

/// Starts or unparks the reaper when it is wanted. Called under the context's lock.
pub(crate) fn kick(ctx: &Arc<Context>, st: &mut State) {
    if !st.reaper_wanted() {
        return;
    }
    match st.reaper {
        ReaperState::NotStarted => {
            let ctx2 = Arc::clone(ctx);
            let spawned = std::thread::Builder::new()
                .name("ringaio-libaio".into())
                .spawn(move || run(ctx2));
            match spawned {
                Ok(_) => st.reaper = ReaperState::Running { parked: false },
                Err(e) => tracing::warn!(error = %e, "libaio: cannot start the reaper thread"),
            }
        }
        ReaperState::Running { parked: true } => ctx.reaper_cv.notify_one(),
        ReaperState::Running { parked: false } | ReaperState::Exited => {}
    }
}

fn run(ctx: Arc<Context>) {
    block_signals();
    let mut st = ctx.lock();
    loop {
        if st.dead() {
            break;
        }
        ctx.observe_head(&mut st);
        if !st.reaper_wanted() {
            st.reaper = ReaperState::Running { parked: true };
            st = if st.in_flight() > 0 {
                ctx.reaper_cv
                    .wait_timeout(st, NAP)
                    .map_or_else(|e| e.into_inner().0, |(g, _)| g)
            } else {
                ctx.reaper_cv
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner)
            };
            st.reaper = ReaperState::Running { parked: false };
            continue;
        }
        // SAFETY: no sigmask.
        let (guard, res): (MutexGuard<'_, State>, _) = unsafe {
            ctx.wait_until(
                st,
                Some(Instant::now() + POLL),
                std::ptr::null(),
                |_, st| (!st.reaper_wanted()).then_some(()),
            )
        };
        st = guard;
        if let Err(e) = res {
            if e != libc::EINTR {
                tracing::error!(errno = e, "libaio reaper: io_uring_enter failed; exiting");
                break;
            }
        }
    }
    st.reaper = ReaperState::Exited;
}

/// Keeps the program's signals off this thread: they belong to its own threads.
fn block_signals() {
    // SAFETY: `set` is a local sigset filled before use; pthread_sigmask only changes this
    // thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}
