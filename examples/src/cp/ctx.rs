//! What every copy shares: the options and progress (also with the blocking pool, through
//! [`Settings`]), and, on the runtime's thread, the buffers, the directories to finish, the
//! hard links to make, and the run's outcome.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::buffers::BufPool;
use crate::cli::Options;
use crate::errors::Failure;
use crate::preserve::DirFixup;
use crate::progress::Progress;

/// What the blocking jobs of a run need: `Send` and `Sync`.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) opts: Options,
    pub(crate) progress: Progress,
    /// The process umask, for the modes of new directories without `--preserve=mode`.
    pub(crate) umask: u32,
    /// Whether the process runs as root (who may give files away).
    pub(crate) root: bool,
    /// Source devices from which `FICLONE` to the run's target was refused: not tried again
    /// for every file of a tree.
    reflink_refused: Mutex<HashSet<u64>>,
}

impl Settings {
    /// Whether a reflink between these devices is worth trying.
    pub(crate) fn may_clone(&self, dev: u64) -> bool {
        !self
            .reflink_refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&dev)
    }

    /// Remembers that a reflink from this device was refused.
    pub(crate) fn clone_refused(&self, dev: u64) {
        self.reflink_refused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dev);
    }
}

/// Shared by the tasks of one run, all on the runtime's one thread.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub(crate) settings: Arc<Settings>,
    pub(crate) opts: Options,
    pub(crate) progress: Progress,
    pub(crate) buffers: BufPool,
    /// Directories whose entries changed, to fsync at the end (`--sync`).
    pub(crate) dirs_to_sync: RefCell<BTreeSet<PathBuf>>,
    /// Directories whose mode and times are set once their contents are in (parents first).
    pub(crate) dir_fixups: RefCell<Vec<DirFixup>>,
    /// `--preserve=links`: the first copy of each multiply-linked source, by (device, inode).
    pub(crate) first_copies: RefCell<HashMap<(u64, u64), PathBuf>>,
    /// Hard links to make once every copy is done: (existing copy, new name).
    pub(crate) links: RefCell<Vec<(PathBuf, PathBuf)>>,
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
        // SAFETY: geteuid has no preconditions and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        let settings = Arc::new(Settings {
            opts: opts.clone(),
            progress: progress.clone(),
            umask,
            root,
            reflink_refused: Mutex::default(),
        });
        Ctx {
            settings,
            buffers: BufPool::new(opts.block_size, slots),
            opts,
            progress,
            dirs_to_sync: RefCell::default(),
            dir_fixups: RefCell::default(),
            first_copies: RefCell::default(),
            links: RefCell::default(),
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

    /// `-v`: says what was copied where, as cp does (`'src' -> 'dst'`).
    pub(crate) fn say(&self, line: &str) {
        if self.opts.verbose {
            self.progress.suspend(|| println!("{line}"));
        }
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
