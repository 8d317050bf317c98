//! The thread's current runtime: the one place that looks it up.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use ringaio_reactor::Reactor;

use crate::executor::Executor;

/// What a running runtime shares with the code it runs.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) reactor: Rc<Reactor>,
    pub(crate) executor: Rc<Executor>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Handle>>> = const { RefCell::new(None) };
    /// `Rc::as_ptr` of the current handle's reactor, null when none: every operation's
    /// first poll reads it, and a `Cell` with no destructor is one TLS load.
    static REACTOR: Cell<*const Reactor> = const { Cell::new(std::ptr::null()) };
}

/// Makes `handle` current for the guard's life. Panics if a runtime is already current:
/// `block_on` inside `block_on` would deadlock.
pub(crate) fn enter(handle: Rc<Handle>) -> EnterGuard {
    CURRENT.with(|c| {
        if c.borrow().is_some() {
            panic!(
                "ringaio: block_on called from inside a ringaio runtime; this would deadlock. \
                 Use .await, or ringaio::spawn, instead."
            );
        }
    });
    replace(handle)
}

/// Makes `handle` current for the guard's life, whatever was current before (restored when
/// the guard drops): a runtime dropped inside another one's `block_on` is current while it
/// drops its tasks, so their `Drop`s spawn onto it.
pub(crate) fn enter_for_shutdown(handle: Rc<Handle>) -> EnterGuard {
    replace(handle)
}

fn replace(handle: Rc<Handle>) -> EnterGuard {
    let reactor = REACTOR.replace(Rc::as_ptr(&handle.reactor));
    // `try_with`: a runtime kept in a thread-local (`block_on`'s) may drop while the
    // thread's locals are torn down.
    let previous = CURRENT
        .try_with(|c| c.borrow_mut().replace(handle))
        .ok()
        .flatten();
    EnterGuard { previous, reactor }
}

/// Restores the previous current runtime on drop.
#[derive(Debug)]
pub(crate) struct EnterGuard {
    previous: Option<Rc<Handle>>,
    reactor: *const Reactor,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        // Restored before this guard's handle (and with it the reactor) can be dropped.
        REACTOR.set(self.reactor);
        let previous = self.previous.take();
        let _ = CURRENT.try_with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    }
}

/// The current runtime's reactor as a pointer (null outside a runtime), to compare with.
#[inline]
pub(crate) fn reactor_ptr() -> *const Reactor {
    REACTOR.get()
}

/// The current runtime's reactor.
///
/// # Errors
/// As [`with_current`].
#[inline]
pub(crate) fn reactor() -> io::Result<Rc<Reactor>> {
    let ptr = REACTOR.get();
    if ptr.is_null() {
        return Err(no_runtime());
    }
    // SAFETY: `REACTOR` is non-null only while `CURRENT` holds the handle whose
    // `Rc<Reactor>` it points into (`replace` and `EnterGuard::drop` set both together);
    // the count is raised before the new `Rc` owns its share.
    unsafe {
        Rc::increment_strong_count(ptr);
        Ok(Rc::from_raw(ptr))
    }
}

#[cold]
fn no_runtime() -> io::Error {
    io::Error::other("no ringaio runtime on this thread: call this inside block_on")
}

/// Runs `f` with the current runtime.
///
/// # Errors
/// An `io::Error` (kind `Other`) when no ringaio runtime is running on this thread.
pub(crate) fn with_current<R>(f: impl FnOnce(&Handle) -> R) -> io::Result<R> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(|h| f(h)))
        .ok()
        .flatten()
        .ok_or_else(no_runtime)
}
