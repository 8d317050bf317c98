//! The `struct aio_ring` at the context address: a header and a ring of completed events,
//! as the kernel lays it out, so that programs reaping in user space (fio's
//! `userspace_reap`, QEMU) read completions where they expect them.
//!
//! The library writes events and `tail`; `head` is written by whoever reaps (the library's
//! `io_getevents`, or the program). Completions not yet returned to the program live here.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::abi::{
    AioRingHeader, IoEvent, AIO_RING_COMPAT_FEATURES, AIO_RING_INCOMPAT_FEATURES, AIO_RING_MAGIC,
};

const HEADER: usize = std::mem::size_of::<AioRingHeader>();
const EVENT: usize = std::mem::size_of::<IoEvent>();

/// One mapped `struct aio_ring` and its events.
#[derive(Debug)]
pub(crate) struct AioRing {
    base: NonNull<AioRingHeader>,
    len: usize,
    nr: u32,
}

// SAFETY: the mapping is plain memory owned by this value; the fields other threads (and the
// program) write are accessed through atomics, the event slots only under the context's lock.
unsafe impl Send for AioRing {}
// SAFETY: as above.
unsafe impl Sync for AioRing {}

impl AioRing {
    /// Maps a ring with room for at least `capacity` unreaped events.
    pub(crate) fn new(capacity: usize) -> io::Result<AioRing> {
        // SAFETY: sysconf has no preconditions.
        let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096);
        // One slot stays empty: head == tail means empty.
        let want = HEADER + (capacity + 1) * EVENT;
        let len = want.div_ceil(page) * page;
        let nr = u32::try_from((len - HEADER) / EVENT)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: an anonymous private mapping touches no existing memory.
        let addr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if addr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(addr.cast::<AioRingHeader>())
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        // SAFETY: the mapping is fresh, writable and at least a header long.
        unsafe {
            base.as_ptr().write(AioRingHeader {
                id: !0,
                nr,
                head: 0,
                tail: 0,
                magic: AIO_RING_MAGIC,
                compat_features: AIO_RING_COMPAT_FEATURES,
                incompat_features: AIO_RING_INCOMPAT_FEATURES,
                header_length: HEADER as u32,
            });
        }
        Ok(AioRing { base, len, nr })
    }

    /// The context address handed to the program.
    pub(crate) fn addr(&self) -> *mut AioRingHeader {
        self.base.as_ptr()
    }

    fn head_cell(&self) -> &AtomicU32 {
        // SAFETY: `head` is an aligned u32 inside the live mapping, written by others only
        // through atomics (or plain stores from C, which are word-sized).
        unsafe { AtomicU32::from_ptr(&raw mut (*self.base.as_ptr()).head) }
    }

    fn tail_cell(&self) -> &AtomicU32 {
        // SAFETY: as `head_cell`.
        unsafe { AtomicU32::from_ptr(&raw mut (*self.base.as_ptr()).tail) }
    }

    /// `head` as the reaper left it, reduced into the ring (a program may store garbage).
    pub(crate) fn head(&self) -> u32 {
        self.head_cell().load(Ordering::Acquire) % self.nr
    }

    /// Events in the ring, not yet reaped.
    pub(crate) fn len(&self) -> usize {
        let head = self.head();
        let tail = self.tail_cell().load(Ordering::Relaxed);
        ((tail + self.nr - head) % self.nr) as usize
    }

    fn slot(&self, i: u32) -> *mut IoEvent {
        // SAFETY: `i < nr`, so the slot lies inside the mapping.
        unsafe {
            self.base
                .as_ptr()
                .cast::<u8>()
                .add(HEADER + i as usize * EVENT)
                .cast::<IoEvent>()
        }
    }

    /// Appends `event`; `false` when the ring is full. Called under the context's lock.
    pub(crate) fn push(&self, event: IoEvent) -> bool {
        let tail = self.tail_cell().load(Ordering::Relaxed);
        let next = (tail + 1) % self.nr;
        if next == self.head() {
            return false;
        }
        // SAFETY: slot `tail` is outside [head, tail): no reaper reads it until the store
        // below publishes it.
        unsafe { self.slot(tail).write_volatile(event) };
        self.tail_cell().store(next, Ordering::Release);
        true
    }

    /// Moves up to `out.len()` events out of the ring, oldest first. Called under the
    /// context's lock.
    pub(crate) fn take(&self, out: &mut [IoEvent]) -> usize {
        let mut head = self.head();
        let tail = self.tail_cell().load(Ordering::Acquire);
        let mut n = 0;
        while n < out.len() && head != tail % self.nr {
            // SAFETY: slots in [head, tail) hold published events.
            out[n] = unsafe { self.slot(head).read_volatile() };
            head = (head + 1) % self.nr;
            n += 1;
        }
        if n > 0 {
            self.head_cell().store(head, Ordering::Release);
        }
        n
    }
}

impl Drop for AioRing {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length and is unmapped once.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: u64) -> IoEvent {
        IoEvent {
            data: i,
            obj: i,
            res: i,
            res2: 0,
        }
    }

    #[test]
    fn header_is_the_kernels() {
        let ring = AioRing::new(8).expect("mmap");
        // SAFETY: the header was written by `new`.
        let h = unsafe { &*ring.addr() };
        assert_eq!(h.magic, AIO_RING_MAGIC);
        assert_eq!((h.head, h.tail, h.header_length), (0, 0, 32));
        assert!(h.nr >= 9);
    }

    #[test]
    fn push_and_take_wrap_around() {
        let ring = AioRing::new(8).expect("mmap");
        let cap = ring.nr as u64 - 1;
        let mut out = [IoEvent::default(); 3];
        let mut next = 0;
        for round in 0..3 * cap {
            assert!(ring.push(event(round)));
            if round % 2 == 1 {
                let n = ring.take(&mut out[..2]);
                assert_eq!(n, 2);
                for e in &out[..n] {
                    assert_eq!(e.data, next);
                    next += 1;
                }
            }
        }
        assert_eq!(ring.len(), 0);
        for i in 0..cap {
            assert!(ring.push(event(i)));
        }
        assert!(!ring.push(event(cap)), "full");
        assert_eq!(ring.len(), cap as usize);
    }
}
