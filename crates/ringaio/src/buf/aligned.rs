//! `AlignedBuf`: a heap buffer aligned for `O_DIRECT`.

use std::alloc::{self, Layout};
use std::fmt;
use std::ptr::NonNull;

use super::{IoBuf, IoBufMut};

/// A zeroed heap buffer whose address and length are multiples of `align` (a power of two,
/// 4096 suits every device), as `O_DIRECT` requires.
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
    init: usize,
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
        })
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

impl Drop for AlignedBuf {
    fn drop(&mut self) {
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
}

// SAFETY: as for IoBuf; every byte was zeroed at allocation, so all are initialized.
unsafe impl IoBufMut for AlignedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.ptr.as_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        self.init = self.init.max(pos.min(self.layout.size()));
    }
}
