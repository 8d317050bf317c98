//! The runtime `ringaio::block_on` keeps on each thread between calls, and the fork check
//! that keeps a child from using its parent's.

use std::cell::RefCell;

use crate::Runtime;

/// A kept runtime, the fork generation it was built in, and the count of references to its
/// scheduler when idle (more means a `Handle` or a waker of it is alive somewhere).
struct Kept {
    rt: Runtime,
    born: u32,
    refs: usize,
}

thread_local! {
    static KEPT: RefCell<Option<Kept>> = const { RefCell::new(None) };
}

/// The kept runtime, taken out while it runs (a nested `block_on` then finds none), unless
/// it is a forked parent's: that one is dropped (its reactor leaks what the parent owns).
pub(crate) fn take() -> Option<(Runtime, usize)> {
    let kept = KEPT.try_with(|k| k.borrow_mut().take()).ok().flatten()?;
    if kept.born != ringaio_core::fork_generation() {
        drop(kept.rt);
        return None;
    }
    Some((kept.rt, kept.refs))
}

/// Keeps `rt` for the next `block_on` on this thread; dropped at once when the thread is
/// tearing its locals down.
pub(crate) fn keep(rt: Runtime, refs: usize) {
    let kept = Kept {
        rt,
        born: ringaio_core::fork_generation(),
        refs,
    };
    let mut kept = Some(kept);
    // Outside the destructor phase the slot is empty (`take` emptied it); else `kept`
    // drops here.
    let _ = KEPT.try_with(|k| *k.borrow_mut() = kept.take());
}
