//! Registered buffers: a pool of page-aligned buffers registered with the ring, so reads and
//! writes into them skip the kernel's per-request page pinning (`READ_FIXED`/`WRITE_FIXED`).

use std::alloc::{self, Layout};
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::rc::{Rc, Weak};

use ringaio_reactor::{BufferSlot, Reactor};

use super::{IoBuf, IoBufMut};
use crate::context;

/// Most buffers one pool registers (the kernel's limit, `IORING_MAX_REG_BUFFERS`).
pub const MAX_FIXED_BUFFERS: u16 = 1 << 14;

struct PoolInner {
    memory: NonNull<u8>,
    layout: Layout,
    size: usize,
    free: RefCell<Vec<u16>>,
    /// The runtime whose ring has these buffers as its whole registered-buffer table (a
    /// ring without a table of slots to share).
    registered: Option<Weak<Reactor>>,
    /// Or: buffer `i`'s slot in the ring's table of slots.
    slots: Vec<BufferSlot>,
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // Every `FixedBuf` (and so every request using one) is gone, and with it every way
        // to name the slots: unregister (or give the slots back), then free.
        if let Some(reactor) = self.registered.take().and_then(|r| r.upgrade()) {
            // SAFETY: this pool installed the table, and no `FixedBuf` is left to name it.
            unsafe { reactor.unregister_buffers() };
        }
        self.slots.clear();
        // SAFETY: allocated in `FixedBufPool::new` with exactly this layout; no buffer is out.
        unsafe { alloc::dealloc(self.memory.as_ptr(), self.layout) };
    }
}

/// A pool of buffers registered with the current runtime's ring. Take one with
/// [`try_get`](FixedBufPool::try_get); use it with
/// [`File::read_fixed_at`](crate::fs::File::read_fixed_at) and
/// [`File::write_fixed_at`](crate::fs::File::write_fixed_at); dropping it returns it.
///
/// The pool's buffers take slots in the runtime's registered-buffer table
/// ([`Builder::fixed_buffers`](crate::Builder::fixed_buffers)), so several pools (and
/// self-registering `AlignedBuf`s) share one ring. With that table turned off, one pool
/// registers its buffers as the ring's whole table: one pool per runtime then.
#[derive(Clone)]
pub struct FixedBufPool {
    inner: Rc<PoolInner>,
}

impl fmt::Debug for FixedBufPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBufPool")
            .field("size", &self.inner.size)
            .field("free", &self.inner.free.borrow().len())
            .field(
                "registered",
                &(self.inner.registered.is_some() || !self.inner.slots.is_empty()),
            )
            .finish()
    }
}

impl FixedBufPool {
    /// `count` zeroed buffers of `size` bytes (rounded up to 4 KiB, so they suit `O_DIRECT`),
    /// registered with the current runtime's ring. In fallback mode they are plain buffers.
    ///
    /// # Errors
    /// `InvalidInput` for 0 buffers, more than [`MAX_FIXED_BUFFERS`], or a zero or overflowing
    /// size; `OutOfMemory`; no current runtime; `IORING_REGISTER_BUFFERS` errors (EBUSY when
    /// the ring has a pool already). When the kernel refuses to pin the buffers (over the
    /// `RLIMIT_MEMLOCK` limit), `OutOfMemory` with a message naming the limit and its value.
    pub fn new(count: u16, size: usize) -> io::Result<FixedBufPool> {
        let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidInput, what.to_owned());
        if count == 0 || count > MAX_FIXED_BUFFERS || size == 0 {
            return Err(invalid("need 1..=16384 buffers of a non-zero size"));
        }
        let size = size
            .checked_next_multiple_of(4096)
            .ok_or_else(|| invalid("size"))?;
        let total = size
            .checked_mul(usize::from(count))
            .ok_or_else(|| invalid("size"))?;
        let layout = Layout::from_size_align(total, 4096).map_err(|_| invalid("size"))?;
        let reactor = context::reactor()?;
        // SAFETY: the layout has a non-zero size.
        let memory = NonNull::new(unsafe { alloc::alloc_zeroed(layout) }).ok_or_else(|| {
            io::Error::new(io::ErrorKind::OutOfMemory, "fixed buffer pool allocation")
        })?;
        let mut inner = PoolInner {
            memory,
            layout,
            size,
            free: RefCell::new((0..count).rev().collect()),
            registered: None,
            slots: Vec::new(),
        };
        let iovecs: Vec<libc::iovec> = (0..usize::from(count))
            .map(|i| libc::iovec {
                // SAFETY: `i * size` is within the allocation of `count * size` bytes.
                iov_base: unsafe { memory.as_ptr().add(i * size) }.cast(),
                iov_len: size,
            })
            .collect();
        // Slots given back (a pool just dropped) count as free.
        reactor.reclaim_buffers();
        let stats = reactor.stats();
        if stats.buffer_slots > 0 {
            // The ring has a table of slots (shared with `AlignedBuf`s): take one per buffer.
            if stats.buffer_slots_free < usize::from(count) {
                return Err(io::Error::other(format!(
                    "the ring's registered-buffer table has {} free slots, {count} asked for \
                     (raise Builder::fixed_buffers)",
                    stats.buffer_slots_free
                )));
            }
            for iov in &iovecs {
                // SAFETY: the memory lives in `inner` until its Drop, which drops the slots
                // first; requests name a slot only through a `FixedBuf` (each holds the pool
                // alive) and only on the ring that owns it (`FixedBuf::index_in`).
                let slot = unsafe { reactor.register_buffer(iov.iov_base.cast(), iov.iov_len) };
                match slot {
                    Some(slot) => inner.slots.push(slot),
                    // `inner` drops: its slots go back, then the memory is freed.
                    None => return Err(refused(None, size, total)),
                }
            }
        } else {
            // SAFETY: the memory lives in `inner` until its Drop, which unregisters first;
            // no request can use a buffer after that, as each `FixedBuf` holds the pool
            // alive.
            match unsafe { reactor.register_buffers(&iovecs) } {
                Ok(true) => inner.registered = Some(Rc::downgrade(&reactor)),
                Ok(false) => {} // fallback mode: plain buffers.
                // `inner` drops and frees the memory.
                Err(e) if e.raw_os_error() == Some(libc::ENOMEM) => {
                    return Err(refused(Some(e), size, total))
                }
                Err(e) => return Err(e),
            }
        }
        Ok(FixedBufPool {
            inner: Rc::new(inner),
        })
    }

    /// A free buffer, if there is one. Its length starts at 0 (nothing initialized to
    /// write); reads fill up to its capacity.
    pub fn try_get(&self) -> Option<FixedBuf> {
        let index = self.inner.free.borrow_mut().pop()?;
        Some(FixedBuf {
            pool: self.inner.clone(),
            index,
            len: 0,
        })
    }

    /// Each buffer's capacity.
    pub fn buffer_size(&self) -> usize {
        self.inner.size
    }
}

/// One buffer of a [`FixedBufPool`]. Dropping it returns it to the pool.
pub struct FixedBuf {
    pool: Rc<PoolInner>,
    index: u16,
    len: usize,
}

impl FixedBuf {
    fn ptr(&self) -> *mut u8 {
        // SAFETY: `index < count`, so the offset is within the pool's allocation.
        unsafe {
            self.pool
                .memory
                .as_ptr()
                .add(usize::from(self.index) * self.pool.size)
        }
    }

    /// The registered-buffer index (`buf_index` of `READ_FIXED`).
    pub fn buf_index(&self) -> u16 {
        self.pool
            .slots
            .get(usize::from(self.index))
            .map_or(self.index, BufferSlot::index)
    }

    /// The index to use with `reactor`'s ring: `None` when the buffer is not registered
    /// there (fallback mode, or a pool made on another runtime), for a plain read or write.
    pub(crate) fn index_in(&self, reactor: &Reactor) -> Option<u16> {
        let pool = &self.pool;
        if let Some(slot) = pool.slots.get(usize::from(self.index)) {
            return reactor.owns_buffer(slot).then(|| slot.index());
        }
        let whole_table = pool
            .registered
            .as_ref()
            .is_some_and(|r| std::ptr::eq(r.as_ptr(), reactor));
        whole_table.then_some(self.index)
    }
    /// Sets how many bytes count as initialized (what a write sends), at most the capacity.
    /// The bytes are zeroed at birth, so every length is initialized memory.
    pub fn set_len(&mut self, len: usize) {
        self.len = len.min(self.pool.size);
    }

    /// Copies `data` (at most the capacity) into the buffer and sets the length to match.
    pub fn fill_from(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.pool.size);
        // SAFETY: `n` bytes fit in this buffer; `data` cannot overlap memory we own exclusively.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.ptr(), n) };
        self.len = n;
        n
    }
}

impl Drop for FixedBuf {
    fn drop(&mut self) {
        self.pool.free.borrow_mut().push(self.index);
    }
}

impl fmt::Debug for FixedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedBuf")
            .field("index", &self.index)
            .field("len", &self.len)
            .field("capacity", &self.pool.size)
            .finish()
    }
}

impl Deref for FixedBuf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` bytes of this buffer are allocated and initialized (zeroed at birth).
        unsafe { std::slice::from_raw_parts(self.ptr(), self.len) }
    }
}

impl DerefMut for FixedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`; `&mut self` makes the access exclusive (each index is
        // handed out once).
        unsafe { std::slice::from_raw_parts_mut(self.ptr(), self.len) }
    }
}

// SAFETY: the pool's heap memory does not move and lives as long as any `FixedBuf` (each
// holds the pool); each index is handed out to one `FixedBuf` at a time.
unsafe impl IoBuf for FixedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len
    }
    fn bytes_total(&self) -> usize {
        self.pool.size
    }
}

// SAFETY: as for IoBuf; every byte is initialized (zeroed at allocation).
unsafe impl IoBufMut for FixedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        self.len = pos.min(self.pool.size);
    }
}

/// The error for buffers the kernel refused to register (`ENOMEM` from the registration, or
/// a slot the reactor could not fill, when `cause` is `None`): pinned memory counts against
/// `RLIMIT_MEMLOCK`, so name the limit when it applies.
fn refused(cause: Option<io::Error>, size: usize, total: usize) -> io::Error {
    let cause = cause.map_or_else(String::new, |e| format!(" ({e})"));
    let why = match ringaio_core::memlock_limit() {
        Some(limit) => format!(
            "registered buffers are pinned and count against RLIMIT_MEMLOCK, which is {} KiB \
             here ({} KiB asked for): raise it (ulimit -l) or ask for fewer or smaller buffers",
            limit / 1024,
            total / 1024
        ),
        None if size > 1 << 30 => "a registered buffer may be at most 1 GiB".to_owned(),
        None => "the kernel refused to pin them".to_owned(),
    };
    io::Error::new(
        io::ErrorKind::OutOfMemory,
        format!("could not register the pool's buffers{cause}: {why}"),
    )
}
