//! libaio's and the kernel's AIO structures and constants, byte for byte (`<libaio.h>`,
//! `<linux/aio_abi.h>`). 64-bit little-endian layout: the padding halves of libaio's
//! `PADDED` fields are folded into the 64-bit fields here.

/// libaio's `io_context_t`: the address of the context's `struct aio_ring`.
pub type IoContext = *mut AioRingHeader;

/// `IO_CMD_PREAD` / `IOCB_CMD_PREAD`.
pub const IO_CMD_PREAD: i16 = 0;
/// `IO_CMD_PWRITE`.
pub const IO_CMD_PWRITE: i16 = 1;
/// `IO_CMD_FSYNC`.
pub const IO_CMD_FSYNC: i16 = 2;
/// `IO_CMD_FDSYNC`.
pub const IO_CMD_FDSYNC: i16 = 3;
/// `IO_CMD_POLL`.
pub const IO_CMD_POLL: i16 = 5;
/// `IO_CMD_NOOP`.
pub const IO_CMD_NOOP: i16 = 6;
/// `IO_CMD_PREADV`.
pub const IO_CMD_PREADV: i16 = 7;
/// `IO_CMD_PWRITEV`.
pub const IO_CMD_PWRITEV: i16 = 8;

/// `IOCB_FLAG_RESFD`: signal the eventfd in `resfd` when the request completes.
pub const IOCB_FLAG_RESFD: u32 = 1 << 0;
/// `IOCB_FLAG_IOPRIO`: `aio_reqprio` is the request's I/O priority.
pub const IOCB_FLAG_IOPRIO: u32 = 1 << 1;

/// `AIO_RING_MAGIC`: what user-space reapers check before reading the ring.
pub const AIO_RING_MAGIC: u32 = 0xa10a_10a1;
/// `AIO_RING_COMPAT_FEATURES` as the kernel sets it.
pub(crate) const AIO_RING_COMPAT_FEATURES: u32 = 1;
/// `AIO_RING_INCOMPAT_FEATURES` as the kernel sets it.
pub(crate) const AIO_RING_INCOMPAT_FEATURES: u32 = 0;

/// `KIOCB_KEY`: the kernel writes it into `aio_key` at submission and `io_cancel` checks it.
pub const KIOCB_KEY: u32 = 0;

/// `struct iocb` (libaio's view; the kernel's `aio_*` names in the comments).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iocb {
    /// `data` / `aio_data`: returned in the event's `data`.
    pub data: u64,
    /// `key` / `aio_key`: set to [`KIOCB_KEY`] at submission.
    pub key: u32,
    /// `aio_rw_flags`: `RWF_*` for reads and writes.
    pub aio_rw_flags: i32,
    /// `aio_lio_opcode`: one of the `IO_CMD_*`.
    pub aio_lio_opcode: i16,
    /// `aio_reqprio`: the I/O priority, with [`IOCB_FLAG_IOPRIO`].
    pub aio_reqprio: i16,
    /// `aio_fildes`.
    pub aio_fildes: i32,
    /// `u.c.buf` / `u.v.vec` / `u.poll.events` / `aio_buf`.
    pub buf: u64,
    /// `u.c.nbytes` / `u.v.nr` / `aio_nbytes`.
    pub nbytes: u64,
    /// `u.c.offset` / `u.v.offset` / `aio_offset`.
    pub offset: i64,
    /// `u.c.__pad3` / `aio_reserved2`: must be zero.
    pub reserved2: u64,
    /// `u.c.flags` / `aio_flags`: `IOCB_FLAG_*`.
    pub flags: u32,
    /// `u.c.resfd` / `aio_resfd`: the eventfd, with [`IOCB_FLAG_RESFD`].
    pub resfd: u32,
}

/// `struct io_event`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoEvent {
    /// The iocb's `data`.
    pub data: u64,
    /// The iocb's address.
    pub obj: u64,
    /// Bytes transferred (or the poll mask, or 0), or `-errno`, as a `long`.
    pub res: u64,
    /// Always 0.
    pub res2: u64,
}

/// `struct aio_ring`'s header, at the context address; `nr` events follow it.
#[repr(C)]
#[derive(Debug)]
pub struct AioRingHeader {
    /// `id`: the kernel's internal index (`~0` here, as the kernel writes).
    pub id: u32,
    /// `nr`: the number of event slots after the header.
    pub nr: u32,
    /// `head`: the next event to reap; written by whoever reaps.
    pub head: u32,
    /// `tail`: where the next completion goes; written by the library.
    pub tail: u32,
    /// `magic`: [`AIO_RING_MAGIC`].
    pub magic: u32,
    /// `compat_features`.
    pub compat_features: u32,
    /// `incompat_features`.
    pub incompat_features: u32,
    /// `header_length`: the size of this header.
    pub header_length: u32,
}

/// The kernel's sigset size (`_NSIG / 8`), which `io_uring_enter` wants too.
pub(crate) const KERNEL_SIGSET_SIZE: usize = 8;

/// `io_callback_t` of `io_queue_run`: called with the event's `obj`, `res` and `res2`.
pub type IoCallback = unsafe extern "C" fn(IoContext, *mut Iocb, libc::c_long, libc::c_long);

#[cfg(not(all(target_pointer_width = "64", target_endian = "little")))]
compile_error!("ringaio-libaio implements the 64-bit little-endian libaio ABI only");

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<Iocb>() == 64);
    assert!(offset_of!(Iocb, key) == 8);
    assert!(offset_of!(Iocb, aio_rw_flags) == 12);
    assert!(offset_of!(Iocb, aio_lio_opcode) == 16);
    assert!(offset_of!(Iocb, aio_reqprio) == 18);
    assert!(offset_of!(Iocb, aio_fildes) == 20);
    assert!(offset_of!(Iocb, buf) == 24);
    assert!(offset_of!(Iocb, nbytes) == 32);
    assert!(offset_of!(Iocb, offset) == 40);
    assert!(offset_of!(Iocb, reserved2) == 48);
    assert!(offset_of!(Iocb, flags) == 56);
    assert!(offset_of!(Iocb, resfd) == 60);
    assert!(size_of::<IoEvent>() == 32);
    assert!(offset_of!(IoEvent, obj) == 8);
    assert!(offset_of!(IoEvent, res) == 16);
    assert!(offset_of!(IoEvent, res2) == 24);
    assert!(size_of::<AioRingHeader>() == 32);
    assert!(offset_of!(AioRingHeader, head) == 8);
    assert!(offset_of!(AioRingHeader, tail) == 12);
    assert!(offset_of!(AioRingHeader, magic) == 16);
};
