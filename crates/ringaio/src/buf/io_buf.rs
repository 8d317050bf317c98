//! The buffer traits: memory the kernel may use while the caller's future is gone.

/// A buffer the kernel can read from (writes to files).
///
/// # Safety
/// - [`stable_ptr`](IoBuf::stable_ptr) points at [`bytes_total`](IoBuf::bytes_total) bytes
///   that stay at that address, valid, for as long as the value lives, even when the value
///   is moved (heap memory, or `'static` memory).
/// - The first [`bytes_init`](IoBuf::bytes_init) of them are initialized.
pub unsafe trait IoBuf: Unpin + 'static {
    /// Where the bytes start.
    fn stable_ptr(&self) -> *const u8;
    /// How many bytes are initialized (what a write sends).
    fn bytes_init(&self) -> usize;
    /// How many bytes there is room for (what a read may fill).
    fn bytes_total(&self) -> usize;

    /// The [`AlignedBuf`](crate::buf::AlignedBuf) this buffer is, if it is one: those
    /// register themselves with the ring once they have been used a few times. Keep the
    /// default (`None`); an `AlignedBuf` returned here must be the memory `stable_ptr`
    /// points into (otherwise the kernel refuses the request with `EFAULT`).
    #[doc(hidden)]
    fn as_aligned_buf(&mut self) -> Option<&mut crate::buf::AlignedBuf> {
        None
    }
}

/// A buffer the kernel can write into (reads from files).
///
/// # Safety
/// As [`IoBuf`], and [`stable_mut_ptr`](IoBufMut::stable_mut_ptr) may be written through for
/// `bytes_total` bytes.
pub unsafe trait IoBufMut: IoBuf {
    /// Where the bytes start, for writing.
    fn stable_mut_ptr(&mut self) -> *mut u8;

    /// Records that the first `pos` bytes are now initialized (never shrinks).
    ///
    /// # Safety
    /// - The first `pos` bytes really are initialized, and `pos <= bytes_total()`.
    unsafe fn set_init(&mut self, pos: usize);
}

// SAFETY: a Vec's heap block does not move when the Vec does; capacity bytes are allocated.
unsafe impl IoBuf for Vec<u8> {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.len()
    }
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: as for IoBuf; the spare capacity is ours to write.
unsafe impl IoBufMut for Vec<u8> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        if pos > self.len() {
            // SAFETY: the caller promises `pos` bytes are initialized and within capacity.
            unsafe { self.set_len(pos) };
        }
    }
}

/// `IoBuf` for a type that derefs to `[u8]` whose bytes are all initialized and do not move
/// when the value does.
macro_rules! io_buf_for_slice {
    ($($ty:ty),* $(,)?) => {$(
        // SAFETY: the reason is given at the macro call.
        unsafe impl IoBuf for $ty {
            fn stable_ptr(&self) -> *const u8 {
                self.as_ptr()
            }
            fn bytes_init(&self) -> usize {
                self.len()
            }
            fn bytes_total(&self) -> usize {
                self.len()
            }
        }
    )*};
}

// A boxed slice's heap block does not move when the box does; 'static memory never moves
// nor dies. All their bytes are initialized.
io_buf_for_slice!(Box<[u8]>, &'static [u8], &'static str);

// SAFETY: as for IoBuf; all bytes are initialized already.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, _pos: usize) {}
}
