//! Messages between reactors: this reactor sends with `IORING_OP_MSG_RING` from its own
//! ring (the SQE goes out with the next submit, batched with the thread's other requests)
//! and receives other reactors' messages as CQEs, handed to its owner after each drain.
//! A message whose send fails comes back here and goes through the target's slow path.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use ringaio_core::Completion;

use super::{Deferred, Inner, Reactor};
use crate::key::{MESSAGE, MESSAGE_MASK, MESSAGE_SENT, WAKE};
use crate::mailbox::{Mailbox, MESSAGE_MAX};

/// How the owner takes the messages received in one drain: `(message, data)` pairs.
#[doc(hidden)]
pub type MessageHandler = Box<dyn Fn(&[(u32, u32)])>;

/// A message this reactor sent, until its ring reports how it went.
struct Outgoing {
    to: Mailbox,
    /// Keeps the target's fd number taken until the kernel has looked it up.
    _fd: Arc<OwnedFd>,
    msg: u32,
    data: u32,
}

/// The messages in flight, by index (their CQE's low 31 bits).
#[derive(Default)]
pub(super) struct Outbox {
    entries: Vec<Option<Outgoing>>,
    free: Vec<u32>,
    live: usize,
}

impl Outbox {
    fn insert(&mut self, out: Outgoing) -> u32 {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                self.entries[i as usize] = Some(out);
                i
            }
            None => {
                self.entries.push(Some(out));
                (self.entries.len() - 1) as u32
            }
        }
    }

    fn remove(&mut self, i: u32) -> Option<Outgoing> {
        let out = self.entries.get_mut(i as usize)?.take()?;
        self.free.push(i);
        self.live -= 1;
        Some(out)
    }

    /// Whether messages are in flight.
    pub(super) fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every message in flight, for the slow path (the ring is going away without their
    /// CQEs; a message delivered twice is a spurious wake, one lost would be a hang).
    pub(super) fn take_all(&mut self) -> Vec<(Mailbox, u32, u32)> {
        self.free.clear();
        self.live = 0;
        self.entries
            .drain(..)
            .flatten()
            .map(|o| (o.to, o.msg, o.data))
            .collect()
    }
}

impl Reactor {
    /// This reactor's mailbox, for other threads' reactors to send it messages with
    /// [`send_msg`](Reactor::send_msg). Closed when the ring cannot take messages (no
    /// ring, no `IORING_OP_MSG_RING`, an SQPOLL ring) and once the reactor shuts down.
    pub fn mailbox(&self) -> Mailbox {
        self.inner.borrow().mailbox.clone()
    }

    /// Installs how the owner takes the messages received (once; false if installed
    /// already). Messages received before are dropped.
    #[doc(hidden)]
    pub fn set_message_handler(&self, handler: MessageHandler) -> bool {
        self.message_handler.set(handler).is_ok()
    }

    /// Sends `msg` (at most [`MESSAGE_MAX`]) with `data` to the reactor of `to`, as a CQE on
    /// its ring posted once this reactor next submits. Returns false, having sent nothing,
    /// when it cannot: `msg` too large, `to` closed or out of credit, this reactor busy (a
    /// call from inside its own borrow), shut down, forked, without a ring or without
    /// `IORING_OP_MSG_RING`, or its ring full; the caller then uses its own path. A message
    /// this returned true for and that the kernel refuses later goes through `to`'s slow
    /// path ([`Mailbox::set_slow_path`]).
    pub fn send_msg(&self, to: &Mailbox, msg: u32, data: u32) -> bool {
        if msg > MESSAGE_MAX {
            return false;
        }
        match self.inner.try_borrow_mut() {
            Ok(mut inner) => inner.send_msg(to, msg, data),
            Err(_) => false,
        }
    }
}

impl Inner {
    fn send_msg(&mut self, to: &Mailbox, msg: u32, data: u32) -> bool {
        if !self.messages_on || self.shut || self.forked() || self.in_kernel >= self.budget {
            return false;
        }
        let Some(ring) = self.ring.as_mut().filter(|r| r.can_send_msg()) else {
            return false;
        };
        let Some(fd) = to.take_credit() else {
            return false;
        };
        let target = fd.as_fd();
        // Pushed before the outbox entry exists: the index it will get is known.
        let index = self.outbox.free.last().copied();
        let index = index.unwrap_or(self.outbox.entries.len() as u32);
        let pushed = ring.push_msg(
            target,
            MESSAGE | u64::from(msg),
            data as i32,
            MESSAGE_SENT | u64::from(index),
        );
        if let Err(e) = pushed {
            tracing::debug!(error = %e, "message by ring not sent; slow path");
            to.return_credits(1);
            return false;
        }
        let got = self.outbox.insert(Outgoing {
            to: to.clone(),
            _fd: fd,
            msg,
            data,
        });
        debug_assert_eq!(got, index);
        self.in_kernel += 1;
        self.messages.sent += 1;
        true
    }
}

/// A CQE with internal user data: the wake read's, a cancel's, a message received or the
/// fate of one sent.
#[cold]
pub(super) fn internal(
    c: &Completion,
    in_kernel: &mut usize,
    wake_armed: &mut bool,
    outbox: &mut Outbox,
    out: &mut Deferred,
) {
    match c.user_data & MESSAGE_MASK {
        MESSAGE => {
            out.messages.push((
                (c.user_data & u64::from(MESSAGE_MAX)) as u32,
                c.result as u32,
            ));
        }
        MESSAGE_SENT => {
            *in_kernel -= 1;
            let index = (c.user_data & u64::from(MESSAGE_MAX)) as u32;
            let Some(sent) = outbox.remove(index) else {
                return;
            };
            if c.result < 0 {
                tracing::debug!(error = -c.result, "message by ring refused; slow path");
                sent.to.return_credits(1);
                out.failed.push((sent.to, sent.msg, sent.data));
            }
        }
        _ => {
            *in_kernel -= 1;
            if c.user_data == WAKE {
                *wake_armed = false;
            }
        }
    }
}
