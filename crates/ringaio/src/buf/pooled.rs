//! `PooledBuf`: one message's bytes from a receive stream, in a buffer that goes back to its
//! pool when dropped.

use std::cell::RefCell;
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;

use ringaio_reactor::ProvidedBuf;

use crate::buf::IoBuf;

/// The bytes of one received message; it can be sent as it is (`IoBuf`). On io_uring they sit in a buffer of the stream's
/// provided buffer ring, which the kernel can fill again only once this is dropped: hold on
/// to many and the stream waits (it re-arms by itself when one comes back).
pub struct PooledBuf(Kind);

enum Kind {
    Ring(ProvidedBuf),
    Heap { data: Vec<u8>, pool: Rc<HeapPool> },
}

impl fmt::Debug for PooledBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledBuf")
            .field("len", &self.len())
            .finish()
    }
}

impl Deref for PooledBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Kind::Ring(buf) => buf.as_slice(),
            Kind::Heap { data, .. } => data,
        }
    }
}

impl AsRef<[u8]> for PooledBuf {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

// SAFETY: the bytes live in the ring's buffer (handed out to this value alone until it is
// dropped) or in the Vec's heap block; neither moves when the value does, and all `len`
// bytes are initialized (the kernel filled them).
unsafe impl IoBuf for PooledBuf {
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

impl PooledBuf {
    pub(crate) fn ring(buf: ProvidedBuf) -> PooledBuf {
        PooledBuf(Kind::Ring(buf))
    }

    pub(crate) fn heap(data: Vec<u8>, pool: &Rc<HeapPool>) -> PooledBuf {
        PooledBuf(Kind::Heap {
            data,
            pool: pool.clone(),
        })
    }
}

impl Drop for PooledBuf {
    fn drop(&mut self) {
        if let Kind::Heap { data, pool } = &mut self.0 {
            pool.put(std::mem::take(data));
        }
    }
}

/// The buffers of a receive stream that runs single-shot receives (the fallback backend, or
/// kernels without buffer rings): a free list of at most `max` of them.
#[derive(Debug)]
pub(crate) struct HeapPool {
    free: RefCell<Vec<Vec<u8>>>,
    buf_len: usize,
    max: usize,
}

impl HeapPool {
    pub(crate) fn new(buf_len: usize, max: usize) -> Rc<HeapPool> {
        Rc::new(HeapPool {
            free: RefCell::new(Vec::new()),
            buf_len,
            max,
        })
    }

    /// An empty buffer with room for `buf_len` bytes.
    pub(crate) fn get(&self) -> Vec<u8> {
        self.free
            .borrow_mut()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.buf_len))
    }

    fn put(&self, mut buf: Vec<u8>) {
        let mut free = self.free.borrow_mut();
        if free.len() < self.max && buf.capacity() >= self.buf_len {
            buf.clear();
            free.push(buf);
        }
    }
}
