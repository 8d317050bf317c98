//! `Slice`: a part of an owned buffer, for a read to fill or a write to send.

use std::ops::{Bound, Deref, DerefMut, RangeBounds};

use super::{AlignedBuf, IoBuf, IoBufMut};

/// The part `begin..end` of a buffer, made by [`IoBuf::slice`] or [`IoBufMut::slice_mut`].
/// Operations take it in place of the buffer and give it back; [`into_inner`](Slice::into_inner)
/// gives the buffer back.
///
/// The range is measured against the buffer's [`bytes_total`](IoBuf::bytes_total) (a `Vec`'s
/// capacity) and clamped to it when the slice is made, and again whenever the kernel is given
/// its address, so the kernel never reads or writes outside the buffer.
///
/// As a buffer, the slice's room is `end - begin`, and its initialized bytes are the buffer's
/// initialized bytes that fall inside it. A read into a slice writes from `begin`; the
/// buffer's length then grows to cover what was read (bytes between the old length and
/// `begin` are zeroed first, so they count as initialized) and never shrinks.
///
/// ```
/// use ringaio::buf::{IoBuf, IoBufMut, Slice};
///
/// let slice: Slice<Vec<u8>> = b"0123456789".to_vec().slice_mut(2..5);
/// assert_eq!((slice.begin(), slice.end()), (2, 5));
/// assert_eq!(&slice[..], b"234", "derefs to the initialized bytes inside it");
/// assert_eq!(slice.get_ref().len(), 10);
/// assert_eq!(slice.bytes_total(), 3);
/// assert_eq!(slice.into_inner(), b"0123456789");
/// ```
#[derive(Debug)]
pub struct Slice<T> {
    buf: T,
    begin: usize,
    end: usize,
}

impl<T: IoBuf> Slice<T> {
    pub(crate) fn new(buf: T, range: impl RangeBounds<usize>) -> Slice<T> {
        let total = buf.bytes_total();
        let begin = match range.start_bound() {
            Bound::Included(&n) => n,
            Bound::Excluded(&n) => n.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let end = match range.end_bound() {
            Bound::Included(&n) => n.saturating_add(1),
            Bound::Excluded(&n) => n,
            Bound::Unbounded => total,
        };
        let begin = begin.min(total);
        Slice {
            buf,
            begin,
            end: end.clamp(begin, total),
        }
    }

    /// Where the slice starts in the buffer.
    pub fn begin(&self) -> usize {
        self.begin
    }

    /// Where the slice ends in the buffer (exclusive).
    pub fn end(&self) -> usize {
        self.end
    }

    /// The buffer.
    pub fn get_ref(&self) -> &T {
        &self.buf
    }

    /// The buffer back.
    pub fn into_inner(self) -> T {
        self.buf
    }

    /// `begin..end` clamped to the buffer's room as it is now.
    #[inline]
    fn bounds(&self) -> (usize, usize) {
        let end = self.end.min(self.buf.bytes_total());
        (self.begin.min(end), end)
    }
}

// SAFETY: the pointer is the buffer's stable pointer moved forward by at most its
// `bytes_total` (`bounds` clamps), and the counts stay within what the buffer itself
// reports, so they describe memory of the buffer that the slice owns.
unsafe impl<T: IoBuf> IoBuf for Slice<T> {
    #[inline]
    fn stable_ptr(&self) -> *const u8 {
        let (begin, _) = self.bounds();
        self.buf.stable_ptr().wrapping_add(begin)
    }

    #[inline]
    fn bytes_init(&self) -> usize {
        let (begin, end) = self.bounds();
        self.buf.bytes_init().clamp(begin, end) - begin
    }

    #[inline]
    fn bytes_total(&self) -> usize {
        let (begin, end) = self.bounds();
        end - begin
    }

    fn as_aligned_buf(&mut self) -> Option<&mut AlignedBuf> {
        // The slice's memory lies inside the aligned buffer's, which is what a registered
        // read or write may name.
        self.buf.as_aligned_buf()
    }
}

// SAFETY: as for IoBuf; the buffer's `bytes_total` bytes are writable (IoBufMut), and
// `set_init` only ever marks bytes initialized that are.
unsafe impl<T: IoBufMut> IoBufMut for Slice<T> {
    #[inline]
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        let (begin, _) = self.bounds();
        self.buf.stable_mut_ptr().wrapping_add(begin)
    }

    unsafe fn set_init(&mut self, pos: usize) {
        let (begin, end) = self.bounds();
        let pos = pos.min(end - begin);
        let init = self.buf.bytes_init();
        if pos == 0 || begin + pos <= init {
            return;
        }
        if init < begin {
            // SAFETY: `init..begin` lies within the buffer's `bytes_total` (`begin <= end <=
            // bytes_total`), which is ours to write; zeroing it makes it initialized.
            unsafe {
                self.buf
                    .stable_mut_ptr()
                    .add(init)
                    .write_bytes(0, begin - init)
            };
        }
        // SAFETY: bytes `..init` were initialized, `init..begin` were just zeroed (if any),
        // and the caller promises `begin..begin + pos`; `begin + pos <= end <= bytes_total`.
        unsafe { self.buf.set_init(begin + pos) };
    }
}

impl<T: IoBuf> Deref for Slice<T> {
    type Target = [u8];

    /// The initialized bytes inside the slice.
    fn deref(&self) -> &[u8] {
        // SAFETY: `bytes_init` bytes from `stable_ptr` are initialized memory of the buffer
        // (the IoBuf impl above), borrowed through `&self`.
        unsafe { std::slice::from_raw_parts(self.stable_ptr(), self.bytes_init()) }
    }
}

impl<T: IoBufMut> DerefMut for Slice<T> {
    fn deref_mut(&mut self) -> &mut [u8] {
        let len = self.bytes_init();
        // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.stable_mut_ptr(), len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_clamped_to_the_room() {
        let v = Vec::<u8>::with_capacity(16);
        let total = v.capacity();
        let s = v.slice(usize::MAX..);
        assert_eq!((s.begin(), s.end(), s.bytes_total()), (total, total, 0));
        let s = s.into_inner().slice(4..=usize::MAX);
        assert_eq!((s.begin(), s.end()), (4, total));
        #[allow(clippy::reversed_empty_ranges)]
        let s = s.into_inner().slice(10..3);
        assert_eq!((s.begin(), s.end(), s.bytes_total()), (10, 10, 0));
        let s = s
            .into_inner()
            .slice((Bound::Excluded(usize::MAX), Bound::Unbounded));
        assert_eq!(s.bytes_total(), 0);
    }

    #[test]
    fn init_is_what_lies_inside() {
        let s = b"0123456789".to_vec().slice(3..6);
        assert_eq!(&s[..], b"345");
        let s = s.into_inner().slice(8..);
        assert_eq!(s.bytes_init(), 2);
    }

    #[test]
    fn filling_past_the_length_zeroes_the_gap_and_never_shrinks() {
        let mut v = Vec::with_capacity(32);
        v.extend_from_slice(b"ab");
        let mut s = v.slice_mut(6..10);
        // SAFETY: the test writes the 3 bytes it then marks as filled.
        unsafe {
            s.stable_mut_ptr().copy_from(b"xyz".as_ptr(), 3);
            s.set_init(3);
        }
        assert_eq!(s.into_inner(), b"ab\0\0\0\0xyz");

        let mut s = b"0123456789".to_vec().slice_mut(0..4);
        // SAFETY: nothing new is claimed: the bytes were initialized already.
        unsafe { s.set_init(2) };
        assert_eq!(
            s.into_inner().len(),
            10,
            "a slice never shortens the buffer"
        );
    }
}
