//! A task whose `Drop` spawns, dropped when the runtime is: the spawn is accepted (the
//! runtime is current while it drops its tasks) and the new future is dropped without being
//! polled, its handle reporting `Cancelled`. It used to panic ("no ringaio runtime"), and two
//! such tasks aborted the process.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use ringaio::{Backend, JoinHandle};
use ringaio_tests::{runtime, watchdog, yield_now, BACKENDS};

#[derive(Default)]
struct Seen {
    /// Futures spawned from a drop that were polled.
    ran: Cell<usize>,
    /// Futures spawned from a drop that were dropped.
    dropped: Cell<usize>,
    handles: RefCell<Vec<JoinHandle<()>>>,
}

/// Counts its drop.
struct Counted(Rc<Seen>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dropped.set(self.0.dropped.get() + 1);
    }
}

/// Spawns a task when dropped.
struct SpawnOnDrop(Rc<Seen>);

impl Drop for SpawnOnDrop {
    fn drop(&mut self) {
        let seen = self.0.clone();
        let counted = Counted(seen.clone());
        let handle = ringaio::spawn(async move {
            let _counted = counted;
            seen.ran.set(seen.ran.get() + 1);
        });
        self.0.handles.borrow_mut().push(handle);
    }
}

fn spawns_from_drop_at_shutdown(backend: Backend) {
    let seen = Rc::new(Seen::default());
    let rt = runtime(backend);
    rt.block_on(async {
        for _ in 0..2 {
            let guard = SpawnOnDrop(seen.clone());
            drop(ringaio::spawn(async move {
                let _guard = guard;
                let _ = ringaio::time::sleep(Duration::from_secs(60)).await;
            }));
        }
        yield_now().await;
    });
    let caught = catch_unwind(AssertUnwindSafe(move || drop(rt)));
    assert!(
        caught.is_ok(),
        "spawning from a Drop panicked during shutdown"
    );
    assert_eq!(
        seen.dropped.get(),
        2,
        "both futures spawned at shutdown were dropped"
    );
    assert_eq!(
        seen.ran.get(),
        0,
        "futures spawned at shutdown are not polled"
    );
    let handles = std::mem::take(&mut *seen.handles.borrow_mut());
    assert_eq!(handles.len(), 2);
    for handle in handles {
        let err = futures::executor::block_on(handle).expect_err("never ran");
        assert!(err.is_cancelled(), "{err:?}");
    }
}

#[test]
fn spawning_from_drop_at_shutdown_is_accepted_and_dropped() {
    for backend in BACKENDS {
        watchdog("spawn-at-shutdown", move || {
            spawns_from_drop_at_shutdown(backend)
        });
    }
}
