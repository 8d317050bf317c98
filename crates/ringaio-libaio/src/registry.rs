//! The process's contexts by address, so that a stale or made-up `io_context_t` is
//! `EINVAL` (as the kernel's `lookup_ioctx`) rather than a wild pointer.
//!
//! A forked child starts with an empty registry: the kernel does not carry AIO contexts
//! across `fork` either, and the parent's io_uring is still the parent's. The child's
//! calls on inherited contexts fail with `EINVAL`; contexts it sets up itself work.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError};

use crate::context::Context;

type Table = Mutex<HashMap<usize, Arc<Context>, BuildHasherDefault<AddrHasher>>>;

/// Hashes a context address (page-aligned, chosen by `mmap`, not by an attacker who could
/// flood one bucket) by its page number: every `io_submit` and `io_getevents` looks one up,
/// and SipHash cost more than the rest of the lookup.
#[derive(Default)]
struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_usize(&mut self, addr: usize) {
        // Spread the page number over the high bits too: hashbrown takes its control
        // byte from the top 7 bits.
        self.0 = ((addr as u64) >> 12).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The current table; null until first used and again in a forked child (the parent's
/// table, with its lock possibly held by a thread that did not survive, is abandoned).
static TABLE: AtomicPtr<Table> = AtomicPtr::new(ptr::null_mut());

fn table() -> &'static Table {
    let p = TABLE.load(Ordering::Acquire);
    if !p.is_null() {
        // SAFETY: tables are leaked, never freed: a non-null pointer stays valid.
        return unsafe { &*p };
    }
    let fresh = Box::into_raw(Box::new(Table::default()));
    match TABLE.compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: just leaked, as above.
        Ok(_) => unsafe { &*fresh },
        Err(current) => {
            // SAFETY: `fresh` was never shared; `current` is a leaked table.
            unsafe {
                drop(Box::from_raw(fresh));
                &*current
            }
        }
    }
}

extern "C" fn forget_in_child() {
    // Only the forking thread lives on: nothing else reads TABLE now. The parent's contexts
    // (and their io_urings) are leaked in the child, never destroyed there.
    TABLE.store(ptr::null_mut(), Ordering::Release);
}

/// Registers `ctx` under its address.
pub(crate) fn insert(ctx: Arc<Context>) {
    static AT_FORK: Once = Once::new();
    AT_FORK.call_once(|| {
        // SAFETY: registers a child handler that only stores to an atomic.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(forget_in_child)) };
        if rc != 0 {
            tracing::warn!(
                rc,
                "libaio: pthread_atfork failed; a forked child may reach the parent's rings"
            );
        }
    });
    let mut t = table().lock().unwrap_or_else(PoisonError::into_inner);
    t.insert(ctx.addr(), ctx);
}

/// The context at `addr`, if one is registered there.
#[inline]
pub(crate) fn get(addr: usize) -> Option<Arc<Context>> {
    let t = table().lock().unwrap_or_else(PoisonError::into_inner);
    t.get(&addr).cloned()
}

/// Unregisters and returns the context at `addr`.
pub(crate) fn remove(addr: usize) -> Option<Arc<Context>> {
    let mut t = table().lock().unwrap_or_else(PoisonError::into_inner);
    t.remove(&addr)
}
