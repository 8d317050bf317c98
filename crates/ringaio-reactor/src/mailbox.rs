//! `Mailbox`: where other threads' reactors post small messages to this reactor's ring with
//! `IORING_OP_MSG_RING`, a CQE each (no eventfd write, no futex), and the refcount that keeps
//! the ring's fd from being closed, and its number reused, while a message to it may still be
//! looked up by the kernel.
//!
//! The mailbox holds its own duplicate of the ring fd behind an `Arc`: a sender takes a
//! reference (with a credit) before it pushes its message and drops it once its own ring
//! has reported the message's fate. Closing the mailbox (the reactor shuts down or gives up
//! its ring) only drops the mailbox's reference, so the fd number stays taken until the last
//! message in flight is done with it; from then on senders are refused and use their slow
//! path. Credits bound the messages sent and not yet reaped, so senders cannot flood the
//! target's CQ.

use std::fmt;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// The largest message: messages travel in 31 bits of the target's user data.
pub const MESSAGE_MAX: u32 = (1 << 31) - 1;

/// How a message that could not go by ring is delivered: the owner's slow path (a queue and
/// a wake-up), called on the sending thread with the message and its data.
pub type SlowPath = Box<dyn Fn(u32, u32) + Send + Sync>;

/// A reactor's mailbox, to send it messages from other reactors
/// ([`Reactor::send_msg`](crate::Reactor::send_msg)); `Clone`, `Send` and `Sync`.
#[derive(Clone)]
pub struct Mailbox {
    inner: Arc<Inner>,
}

struct Inner {
    /// The target ring's fd (a duplicate), `None` once closed or when there is no ring.
    fd: RwLock<Option<Arc<OwnedFd>>>,
    /// Messages sent and not yet reaped by the target (or given back on failure).
    pending: AtomicU32,
    /// Most `pending` messages: a share of the target's CQ.
    limit: u32,
    slow: OnceLock<SlowPath>,
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailbox")
            .field("open", &self.is_open())
            .field("pending", &self.inner.pending.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// A mailbox that takes no message by ring (no ring, or no `IORING_OP_MSG_RING`).
    pub(crate) fn closed() -> Mailbox {
        Mailbox::with_fd(None, 0)
    }

    /// A mailbox for the ring `ring_fd`, holding a duplicate of it; at most `limit` messages
    /// in flight.
    ///
    /// # Errors
    /// As `fcntl(F_DUPFD_CLOEXEC)` (EMFILE).
    pub(crate) fn open(ring_fd: RawFd, limit: u32) -> io::Result<Mailbox> {
        // SAFETY: duplicates an fd the caller's ring keeps open; no pointers.
        let fd = unsafe { libc::fcntl(ring_fd, libc::F_DUPFD_CLOEXEC, 0) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by fcntl and is owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Mailbox::with_fd(Some(Arc::new(fd)), limit))
    }

    fn with_fd(fd: Option<Arc<OwnedFd>>, limit: u32) -> Mailbox {
        Mailbox {
            inner: Arc::new(Inner {
                fd: RwLock::new(fd),
                pending: AtomicU32::new(0),
                limit,
                slow: OnceLock::new(),
            }),
        }
    }

    /// Whether messages to this mailbox may go by ring.
    pub fn is_open(&self) -> bool {
        self.read().is_some()
    }

    /// Installs the slow path for messages that cannot go by ring (once; returns false if
    /// one was installed already). Without one, such messages are dropped.
    pub fn set_slow_path(&self, slow: SlowPath) -> bool {
        self.inner.slow.set(slow).is_ok()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Arc<OwnedFd>>> {
        self.inner.fd.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A reference to the ring fd and a credit for one message, if the mailbox is open and
    /// has credit left.
    pub(crate) fn take_credit(&self) -> Option<Arc<OwnedFd>> {
        let fd = self.read().clone()?;
        let taken = self
            .inner
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.inner.limit).then_some(n + 1)
            });
        taken.is_ok().then_some(fd)
    }

    /// Gives back `n` credits: messages reaped by the target, or that failed.
    pub(crate) fn return_credits(&self, n: u32) {
        if n > 0 {
            self.inner.pending.fetch_sub(n, Ordering::AcqRel);
        }
    }

    /// Whether messages were sent that the target has not reaped yet.
    pub(crate) fn has_pending(&self) -> bool {
        self.inner.pending.load(Ordering::Acquire) > 0
    }

    /// Refuses further messages by ring; the fd closes when the last one in flight is done.
    pub(crate) fn close(&self) {
        let fd = self
            .inner
            .fd
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        drop(fd);
    }

    /// Delivers a message through the slow path (the sender's ring could not).
    pub(crate) fn deliver_slow(&self, msg: u32, data: u32) {
        match self.inner.slow.get() {
            Some(slow) => slow(msg, data),
            None => tracing::debug!(msg, "mailbox without a slow path: message dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mailbox;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    #[test]
    fn credits_are_bounded_and_closing_refuses() {
        let notifier = crate::Notifier::new().expect("eventfd");
        let mailbox = Mailbox::open(notifier.as_raw_fd(), 2).expect("dup");
        let a = mailbox.take_credit().expect("first credit");
        let _b = mailbox.take_credit().expect("second credit");
        assert!(mailbox.take_credit().is_none(), "limit 2");
        mailbox.return_credits(1);
        assert!(mailbox.has_pending());
        assert!(mailbox.take_credit().is_some());
        mailbox.close();
        mailbox.return_credits(2);
        assert!(!mailbox.is_open());
        assert!(mailbox.take_credit().is_none(), "closed");
        // The senders' references keep the fd open after the close.
        assert_eq!(Arc::strong_count(&a), 2);
        assert!(Mailbox::closed().take_credit().is_none());
    }

    #[test]
    fn slow_path_gets_the_message() {
        let mailbox = Mailbox::closed();
        let got = Arc::new(AtomicU32::new(0));
        let seen = got.clone();
        assert!(mailbox.set_slow_path(Box::new(move |msg, data| {
            seen.store(msg + data, Ordering::SeqCst);
        })));
        assert!(!mailbox.set_slow_path(Box::new(|_, _| {})));
        mailbox.deliver_slow(40, 2);
        assert_eq!(got.load(Ordering::SeqCst), 42);
    }
}
