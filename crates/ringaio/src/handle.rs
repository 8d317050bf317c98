//! `Handle`: a `Send + Sync` way into a runtime from any thread.

use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::context;
use crate::join::{Join, JoinError, JoinHandle};
use crate::schedule::{RemoteSpawn, Shared};

/// A handle to a [`Runtime`](crate::Runtime) that can be cloned and sent to other threads:
/// tasks spawned through it run on the runtime's thread.
///
/// The futures stay on that thread (they need not be `Send`): what crosses threads is the
/// closure that builds one. A spawn waits in the runtime's queue until its thread next runs
/// the runtime (`block_on`); once the runtime is dropped, spawns resolve
/// [`JoinError::Cancelled`].
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("shared", &self.shared)
            .finish()
    }
}

impl Handle {
    pub(crate) fn new(shared: Arc<Shared>) -> Handle {
        Handle { shared }
    }

    /// The handle of the runtime running on this thread.
    ///
    /// # Panics
    /// When no ringaio runtime runs on this thread (see [`try_current`](Handle::try_current)).
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("ringaio::Handle::current: {e}"),
        }
    }

    /// The handle of the runtime running on this thread.
    ///
    /// # Errors
    /// An `io::Error` (kind `Other`) when no ringaio runtime runs on this thread.
    pub fn try_current() -> io::Result<Handle> {
        context::with_current(|h| Handle::new(h.executor.shared.clone()))
    }

    /// How many tasks the runtime has: live ones, and spawns from other threads waiting to
    /// start. A snapshot, for balancing work (see [`SpawnPolicy`](crate::SpawnPolicy)).
    pub fn tasks(&self) -> usize {
        self.shared.load()
    }

    /// Spawns the future `make` builds, from any thread: `make` runs on the runtime's thread
    /// (with the runtime current, so it may call [`spawn`](crate::spawn)), and its future
    /// runs there as a task.
    ///
    /// The handle gives the output, [`JoinError::Panic`] if `make` or the future panicked,
    /// or [`JoinError::Cancelled`] if it was aborted or the runtime is gone (or dropped
    /// before the task finished). [`JoinHandle::abort`] works before the task has started.
    pub fn spawn<M, F>(&self, make: M) -> JoinHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let join = Join::pending();
        let spawn: RemoteSpawn = {
            let join = join.clone();
            Box::new(move |executor| run_spawn(executor, make, join))
        };
        if let Err(spawn) = self.shared.push_spawn(spawn) {
            // The runtime is gone: the handle reports `Cancelled`.
            spawn(None);
        }
        JoinHandle::new(join)
    }
}

/// A spawn from another thread, on the runtime's thread (`Some`) or refused (`None`).
fn run_spawn<M, F>(
    executor: Option<&crate::executor::Executor>,
    make: M,
    join: Arc<Join<F::Output>>,
) where
    M: FnOnce() -> F,
    F: Future + 'static,
    F::Output: 'static,
{
    let Some(executor) = executor.filter(|_| !join.is_aborted()) else {
        // What `make` captured is dropped before the handle hears, as for a task's future.
        if catch_unwind(AssertUnwindSafe(move || drop(make))).is_err() {
            tracing::error!("ringaio: dropping a cancelled spawn's closure panicked");
        }
        join.finish(Err(JoinError::Cancelled));
        return;
    };
    match catch_unwind(AssertUnwindSafe(make)) {
        Ok(future) => executor.spawn_joined(future, join),
        Err(panic) => join.finish(Err(JoinError::Panic(panic))),
    }
}
