//! `AlignedBuf`: a heap buffer aligned for `O_DIRECT`.

use std::alloc::{self, Layout};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use ringaio_core::Iocb;
use ringaio_reactor::{BufferSlot, Reactor};

use super::{IoBuf, IoBufMut};

/// Moves `iocb`, a plain read into or write from `buf`, to `buf`'s slot in `reactor`'s
/// registered-buffer table when it is an `AlignedBuf` that has (or now takes) one there,
/// and the ring runs both the plain and the fixed opcode.
#[inline]
pub(crate) fn on_registered_slot<B: IoBuf>(buf: &mut B, reactor: &Reactor, iocb: &mut Iocb) {
    // First what the buffer is: for every type but `AlignedBuf` (a `Vec`), a constant `None`
    // that leaves nothing of this function in the read's submit path.
    let Some(aligned) = buf.as_aligned_buf() else {
        return;
    };
    let Some(fixed) = iocb.opcode.with_fixed_buffer() else {
        return;
    };
    // Neither registers nor converts when either opcode was sent to the pool
    // (`forbid_opcode`, a kernel without it): the buffer would be pinned for nothing.
    if !(reactor.runs_on_ring(iocb.opcode) && reactor.runs_on_ring(fixed)) {
        return;
    }
    if let Some(index) = aligned.fixed_index(reactor) {
        *iocb = iocb.on_fixed_buffer(index);
    }
}

/// Reads and writes an `AlignedBuf` takes part in before it registers itself with the ring:
/// registering costs a syscall and pins its pages, which pays off for a buffer used again
/// and again, not for one used once.
const REGISTER_AFTER: u32 = 16;

/// Largest `AlignedBuf` that registers itself (pinned memory counts against the memlock
/// limit for users without `CAP_IPC_LOCK`).
const MAX_REGISTERED: usize = 16 << 20;

/// A zeroed heap buffer whose address and length are multiples of `align` (a power of two,
/// 4096 suits every device), as `O_DIRECT` requires.
///
/// The buffer to reuse for file I/O: after it has been read into or written from 16 times on
/// a runtime, it registers itself in a slot of that runtime's registered-buffer table (up to
/// 16 MiB, while slots are free and within the memlock limit), and later reads and writes
/// into it go out as `READ_FIXED` / `WRITE_FIXED`, which skip the kernel's per-request
/// mapping of its pages. Dropping it gives the slot back.
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
    init: usize,
    /// Reads and writes so far, until it registers (or gives up).
    uses: u32,
    /// Its slot in a ring's registered-buffer table.
    slot: Option<BufferSlot>,
}

impl AlignedBuf {
    /// `len` zeroed bytes aligned to `align`; `len` is rounded up to a multiple of `align`.
    /// All of it counts as initialized.
    ///
    /// # Errors
    /// `InvalidInput` when `align` is not a power of two or the size overflows; `OutOfMemory`
    /// when the allocation fails.
    pub fn new(len: usize, align: usize) -> std::io::Result<AlignedBuf> {
        let invalid =
            || std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad alignment or size");
        if !align.is_power_of_two() {
            return Err(invalid());
        }
        let size = len.checked_add(align - 1).ok_or_else(invalid)? & !(align - 1);
        let layout = Layout::from_size_align(size.max(align), align).map_err(|_| invalid())?;
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        let ptr = NonNull::new(ptr).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::OutOfMemory, "aligned allocation failed")
        })?;
        Ok(AlignedBuf {
            ptr,
            layout,
            init: size,
            uses: 0,
            slot: None,
        })
    }

    /// The registered-buffer index to use with `reactor`'s ring, registering the buffer
    /// there on its `REGISTER_AFTER`th use. `None`: use plain reads and writes.
    pub(crate) fn fixed_index(&mut self, reactor: &Reactor) -> Option<u16> {
        if let Some(slot) = &self.slot {
            return reactor.owns_buffer(slot).then(|| slot.index());
        }
        if self.uses > REGISTER_AFTER {
            return None;
        }
        self.uses += 1;
        if self.uses <= REGISTER_AFTER || self.layout.size() > MAX_REGISTERED {
            return None;
        }
        // SAFETY: the memory stays allocated while any request can name the slot: requests
        // are only issued through this buffer (which owns the memory until `Drop`), and
        // `Drop` gives the slot back before freeing it.
        self.slot = unsafe { reactor.register_buffer(self.ptr.as_ptr(), self.layout.size()) };
        self.slot.as_ref().map(BufferSlot::index)
    }

    /// Whether the buffer is registered with a ring.
    pub fn is_registered(&self) -> bool {
        self.slot.is_some()
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `init` bytes from `ptr` are allocated and initialized (zeroed at birth).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.init) }
    }

    /// The bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.init) }
    }

    /// Shortens what counts as initialized (what a write sends) to `len` bytes.
    pub fn truncate(&mut self, len: usize) {
        self.init = self.init.min(len);
    }

    /// Sets what counts as initialized (what a write sends) to `len` bytes, at most the
    /// capacity. Every byte was zeroed at allocation, so any length is initialized memory.
    pub fn set_len(&mut self, len: usize) {
        self.init = len.min(self.layout.size());
    }

    /// The capacity in bytes (what a read may fill).
    pub fn capacity(&self) -> usize {
        self.layout.size()
    }

    /// The alignment.
    pub fn align(&self) -> usize {
        self.layout.align()
    }
}

/// ```
/// use ringaio::buf::AlignedBuf;
///
/// let mut buf = AlignedBuf::new(4096, 4096)?;
/// buf[..5].copy_from_slice(b"hello");
/// assert_eq!(&buf[..5], b"hello");
/// assert_eq!(buf.as_ref().len(), 4096);
/// # Ok::<(), std::io::Error>(())
/// ```
impl Deref for AlignedBuf {
    type Target = [u8];

    /// The initialized bytes, as [`as_slice`](AlignedBuf::as_slice).
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for AlignedBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsMut<[u8]> for AlignedBuf {
    fn as_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // Give the slot back; the reactor empties it at its next wait. No request can name
        // it in between: only this buffer knew the index, and it uses it only on the ring
        // that owns the slot (requests in flight own the buffer, so none is left).
        drop(self.slot.take());
        // SAFETY: allocated in `new` with exactly this layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) };
    }
}

impl fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlignedBuf")
            .field("len", &self.init)
            .field("capacity", &self.layout.size())
            .field("align", &self.layout.align())
            .field("registered", &self.slot.as_ref().map(BufferSlot::index))
            .finish()
    }
}

// SAFETY: the buffer owns its allocation exclusively, like a Box<[u8]>.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only reads.
unsafe impl Sync for AlignedBuf {}

// SAFETY: heap memory owned by the value; it does not move when the value moves.
unsafe impl IoBuf for AlignedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.init
    }
    fn bytes_total(&self) -> usize {
        self.layout.size()
    }
    fn as_aligned_buf(&mut self) -> Option<&mut AlignedBuf> {
        Some(self)
    }
}

// SAFETY: as for IoBuf; every byte was zeroed at allocation, so all are initialized.
unsafe impl IoBufMut for AlignedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        self.init = pos.min(self.layout.size());
    }
}
