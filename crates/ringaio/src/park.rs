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

/// A wake-up flag: raised by wakes from any thread, taken by the runtime thread (the future
/// `block_on` runs is woken through one).
#[derive(Debug)]
pub(crate) struct Flag(AtomicBool);

impl Flag {
    pub(crate) fn new() -> Flag {
        Flag(AtomicBool::new(false))
    }

    /// Raises the flag; true if it was down, when the caller must then wake the runtime
    /// thread ([`Park::must_notify`]). A swap, not a load and a store: a load may see the
    /// flag still raised by an earlier wake that the runtime thread is just taking, and the
    /// wake would then be lost (`main_wake_not_lost` below).
    pub(crate) fn raise(&self) -> bool {
        !self.0.swap(true, Ordering::SeqCst)
    }

    /// Lowers the flag; whether it was raised.
    pub(crate) fn take(&self) -> bool {
        self.0.swap(false, Ordering::SeqCst)
    }

    /// Whether the flag is raised.
    pub(crate) fn is_raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(all(test, loom))]
mod tests {
    use super::{Flag, Park};
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

    /// The future `block_on` runs was woken before (its flag is up) and is woken again from
    /// another thread, with new work, while the runtime thread takes the flag, polls the
    /// future (which finds no work yet) and parks. The second wake must not be lost.
    #[test]
    fn main_wake_not_lost() {
        loom::model(|| {
            let park = Arc::new(Park::new());
            let woken = Arc::new(Flag::new());
            woken.raise();
            let work = Arc::new(AtomicBool::new(false));
            let notified = Arc::new(AtomicUsize::new(0));
            let waker = {
                let (park, woken, work, notified) =
                    (park.clone(), woken.clone(), work.clone(), notified.clone());
                thread::spawn(move || {
                    work.store(true, Ordering::SeqCst);
                    if woken.raise() && park.must_notify() {
                        notified.fetch_add(1, Ordering::SeqCst);
                    }
                })
            };
            // A tick: take the flag and poll the future.
            let mut done = woken.take() && work.load(Ordering::SeqCst);
            // Then park unless woken meanwhile; a wake before the announcement shows in the
            // re-check, one after it notifies.
            let mut blocked = false;
            while !done {
                if woken.is_raised() {
                    done = woken.take() && work.load(Ordering::SeqCst);
                    continue;
                }
                park.announce();
                if woken.is_raised() {
                    park.awake();
                    continue;
                }
                blocked = true;
                break;
            }
            waker.join().expect("waker thread");
            if blocked {
                assert_eq!(
                    notified.load(Ordering::SeqCst),
                    1,
                    "blocked with the future's wake-up lost"
                );
            }
        });
    }
}
