//! `Recorder`: one round's counts shared by the tasks of a single-threaded engine.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use super::RoundResult;

/// One round's counts shared by the workers (tasks) of a single-threaded engine: one
/// histogram per round, as the raw loop has, rather than one per task (32 histograms of
/// about 200 KiB each would turn every latency record into a cache miss).
#[derive(Clone)]
pub(crate) struct Recorder(Rc<RefCell<RoundResult>>);

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder(Rc::new(RefCell::new(RoundResult::new())))
    }

    /// Counts one completed operation of `bytes` bytes that took `latency`.
    #[inline]
    pub(crate) fn record(&self, bytes: u64, latency: Duration) {
        self.0.borrow_mut().record(bytes, latency);
    }

    /// The counts so far.
    pub(crate) fn take(&self) -> RoundResult {
        self.0.replace(RoundResult::new())
    }
}
