//! Block buffers: one aligned kind for buffered and `O_DIRECT` I/O alike, reused across files.

use std::cell::RefCell;
use std::io;

use ringaio::buf::{AlignedBuf, IoBuf, IoBufMut};

use crate::direct::ALIGN;

/// Block-sized [`AlignedBuf`]s kept for the next block or file, so a tree of small files
/// does not allocate (and zero) a buffer per file.
#[derive(Debug)]
pub(crate) struct BufPool {
    size: usize,
    align: usize,
    /// Most buffers kept: as many as can be in flight at once.
    keep: usize,
    free: RefCell<Vec<AlignedBuf>>,
}

impl BufPool {
    /// Buffers of exactly `size` bytes, aligned for `O_DIRECT` when `size` is a multiple of
    /// [`ALIGN`] (and to the largest power of two dividing `size` otherwise).
    pub(crate) fn new(size: usize, keep: usize) -> BufPool {
        let align = 1usize << size.trailing_zeros().min(ALIGN.trailing_zeros());
        BufPool {
            size,
            align,
            keep,
            free: RefCell::default(),
        }
    }

    /// A buffer of the block size.
    ///
    /// # Errors
    /// `OutOfMemory` when a new buffer cannot be allocated.
    pub(crate) fn get(&self) -> io::Result<AlignedBuf> {
        match self.free.borrow_mut().pop() {
            Some(buf) => Ok(buf),
            None => AlignedBuf::new(self.size, self.align),
        }
    }

    /// Gives a buffer back for reuse.
    pub(crate) fn put(&self, buf: AlignedBuf) {
        let mut free = self.free.borrow_mut();
        if free.len() < self.keep {
            free.push(buf);
        }
    }
}

/// Makes the first `len` bytes of `buf` what a write sends (its other bytes are left as they
/// are). `AlignedBuf::truncate` only shrinks, so the length is first reset to the whole buffer.
pub(crate) fn set_write_len(buf: &mut AlignedBuf, len: usize) {
    let total = buf.bytes_total();
    // SAFETY: an AlignedBuf is zeroed when allocated, so all `bytes_total` bytes are
    // initialized, whatever reads wrote since.
    unsafe { buf.set_init(total) };
    buf.truncate(len);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_have_the_block_size_and_come_back() {
        let pool = BufPool::new(8192, 1);
        let buf = pool.get().expect("alloc");
        assert_eq!(buf.bytes_total(), 8192);
        assert_eq!(buf.align(), ALIGN);
        let addr = buf.stable_ptr();
        pool.put(buf);
        pool.put(AlignedBuf::new(8192, ALIGN).expect("alloc"));
        assert_eq!(pool.free.borrow().len(), 1, "keeps at most `keep`");
        assert_eq!(pool.get().expect("reuse").stable_ptr(), addr);
    }

    #[test]
    fn odd_block_sizes_are_not_rounded_up() {
        let pool = BufPool::new(1000, 1);
        assert_eq!(pool.get().expect("alloc").bytes_total(), 1000);
    }

    #[test]
    fn write_len_can_grow_again() {
        let mut buf = AlignedBuf::new(4096, ALIGN).expect("alloc");
        set_write_len(&mut buf, 10);
        assert_eq!(buf.bytes_init(), 10);
        set_write_len(&mut buf, 4000);
        assert_eq!(buf.bytes_init(), 4000);
    }
}
