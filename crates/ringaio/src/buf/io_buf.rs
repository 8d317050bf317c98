//! The buffer traits: memory the kernel may use while the caller's future is gone.

use std::ops::RangeBounds;

use super::Slice;

/// A buffer the kernel can read from (writes to files).
///
/// A write sends the buffer's first [`bytes_init`](IoBuf::bytes_init) bytes (a `Vec`'s
/// length); [`slice`](IoBuf::slice) picks another part.
///
/// # Safety
/// - [`stable_ptr`](IoBuf::stable_ptr) points at [`bytes_total`](IoBuf::bytes_total) bytes
///   that stay at that address, valid, for as long as the value lives, even when the value
///   is moved (heap memory, or `'static` memory).
/// - The first [`bytes_init`](IoBuf::bytes_init) of them are initialized, and
///   `bytes_init() <= bytes_total()`.
/// - Either count changes only through `&mut self` methods; the runtime reads them again
///   where it relies on them rather than trusting earlier values.
pub unsafe trait IoBuf: Unpin + 'static {
    /// Where the bytes start.
    fn stable_ptr(&self) -> *const u8;
    /// How many bytes are initialized (what a write sends).
    fn bytes_init(&self) -> usize;
    /// How many bytes there is room for (what a read may fill).
    fn bytes_total(&self) -> usize;

    /// The part `range` of the buffer, which a read fills or a write sends; the slice gives
    /// the buffer back with [`Slice::into_inner`]. The range is measured against
    /// [`bytes_total`](IoBuf::bytes_total) (a `Vec`'s capacity) and clamped to it, so no
    /// range, however large, lets the kernel touch memory outside the buffer.
    ///
    /// ```
    /// use ringaio::buf::IoBuf;
    ///
    /// let slice = b"hello, ring".to_vec().slice(7..);
    /// assert_eq!(&slice[..], b"ring");
    /// let clamped = slice.into_inner().slice(5..usize::MAX);
    /// assert_eq!((clamped.begin(), clamped.end()), (5, 11));
    /// ```
    fn slice(self, range: impl RangeBounds<usize>) -> Slice<Self>
    where
        Self: Sized,
    {
        Slice::new(self, range)
    }

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
/// **Reads fill from the start.** A read writes into the buffer from its first byte and may
/// fill all of [`bytes_total`](IoBuf::bytes_total) (a `Vec`'s capacity); afterwards the
/// buffer's length is exactly the bytes that read delivered, so no stale bytes follow a
/// short read into a reused buffer. Buffers of a fixed length (`Box<[u8]>`) keep their
/// length: the count the read returns says how much of it is new. To read into another part
/// (to append, say), read into [`slice_mut`](IoBufMut::slice_mut): a slice is a window and
/// never shortens the buffer underneath.
///
/// # Safety
/// As [`IoBuf`], and [`stable_mut_ptr`](IoBufMut::stable_mut_ptr) may be written through for
/// `bytes_total` bytes.
pub unsafe trait IoBufMut: IoBuf {
    /// Where the bytes start, for writing.
    fn stable_mut_ptr(&mut self) -> *mut u8;

    /// Records that a read filled the first `pos` bytes: the buffer's length becomes `pos`
    /// (it may shrink) where the buffer has a variable length; fixed-length buffers ignore
    /// it.
    ///
    /// # Safety
    /// - The first `pos` bytes really are initialized, and `pos <= bytes_total()`.
    unsafe fn set_init(&mut self, pos: usize);

    /// The part `range` of the buffer for a read to fill, as [`IoBuf::slice`] (clamped to
    /// [`bytes_total`](IoBuf::bytes_total) the same way). A read into the slice writes from
    /// the slice's start; the buffer's length then grows to cover what was read, and never
    /// shrinks.
    ///
    /// ```
    /// use ringaio::buf::IoBufMut;
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-slice-{}", std::process::id()));
    /// std::fs::write(&path, b"tail")?;
    /// ringaio::block_on(async {
    ///     let file = File::open(&path).await?;
    ///     let mut buf = Vec::with_capacity(16);
    ///     buf.extend_from_slice(b"head:");
    ///     // Append: read into the room after the 5 bytes already there.
    ///     let (n, slice) = file.read_at(buf.slice_mut(5..), 0).await;
    ///     assert_eq!(n?, 4);
    ///     assert_eq!(slice.into_inner(), b"head:tail");
    ///     Ok::<_, std::io::Error>(())
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    fn slice_mut(self, range: impl RangeBounds<usize>) -> Slice<Self>
    where
        Self: Sized,
    {
        Slice::new(self, range)
    }
}

// SAFETY: a Vec's heap block does not move when the Vec does; capacity bytes are allocated,
// the first `len` initialized; len and capacity change only through `&mut self`.
unsafe impl IoBuf for Vec<u8> {
    #[inline]
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }
    #[inline]
    fn bytes_init(&self) -> usize {
        self.len()
    }
    #[inline]
    fn bytes_total(&self) -> usize {
        self.capacity()
    }
}

// SAFETY: as for IoBuf; the spare capacity is ours to write.
unsafe impl IoBufMut for Vec<u8> {
    #[inline]
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    #[inline]
    unsafe fn set_init(&mut self, pos: usize) {
        // SAFETY: the caller promises `pos` bytes are initialized and within capacity.
        unsafe { self.set_len(pos) };
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

#[cfg(feature = "bytes")]
pub(super) use io_buf_for_slice;

// A boxed slice's heap block does not move when the box does; 'static memory never moves
// nor dies. All their bytes are initialized, and their lengths never change.
io_buf_for_slice!(Box<[u8]>, &'static [u8], &'static str);

// SAFETY: as for IoBuf; all bytes are initialized already.
unsafe impl IoBufMut for Box<[u8]> {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, _pos: usize) {}
}
