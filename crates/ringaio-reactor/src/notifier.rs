//! The reactor's wake-up line: an eventfd that other threads (wakers, the blocking pool)
//! write to end a park.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

/// A cheap, clonable, `Send + Sync` handle that wakes the reactor from any thread.
#[derive(Clone, Debug)]
pub struct Notifier {
    fd: Arc<OwnedFd>,
}

impl Notifier {
    /// A new eventfd (blocking, close-on-exec: the ring reads it, and a blocking read of a
    /// ready eventfd never waits).
    ///
    /// # Errors
    /// As `eventfd(2)` (EMFILE, ENFILE, ENOMEM).
    pub fn new() -> io::Result<Notifier> {
        // SAFETY: eventfd takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by eventfd and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Notifier { fd: Arc::new(fd) })
    }

    /// Wakes the reactor (now, or at its next park if it is not parked).
    pub fn notify(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to an fd this handle keeps open.
        let n = unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        if n != 8 {
            // Only a saturated counter can refuse a write, and then a wake-up is pending.
            tracing::trace!("eventfd write refused: {}", io::Error::last_os_error());
        }
    }

    pub(crate) fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Waits until notified or `timeout` passes, then clears the count. For the fallback
    /// backend, which has no ring to read the eventfd.
    pub(crate) fn wait(&self, timeout: Option<Duration>) {
        let ms = match timeout {
            None => -1,
            Some(d) => {
                d.as_millis().min(i32::MAX as u128) as i32
                    + i32::from(d.subsec_nanos() % 1_000_000 != 0)
            }
        };
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
        if ready > 0 {
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64; the fd is readable so this does not block.
            unsafe { libc::read(self.fd.as_raw_fd(), (&mut count as *mut u64).cast(), 8) };
        }
    }
}
