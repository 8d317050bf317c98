//! Provided buffer rings (`IORING_REGISTER_PBUF_RING`, Linux 5.19): a group of equal buffers
//! the kernel picks from for each message of a multishot receive, and that come back to the
//! ring when the buffer handed out for a message is dropped.
//!
//! The ring is shared (`Rc`) by its owner, the request that uses it (kept by the reactor
//! until its final completion) and every buffer handed out, and is unregistered and freed
//! when the last of them goes. It holds a duplicate of the io_uring's fd, so it always
//! unregisters from the ring it was registered with, even after the reactor is gone.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::task::Waker;

use crate::Reactor;

/// `IORING_REGISTER_PBUF_RING`.
const REGISTER_PBUF_RING: libc::c_uint = 22;
/// `IORING_UNREGISTER_PBUF_RING`.
const UNREGISTER_PBUF_RING: libc::c_uint = 23;
/// The CQE flag saying which buffer a completion used (`IORING_CQE_F_BUFFER`).
pub const CQE_F_BUFFER: u32 = 1;
/// Where the buffer id sits in a CQE's flags (`IORING_CQE_BUFFER_SHIFT`).
const CQE_BUFFER_SHIFT: u32 = 16;
/// Most entries a buffer ring may have.
pub const MAX_RING_ENTRIES: u16 = 1 << 15;

/// The kernel's `struct io_uring_buf_reg`.
#[repr(C)]
struct BufReg {
    ring_addr: u64,
    ring_entries: u32,
    bgid: u16,
    flags: u16,
    resv: [u64; 3],
}

/// The kernel's `struct io_uring_buf`: one ring entry. The ring's tail is the `resv` field
/// of entry 0.
#[repr(C)]
struct BufEntry {
    addr: u64,
    len: u32,
    bid: u16,
    resv: u16,
}

const _: () = assert!(std::mem::size_of::<BufEntry>() == 16);
const _: () = assert!(std::mem::size_of::<BufReg>() == 40);

/// Group ids handed out so far, across every ring of the process (ids only need to be
/// unique per ring; a collision after wrapping is answered `EEXIST` and the next one tried).
static NEXT_GROUP: AtomicU16 = AtomicU16::new(0);

struct Inner {
    /// A duplicate of the io_uring's fd, for the unregister.
    ring_fd: OwnedFd,
    group: u16,
    /// The page-aligned ring of `entries` entries (mmap).
    ring: *mut BufEntry,
    ring_bytes: usize,
    entries: u16,
    /// The buffers, `buf_len` bytes each, back to back: a leaked `Box<[u8]>` of `bufs_len`
    /// bytes (a raw pointer: the kernel writes into it behind our back).
    bufs: *mut u8,
    bufs_len: usize,
    buf_len: u32,
    /// Our copy of the ring's tail (the kernel only reads it).
    tail: Cell<u16>,
    /// Buffers handed out and not yet given back.
    out: Cell<usize>,
    /// Woken when a buffer comes back.
    waiter: RefCell<Option<Waker>>,
}

/// A provided buffer ring registered with a reactor's io_uring. Cloning shares it.
#[derive(Clone)]
pub struct BufRing(Rc<Inner>);

impl fmt::Debug for BufRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufRing")
            .field("group", &self.0.group)
            .field("entries", &self.0.entries)
            .field("buf_len", &self.0.buf_len)
            .field("out", &self.0.out.get())
            .finish()
    }
}

fn register(fd: &OwnedFd, op: libc::c_uint, reg: &BufReg) -> io::Result<()> {
    // SAFETY: `reg` is a live io_uring_buf_reg; the kernel reads it during the call.
    let res = unsafe {
        libc::syscall(
            libc::SYS_io_uring_register,
            fd.as_raw_fd(),
            op,
            (reg as *const BufReg).cast::<libc::c_void>(),
            1 as libc::c_uint,
        )
    };
    if res < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

impl Reactor {
    /// Registers a ring of `entries` buffers of `buf_len` bytes each (entries rounded up to a
    /// power of two) with this reactor's io_uring, every buffer in it.
    ///
    /// # Errors
    /// `Unsupported` in fallback mode; `EINVAL` from kernels before 5.19 (no buffer rings) or
    /// for sizes the kernel refuses; `ENOMEM` for memory; other `io_uring_register` errors.
    pub fn register_buf_ring(&self, entries: u16, buf_len: u32) -> io::Result<BufRing> {
        let Some(raw) = self.ring_fd() else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "buffer rings need io_uring",
            ));
        };
        let entries = entries.clamp(1, MAX_RING_ENTRIES).next_power_of_two();
        if buf_len == 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        // SAFETY: F_DUPFD_CLOEXEC takes no pointer; `raw` is the reactor's open ring fd.
        let dup = unsafe { libc::fcntl(raw, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a new fd that nobody else owns.
        let ring_fd = unsafe { OwnedFd::from_raw_fd(dup) };
        let ring_bytes = usize::from(entries) * std::mem::size_of::<BufEntry>();
        // SAFETY: an anonymous private mapping; no file, no address hint.
        let ring = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ring_bytes,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ring == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let mut tries = 0;
        let group = loop {
            let group = NEXT_GROUP.fetch_add(1, Ordering::Relaxed);
            let reg = BufReg {
                ring_addr: ring as u64,
                ring_entries: u32::from(entries),
                bgid: group,
                flags: 0,
                resv: [0; 3],
            };
            match register(&ring_fd, REGISTER_PBUF_RING, &reg) {
                Ok(()) => break group,
                Err(e) if e.raw_os_error() == Some(libc::EEXIST) && tries < 64 => tries += 1,
                Err(e) => {
                    // SAFETY: our own mapping, which the kernel never took.
                    unsafe { libc::munmap(ring, ring_bytes) };
                    return Err(e);
                }
            }
        };
        let total = usize::from(entries) * buf_len as usize;
        let inner = Inner {
            ring_fd,
            group,
            ring: ring.cast(),
            ring_bytes,
            entries,
            bufs: Box::into_raw(vec![0u8; total].into_boxed_slice()).cast::<u8>(),
            bufs_len: total,
            buf_len,
            tail: Cell::new(0),
            out: Cell::new(0),
            waiter: RefCell::new(None),
        };
        let ring = BufRing(Rc::new(inner));
        for bid in 0..entries {
            ring.0.push(bid);
        }
        ring.0.publish();
        Ok(ring)
    }
}

impl Inner {
    /// Writes buffer `bid` into the next ring entry (not yet visible to the kernel).
    fn push(&self, bid: u16) {
        let tail = self.tail.get();
        let index = usize::from(tail & (self.entries - 1));
        let addr = self.bufs as u64 + u64::from(bid) * u64::from(self.buf_len);
        // SAFETY: `index` is below `entries`, the mapping's entry count. Entry 0's `resv` is
        // the tail, so the fields are written one by one and `resv` is left alone; the kernel
        // reads entries only up to the published tail, which does not include this one yet.
        unsafe {
            let entry = self.ring.add(index);
            std::ptr::addr_of_mut!((*entry).addr).write(addr);
            std::ptr::addr_of_mut!((*entry).len).write(self.buf_len);
            std::ptr::addr_of_mut!((*entry).bid).write(bid);
        }
        self.tail.set(tail.wrapping_add(1));
    }

    /// Makes every pushed entry visible to the kernel.
    fn publish(&self) {
        // SAFETY: the tail is the u16 at byte 14 of the page-aligned ring (entry 0's `resv`),
        // which the kernel reads with acquire ordering; the release store orders the entry
        // writes before it.
        let tail = unsafe { &*self.ring.cast::<u8>().add(14).cast::<AtomicU16>() };
        tail.store(self.tail.get(), Ordering::Release);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let reg = BufReg {
            ring_addr: 0,
            ring_entries: 0,
            bgid: self.group,
            flags: 0,
            resv: [0; 3],
        };
        if let Err(e) = register(&self.ring_fd, UNREGISTER_PBUF_RING, &reg) {
            // The kernel may still pick from this memory: leak it rather than free it.
            tracing::warn!(error = %e, group = self.group, "buffer ring not unregistered; leaked");
            return;
        }
        // SAFETY: our mapping, which the kernel no longer uses (unregistered above).
        unsafe { libc::munmap(self.ring.cast(), self.ring_bytes) };
        let bufs = std::ptr::slice_from_raw_parts_mut(self.bufs, self.bufs_len);
        // SAFETY: made by `Box::into_raw` of a boxed slice of this length, freed only here;
        // the kernel no longer picks from it, and every `ProvidedBuf` (which holds the ring)
        // is gone.
        drop(unsafe { Box::from_raw(bufs) });
    }
}

impl BufRing {
    /// The buffer group id requests name (`buf_index` of a `RecvMulti`).
    pub fn group(&self) -> u16 {
        self.0.group
    }

    /// How many buffers the ring has.
    pub fn entries(&self) -> u16 {
        self.0.entries
    }

    /// How many bytes each buffer has.
    pub fn buf_len(&self) -> u32 {
        self.0.buf_len
    }

    /// Whether every buffer is out with the user (the kernel has none to pick).
    pub fn exhausted(&self) -> bool {
        self.0.out.get() >= usize::from(self.0.entries)
    }

    /// Names `waker` to be woken when a buffer comes back to the ring.
    pub fn wake_on_return(&self, waker: &Waker) {
        let mut slot = self.0.waiter.borrow_mut();
        match &*slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
    }

    /// The buffer a completion with `flags` and `result` bytes filled: handed out until the
    /// returned value is dropped. `None` if the flags name no buffer of this ring.
    pub fn take(&self, flags: u32, result: i32) -> Option<ProvidedBuf> {
        if flags & CQE_F_BUFFER == 0 {
            return None;
        }
        let bid = (flags >> CQE_BUFFER_SHIFT) as u16;
        if bid >= self.0.entries {
            return None;
        }
        let len = usize::try_from(result).ok()?.min(self.0.buf_len as usize);
        self.0.out.set(self.0.out.get() + 1);
        Some(ProvidedBuf {
            ring: self.clone(),
            bid,
            len,
        })
    }
}

/// One buffer of a [`BufRing`], filled by a completion; back in the ring when dropped.
pub struct ProvidedBuf {
    ring: BufRing,
    bid: u16,
    len: usize,
}

impl fmt::Debug for ProvidedBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProvidedBuf")
            .field("bid", &self.bid)
            .field("len", &self.len)
            .finish()
    }
}

impl ProvidedBuf {
    /// The bytes the completion filled.
    pub fn as_slice(&self) -> &[u8] {
        let inner = &self.ring.0;
        let start = usize::from(self.bid) * inner.buf_len as usize;
        // SAFETY: buffer `bid` lies inside the allocation (`bid < entries`, `len <= buf_len`);
        // the kernel filled it before posting the completion that handed it out, and will not
        // pick it again until this value is dropped and pushes it back.
        unsafe { std::slice::from_raw_parts(inner.bufs.add(start), self.len) }
    }
}

impl Drop for ProvidedBuf {
    fn drop(&mut self) {
        let inner = &self.ring.0;
        inner.push(self.bid);
        inner.publish();
        inner.out.set(inner.out.get().saturating_sub(1));
        let waker = inner.waiter.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
