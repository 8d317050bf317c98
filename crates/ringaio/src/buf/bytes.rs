//! `IoBuf` / `IoBufMut` for the `bytes` crate's buffers (the `bytes` feature).

use bytes::{Bytes, BytesMut};

use super::{IoBuf, IoBufMut};

// A `Bytes`' memory is heap or 'static memory that does not move when the handle does and
// lives while any handle to it does; all `len` bytes are initialized, and the length changes
// only through `&mut self`.
super::io_buf::io_buf_for_slice!(Bytes);

// SAFETY: a `BytesMut` owns its view of a heap block exclusively (split views never overlap);
// the block does not move when the handle does; `capacity` bytes are allocated, `len`
// initialized, and both change only through `&mut self`.
unsafe impl IoBuf for BytesMut {
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

// SAFETY: as for IoBuf; the spare capacity of the view is ours to write.
unsafe impl IoBufMut for BytesMut {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        // SAFETY: the caller promises `pos` bytes are initialized and within capacity.
        unsafe { self.set_len(pos) };
    }
}
