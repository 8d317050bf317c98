//! SIGINT and SIGTERM: remove every temporary, then exit with 128 + the signal's number
//! (130 for Ctrl-C), as a shell reports a process killed by it.

use std::io;
use std::thread;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use crate::progress::Progress;
use crate::temp;

/// Starts a thread that waits for SIGINT or SIGTERM and then cleans up and exits. The
/// runtime's thread may be inside the kernel at that moment; the registry, not the runtime,
/// says what to remove.
///
/// # Errors
/// Installing the handlers or starting the thread failed.
pub(crate) fn install(progress: Progress) -> io::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM])?;
    thread::Builder::new()
        .name("ringaio-cp-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                progress.abandon();
                temp::remove_all_and_exit(128 + signal);
            }
        })?;
    Ok(())
}
