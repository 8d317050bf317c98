//! The progress bar: bytes done and to do, rate, ETA (indicatif, on stderr).

use std::io::IsTerminal;
use std::time::Duration;

use console::Term;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// When to show the bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProgressMode {
    /// When stderr is a terminal.
    Auto,
    /// Always (`--progress`), even into a pipe or file.
    On,
    /// Never (`--no-progress`).
    Off,
}

const TEMPLATE: &str =
    "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}";

/// A progress bar, or nothing; cheap to clone (one shared bar), usable from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode) -> Progress {
        let target = match mode {
            ProgressMode::Off => return Progress::hidden(),
            ProgressMode::Auto if !std::io::stderr().is_terminal() => return Progress::hidden(),
            ProgressMode::Auto => ProgressDrawTarget::stderr(),
            // indicatif's own stderr target draws nothing off a terminal; asked for, we do.
            ProgressMode::On => ProgressDrawTarget::term_like(Box::new(Term::stderr())),
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        if let Ok(style) = ProgressStyle::with_template(TEMPLATE) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.enable_steady_tick(Duration::from_millis(250));
        Progress { bar }
    }

    fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
        }
    }

    /// More bytes to do (a tree's total grows as it is walked).
    pub(crate) fn add_total(&self, bytes: u64) {
        self.bar.inc_length(bytes);
    }

    /// Bytes done.
    pub(crate) fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
    }

    /// Runs `f` (which prints) with the bar out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        self.bar.suspend(f)
    }

    /// Draws the final state and stops the ticker.
    pub(crate) fn finish(&self) {
        if !self.bar.is_hidden() {
            self.bar.finish();
        }
    }

    /// Leaves the bar where it is (on an interrupt), ending its line.
    pub(crate) fn abandon(&self) {
        if !self.bar.is_hidden() {
            self.bar.abandon();
        }
    }
}
