//! A slot's state bits. A slot has two owners, the waiting side and the kernel; it is freed
//! when both have let go.

/// The waiting side (a future, or whoever submitted) still holds the slot.
pub(crate) const WAITER: u8 = 1 << 0;
/// The kernel (or the blocking pool, or the fallback timer list) holds the slot until the
/// request's final completion.
pub(crate) const KERNEL: u8 = 1 << 1;
/// Admitted but not yet handed to the kernel: it waits in user space for CQ room.
pub(crate) const QUEUED: u8 = 1 << 2;
/// The final result is stored and not yet taken.
pub(crate) const COMPLETE: u8 = 1 << 3;
/// A cancel for the request has been sent; never send a second.
pub(crate) const CANCELLING: u8 = 1 << 4;
/// Shutdown gave up waiting for the kernel: whatever the slot keeps alive is leaked, never
/// freed, and a waiter that lets go later must leak its resources too.
pub(crate) const LEAKED: u8 = 1 << 5;

/// Whether a slot in `state` may be removed: neither owner holds it. A request still
/// `QUEUED` in user space has not reached the kernel, so only its waiter holds it.
pub(crate) fn is_free(state: u8) -> bool {
    state & (WAITER | KERNEL) == 0
}
