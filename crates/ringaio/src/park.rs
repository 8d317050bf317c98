//! The park handshake between the runtime thread and wakers on other threads: no wake-up may
//! be lost between "the queue looked empty" and "the thread blocks in the kernel".
//!
//! The runtime thread [`announce`](Park::announce)s, then re-checks its queues, and only then
//! blocks; a waker publishes its work first, then asks [`must_notify`](Park::must_notify).
//! With a SeqCst fence on each side at least one sees the other: either the re-check finds
//! the work, or the waker finds the announcement and writes the eventfd.
//! Checked under loom: `RUSTFLAGS="--cfg loom" cargo test -p ringaio --lib park`.

#[cfg(loom)]
use loom::sync::atomic::{fence, AtomicBool, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{fence, AtomicBool, Ordering};

/// Whether the runtime thread is (about to be) blocked waiting for completions.
#[derive(Debug)]
pub(crate) struct Park {
    parked: AtomicBool,
}

impl Park {
    pub(crate) fn new() -> Park {
        Park {
            parked: AtomicBool::new(false),
        }
    }

    /// The runtime thread is about to block; it must re-check for work afterwards.
    pub(crate) fn announce(&self) {
        self.parked.store(true, Ordering::SeqCst);
        // Orders the announcement before the re-check's loads (the Dekker pattern; explicit
        // so that it holds under loom's model too, which treats SeqCst accesses as AcqRel).
        fence(Ordering::SeqCst);
    }

    /// The runtime thread is awake again (or decided not to block).
    pub(crate) fn awake(&self) {
        self.parked.store(false, Ordering::SeqCst);
    }

    /// Called by a waker after publishing its work: whether it must wake the thread. True
    /// once per announcement.
    pub(crate) fn must_notify(&self) -> bool {
        // Orders the caller's publication of work before reading the announcement.
        fence(Ordering::SeqCst);
        self.parked.swap(false, Ordering::SeqCst)
    }
}

#[cfg(all(test, loom))]
mod tests {
    use super::Park;
    use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use loom::sync::Arc;
    use loom::thread;

    /// A waker on another thread publishes work while the runtime thread decides whether to
    /// block. Whenever the runtime thread blocks, the waker must have notified it.
    #[test]
    fn no_lost_wakeup() {
        loom::model(|| {
            let park = Arc::new(Park::new());
            let work = Arc::new(AtomicBool::new(false));
            let notified = Arc::new(AtomicUsize::new(0));
            let waker = {
                let (park, work, notified) = (park.clone(), work.clone(), notified.clone());
                thread::spawn(move || {
                    work.store(true, Ordering::SeqCst);
                    if park.must_notify() {
                        notified.fetch_add(1, Ordering::SeqCst);
                    }
                })
            };
            park.announce();
            let blocked = !work.load(Ordering::SeqCst);
            if !blocked {
                park.awake();
            }
            waker.join().expect("waker thread");
            if blocked {
                assert_eq!(
                    notified.load(Ordering::SeqCst),
                    1,
                    "blocked with no wake-up"
                );
            }
        });
    }
}
