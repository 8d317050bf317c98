//! Progress on stderr: bytes copied against a total known before the first byte is (for file
//! operands), or bytes and files done (for trees, which are not walked twice), and `--verify`'s
//! read-back as a phase of its own.
//!
//! Nothing is drawn for a copy that ends within [`QUIET_FOR`]. On a terminal the line is
//! redrawn in place; into a pipe or file (`--progress` forced) plain lines are appended, with
//! no escape codes. The counters are atomics, bumped from the runtime's thread and the
//! blocking pool alike; a thread of its own draws.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// When to show progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProgressMode {
    /// When stderr is a terminal.
    Auto,
    /// Always (`--progress`), even into a pipe or file.
    On,
    /// Never (`--no-progress`).
    Off,
}

/// How long a copy runs before anything is drawn.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// Between redraws on a terminal.
const TERMINAL_TICK: Duration = Duration::from_millis(250);
/// Between lines into a pipe or file.
const PLAIN_TICK: Duration = Duration::from_secs(1);
/// Width of the bar, in characters.
const BAR: u64 = 30;

#[derive(Debug, Default)]
struct Counters {
    /// Bytes to copy, 0 when not known up front.
    total: AtomicU64,
    copied: AtomicU64,
    verified: AtomicU64,
    files: AtomicU64,
}

#[derive(Debug, Default)]
struct Screen {
    /// A line is on the terminal, to clear before anything else is printed.
    drawn: bool,
    /// Anything was drawn at all.
    shown: bool,
    finished: bool,
}

#[derive(Debug)]
struct Shared {
    counters: Counters,
    verify: AtomicBool,
    terminal: bool,
    started: Instant,
    screen: Mutex<Screen>,
    wake: Condvar,
}

/// Progress, or nothing; cheap to clone, usable from any thread.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    shared: Option<Arc<Shared>>,
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        let on = match mode {
            ProgressMode::Off => false,
            ProgressMode::Auto => terminal,
            ProgressMode::On => true,
        };
        if !on {
            return Progress { shared: None };
        }
        let shared = Arc::new(Shared {
            counters: Counters::default(),
            verify: AtomicBool::new(false),
            terminal,
            started: Instant::now(),
            screen: Mutex::default(),
            wake: Condvar::new(),
        });
        let drawer = shared.clone();
        let started = thread::Builder::new()
            .name("ringaio-cp-progress".into())
            .spawn(move || drawer.run());
        Progress {
            shared: started.is_ok().then_some(shared),
        }
    }

    /// The bytes to copy, when known before the copy starts.
    pub(crate) fn set_total(&self, bytes: u64) {
        if let Some(s) = &self.shared {
            s.counters.total.store(bytes, Ordering::Relaxed);
        }
    }

    /// `--verify`: show the read-back as its own phase.
    pub(crate) fn set_verify(&self) {
        if let Some(s) = &self.shared {
            s.verify.store(true, Ordering::Relaxed);
        }
    }

    /// Bytes copied.
    pub(crate) fn advance(&self, bytes: u64) {
        if let Some(s) = &self.shared {
            s.counters.copied.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// Bytes read back and compared.
    pub(crate) fn verified(&self, bytes: u64) {
        if let Some(s) = &self.shared {
            s.counters.verified.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    /// A file done.
    pub(crate) fn file_done(&self) {
        if let Some(s) = &self.shared {
            s.counters.files.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Runs `f` (which prints) with the progress line out of the way.
    pub(crate) fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(s) = &self.shared else {
            return f();
        };
        let mut screen = s.screen();
        s.clear(&mut screen);
        f()
    }

    /// Draws the final state (if anything was drawn, or `--progress` asked for it) and stops.
    pub(crate) fn finish(&self) {
        if let Some(s) = &self.shared {
            let mut screen = s.screen();
            if !screen.finished {
                screen.finished = true;
                s.draw(&mut screen);
                if s.terminal && screen.drawn {
                    let _ = writeln!(std::io::stderr());
                    screen.drawn = false;
                }
            }
            s.wake.notify_all();
        }
    }

    /// Leaves the line where it is (on an interrupt), ending it.
    pub(crate) fn abandon(&self) {
        if let Some(s) = &self.shared {
            let mut screen = s.screen();
            screen.finished = true;
            if screen.drawn {
                let _ = writeln!(std::io::stderr());
                screen.drawn = false;
            }
        }
    }
}

impl Shared {
    fn screen(&self) -> MutexGuard<'_, Screen> {
        self.screen.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self) {
        let mut screen = self.screen();
        let mut wait = QUIET_FOR;
        loop {
            let (next, _) = self
                .wake
                .wait_timeout(screen, wait)
                .unwrap_or_else(|e| e.into_inner());
            screen = next;
            if screen.finished {
                return;
            }
            if self.started.elapsed() < QUIET_FOR {
                wait = QUIET_FOR.saturating_sub(self.started.elapsed());
                continue;
            }
            self.draw(&mut screen);
            wait = if self.terminal {
                TERMINAL_TICK
            } else {
                PLAIN_TICK
            };
        }
    }

    fn clear(&self, screen: &mut Screen) {
        if screen.drawn {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            screen.drawn = false;
        }
    }

    fn draw(&self, screen: &mut Screen) {
        let line = self.line();
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
            screen.drawn = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
        screen.shown = true;
    }

    fn line(&self) -> String {
        let c = &self.counters;
        let (total, copied) = (
            c.total.load(Ordering::Relaxed),
            c.copied.load(Ordering::Relaxed),
        );
        let verified = c.verified.load(Ordering::Relaxed);
        let files = c.files.load(Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rate = format!("{}/s", bytes((copied + verified) as f64 / secs));
        let elapsed = self.started.elapsed().as_secs();
        let clock = format!("{:02}:{:02}", elapsed / 60, elapsed % 60);
        if total == 0 {
            let mut line = format!("{clock} copied {} ({files} files)", bytes(copied as f64));
            if self.verify.load(Ordering::Relaxed) {
                line.push_str(&format!(", verified {}", bytes(verified as f64)));
            }
            return format!("{line} {rate}");
        }
        let verifying = self.verify.load(Ordering::Relaxed) && copied >= total;
        let (phase, done) = if verifying {
            ("verify", verified.min(total))
        } else {
            ("copy", copied.min(total))
        };
        let filled = done * BAR / total;
        let bar = format!(
            "{}{}",
            "=".repeat(filled as usize),
            " ".repeat((BAR - filled) as usize)
        );
        format!(
            "{clock} {phase} [{bar}] {}/{} {rate}",
            bytes(done as f64),
            bytes(total as f64)
        )
    }
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024.0 {
        return format!("{n:.0} B");
    }
    let mut value = n / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_units() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.0 GiB");
    }

    #[test]
    fn the_line_never_shows_more_than_the_total() {
        let shared = Shared {
            counters: Counters::default(),
            verify: AtomicBool::new(true),
            terminal: false,
            started: Instant::now(),
            screen: Mutex::default(),
            wake: Condvar::new(),
        };
        shared.counters.total.store(100, Ordering::Relaxed);
        shared.counters.copied.store(50, Ordering::Relaxed);
        assert!(shared.line().contains("copy ["), "{}", shared.line());
        shared.counters.copied.store(150, Ordering::Relaxed);
        shared.counters.verified.store(10, Ordering::Relaxed);
        let line = shared.line();
        assert!(
            line.contains("verify [===") && line.contains("10 B/100 B"),
            "{line}"
        );
        assert!(!line.contains('\x1b'), "{line}");
    }
}
