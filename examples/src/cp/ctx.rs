//! What every copy task shares: the options, the bar, the buffers, and the run's outcome.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::buffers::BufPool;
use crate::cli::Options;
use crate::errors::Failure;
use crate::preserve::DirFixup;
use crate::progress::Progress;

/// Shared by the tasks of one run, all on the runtime's one thread.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) opts: Options,
    pub(crate) progress: Progress,
    pub(crate) buffers: BufPool,
    /// The process umask, for the modes of new files and directories without `-p`.
    pub(crate) umask: u32,
    /// Directories whose entries changed, to fsync at the end (`--sync`).
    pub(crate) dirs_to_sync: RefCell<BTreeSet<PathBuf>>,
    /// Directories whose mode and times are set once their contents are in (parents first).
    pub(crate) dir_fixups: RefCell<Vec<DirFixup>>,
    failed: Cell<bool>,
    /// Whether the "O_DIRECT refused" warning was printed, for sources and destinations.
    warned_direct: [Cell<bool>; 2],
}

/// Which end of a copy a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Source,
    Destination,
}

impl Ctx {
    pub(crate) fn new(opts: Options, progress: Progress, umask: u32) -> Ctx {
        let slots = opts.jobs.saturating_mul(opts.queue_depth);
        Ctx {
            buffers: BufPool::new(opts.block_size, slots),
            opts,
            progress,
            umask,
            dirs_to_sync: RefCell::default(),
            dir_fixups: RefCell::default(),
            failed: Cell::new(false),
            warned_direct: [Cell::new(false), Cell::new(false)],
        }
    }

    /// Prints `failure` cp-style and marks the run failed (exit status 1).
    pub(crate) fn error(&self, failure: &Failure) {
        self.failed.set(true);
        self.progress.suspend(|| eprintln!("ringaio-cp: {failure}"));
    }

    /// Prints a warning; the run can still succeed.
    pub(crate) fn warn(&self, message: &str) {
        self.progress
            .suspend(|| eprintln!("ringaio-cp: warning: {message}"));
    }

    /// Prints `message` the first time `end` falls back from O_DIRECT in this run.
    pub(crate) fn warn_direct_once(&self, end: End, message: &str) {
        let warned = &self.warned_direct[end as usize];
        if !warned.replace(true) {
            self.warn(message);
        }
    }

    /// Whether any error was reported.
    pub(crate) fn failed(&self) -> bool {
        self.failed.get()
    }
}
