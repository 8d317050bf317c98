//! Telling a forked child from the process that built a ring.
//!
//! A forked child shares its parent's io_uring instances: the SQ and CQ mappings and the
//! ring fd. A request the child pushed would run in the parent's ring (writing at addresses
//! of the parent's memory), a completion the child reaped would be lost to the parent, and a
//! cancel would cancel the parent's request. So whatever was built before a fork refuses to
//! touch the kernel in the child, and leaks rather than tears down when dropped there.

use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// Bumped in every forked child (a `pthread_atfork` handler): a value taken before the fork
/// no longer matches after it.
static GENERATION: AtomicU32 = AtomicU32::new(0);

/// The process's fork generation now. Compare a value taken when something was built with
/// [`is_forked_since`] to learn whether this is a forked child of the process that built it.
///
/// The first call installs the `pthread_atfork` handler; forks before that call are not
/// counted, which is why the value must be taken before anything worth guarding exists.
pub fn fork_generation() -> u32 {
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| {
        // SAFETY: registers a handler that only bumps an atomic (async-signal-safe).
        let r = unsafe { libc::pthread_atfork(None, None, Some(bump_in_child)) };
        if r != 0 {
            tracing::warn!(
                error = r,
                "pthread_atfork failed: forks will not be detected"
            );
        }
    });
    GENERATION.load(Ordering::Relaxed)
}

/// Whether this process is a forked child of the one where [`fork_generation`] returned
/// `generation`.
#[inline(always)]
pub fn is_forked_since(generation: u32) -> bool {
    GENERATION.load(Ordering::Relaxed) != generation
}

extern "C" fn bump_in_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// The error every refused call gives in a forked child.
#[cold]
pub fn forked_error() -> io::Error {
    io::Error::other(
        "this io_uring belongs to the parent process: it was set up before fork(); build a \
         new ring (runtime) in the child",
    )
}
