//! The one mapping from an [`Iocb`] to an io_uring submission queue entry.

use std::fmt;
use std::io;

use io_uring::opcode as op;
use io_uring::squeue::Entry;
use io_uring::types::{self, Fd, Fixed, FsyncFlags, Timespec};

use crate::{Iocb, Opcode, Target};

/// Validates `iocb` and builds its SQE, user data included.
///
/// Pure: no syscall, no allocation. What each opcode fills is tabled in `docs/design.md`.
///
/// # Errors
/// Whatever [`Iocb::validate`] refuses.
pub fn to_sqe(iocb: &Iocb) -> io::Result<Sqe> {
    iocb.validate()?;
    Ok(build_sqe(iocb, iocb.fd, iocb.data))
}

/// Builds the SQE of an `iocb` that passed [`Iocb::validate`], on file `target` (the
/// iocb's own, or its registered-file slot) with `user_data`. The hot opcodes are filled
/// field by field ([`hot_sqe`]); the rest goes through the io-uring crate's builders.
#[inline]
pub fn build_sqe(iocb: &Iocb, target: Target, user_data: u64) -> Sqe {
    match hot_sqe(iocb, target, user_data) {
        Some(raw) => raw.into_sqe(),
        None => cold_sqe(iocb, target, user_data),
    }
}

/// The SQE of a NOP or a read/write-family `iocb` that passed [`Iocb::validate`], filled
/// field by field; `None` for other opcodes.
///
/// Kept apart from the builders so a caller can push it in a branch of its own: a value
/// that never passes through a builder's out-pointer stays in registers and is stored
/// straight into the ring (a stack copy stalls on store forwarding).
#[inline(always)]
pub fn hot_sqe(iocb: &Iocb, target: Target, user_data: u64) -> Option<RawSqe> {
    let code = match iocb.opcode {
        // As the builder: only the opcode, no file (the kernel reads a NOP's other fields
        // as NOP flags).
        Opcode::Noop => {
            return Some(RawSqe {
                opcode: op::Nop::CODE,
                fd: -1,
                user_data,
                ..RawSqe::default()
            })
        }
        Opcode::Pread => op::Read::CODE,
        Opcode::Pwrite => op::Write::CODE,
        Opcode::Preadv => op::Readv::CODE,
        Opcode::Pwritev => op::Writev::CODE,
        Opcode::ReadFixed => op::ReadFixed::CODE,
        Opcode::WriteFixed => op::WriteFixed::CODE,
        _ => return None,
    };
    let (fd, flags) = match target {
        Target::Fd(fd) => (fd, 0),
        Target::Fixed(index) => (index as i32, io_uring::squeue::Flags::FIXED_FILE.bits()),
    };
    let fixed_buffer = matches!(iocb.opcode, Opcode::ReadFixed | Opcode::WriteFixed);
    Some(RawSqe {
        opcode: code,
        flags,
        ioprio: iocb.ioprio,
        fd,
        off: iocb.offset as u64,
        addr: iocb.addr,
        // `validate` bounds byte counts by MAX_RW_COUNT and iovec counts by IOV_MAX.
        len: iocb.len as u32,
        op_flags: iocb.rw_flags as u32,
        user_data,
        buf_index: if fixed_buffer { iocb.buf_index } else { 0 },
        ..RawSqe::default()
    })
}

/// The SQE of any opcode, the others than [`hot_sqe`]'s through the io-uring crate's
/// builders.
#[inline(never)]
pub fn cold_sqe(iocb: &Iocb, target: Target, user_data: u64) -> Sqe {
    let entry = if target == iocb.fd {
        build(iocb)
    } else {
        build(&Iocb {
            fd: target,
            ..*iocb
        })
    };
    Sqe(entry.user_data(user_data))
}

/// One submission queue entry, as [`to_sqe`] and [`build_sqe`] make it, for
/// [`Ring::push`](crate::Ring::push). Read its fields with [`fields`](Sqe::fields).
#[derive(Clone)]
#[repr(transparent)]
pub struct Sqe(Entry);

impl Sqe {
    /// The same entry carrying `user_data`.
    #[inline]
    pub fn user_data(self, user_data: u64) -> Sqe {
        Sqe(self.0.user_data(user_data))
    }

    /// The entry's fields, as the kernel reads them.
    pub fn fields(&self) -> RawSqe {
        RawSqe::of(self)
    }

    /// The io-uring crate's entry, for the ring.
    #[inline(always)]
    pub(crate) fn entry(&self) -> &Entry {
        &self.0
    }

    /// An entry the io-uring crate built (the ring's own requests).
    #[inline(always)]
    pub(crate) fn from_entry(entry: Entry) -> Sqe {
        Sqe(entry)
    }
}

impl fmt::Debug for Sqe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.fields(), f)
    }
}

macro_rules! with_target {
    ($target:expr, |$fd:ident| $body:expr) => {
        match $target {
            Target::Fd(raw) => {
                let $fd = Fd(raw);
                $body
            }
            Target::Fixed(index) => {
                let $fd = Fixed(index);
                $body
            }
        }
    };
}

fn raw_fd(target: Target) -> Fd {
    match target {
        Target::Fd(fd) => Fd(fd),
        // `validate` refuses fixed files for the path-based opcodes that reach this.
        Target::Fixed(_) => Fd(-1),
    }
}

fn build(iocb: &Iocb) -> Entry {
    if let Some(raw) = hot_sqe(iocb, iocb.fd, 0) {
        return raw.into_entry();
    }
    let off = iocb.offset as u64;
    // `validate` bounds byte counts by MAX_RW_COUNT and iovec counts by IOV_MAX.
    let len = iocb.len as u32;
    let ptr = iocb.addr as usize;
    match iocb.opcode {
        // `hot_sqe` fills these field by field, and `build` tries it first: each opcode has
        // one mapping.
        Opcode::Noop
        | Opcode::Pread
        | Opcode::Pwrite
        | Opcode::Preadv
        | Opcode::Pwritev
        | Opcode::ReadFixed
        | Opcode::WriteFixed => unreachable!("{:?} is built by hot_sqe", iocb.opcode),
        Opcode::Fsync => with_target!(iocb.fd, |fd| op::Fsync::new(fd).build()),
        Opcode::Fdsync => with_target!(iocb.fd, |fd| op::Fsync::new(fd)
            .flags(FsyncFlags::DATASYNC)
            .build()),
        Opcode::Poll => with_target!(iocb.fd, |fd| op::PollAdd::new(fd, iocb.flags).build()),
        Opcode::Close => with_target!(iocb.fd, |fd| op::Close::new(fd).build()),
        Opcode::Fallocate => with_target!(iocb.fd, |fd| op::Fallocate::new(fd, iocb.len)
            .offset(off)
            .mode(iocb.flags as i32)
            .build()),
        Opcode::Openat => {
            let entry = op::OpenAt::new(raw_fd(iocb.fd), iocb.path())
                .flags(iocb.flags as i32)
                .mode(iocb.mode)
                .build();
            match iocb.direct_index() {
                // The SQE's `file_index` (slot + 1, or IORING_FILE_INDEX_ALLOC), as the
                // io-uring crate's `DestinationSlot` would write it.
                Some(file_index) => RawSqe {
                    file_index,
                    ..RawSqe::of(&Sqe(entry))
                }
                .into_entry(),
                None => entry,
            }
        }
        Opcode::FixedFdInstall => {
            // `validate` refuses a plain fd here.
            let index = match iocb.fd {
                Target::Fixed(index) => index,
                Target::Fd(fd) => fd as u32,
            };
            op::FixedFdInstall::new(Fixed(index), iocb.flags).build()
        }
        Opcode::LinkTimeout => op::LinkTimeout::new(ptr as *const Timespec).build(),
        Opcode::Statx => op::Statx::new(
            raw_fd(iocb.fd),
            iocb.path(),
            iocb.addr2 as usize as *mut types::statx,
        )
        .flags(iocb.flags as i32)
        .mask(iocb.mode)
        .build(),
        Opcode::Unlinkat => op::UnlinkAt::new(raw_fd(iocb.fd), iocb.path())
            .flags(iocb.flags as i32)
            .build(),
        Opcode::Renameat => op::RenameAt::new(
            raw_fd(iocb.fd),
            iocb.path(),
            Fd(iocb.fd2),
            iocb.addr2 as usize as *const libc::c_char,
        )
        .flags(iocb.flags)
        .build(),
        Opcode::Mkdirat => op::MkDirAt::new(raw_fd(iocb.fd), iocb.path())
            .mode(iocb.mode)
            .build(),
        Opcode::Timeout => op::Timeout::new(ptr as *const Timespec)
            .count(iocb.offset as u32)
            .flags(types::TimeoutFlags::from_bits_truncate(iocb.flags))
            .build(),
        Opcode::AsyncCancel => op::AsyncCancel::new(iocb.addr).build(),
        Opcode::Ftruncate => {
            with_target!(iocb.fd, |fd| op::Ftruncate::new(fd, iocb.len).build())
        }
        Opcode::Splice => with_target!(iocb.fd, |fd| op::Splice::new(
            Fd(iocb.fd2),
            iocb.addr as i64,
            fd,
            iocb.offset,
            iocb.len as u32
        )
        .flags(iocb.flags)
        .build()),
        // No ring opcode (the probe sends it to the pool): an opcode no kernel has, which
        // the kernel completes with -EINVAL.
        Opcode::CopyFileRange => RawSqe {
            opcode: crate::opcode::NO_URING_OPCODE,
            fd: -1,
            ..RawSqe::default()
        }
        .into_entry(),
        // `validate` bounds both lengths by u32::MAX.
        Opcode::Fadvise => with_target!(iocb.fd, |fd| op::Fadvise::new(
            fd,
            iocb.len as libc::off_t,
            iocb.flags as i32
        )
        .offset(off)
        .build()),
        Opcode::SyncFileRange => {
            with_target!(iocb.fd, |fd| op::SyncFileRange::new(fd, iocb.len as u32)
                .offset(off)
                .flags(iocb.flags)
                .build())
        }
        Opcode::Symlinkat => op::SymlinkAt::new(
            raw_fd(iocb.fd),
            iocb.path(),
            iocb.addr2 as usize as *const libc::c_char,
        )
        .build(),
        Opcode::Linkat => op::LinkAt::new(
            raw_fd(iocb.fd),
            iocb.path(),
            Fd(iocb.fd2),
            iocb.addr2 as usize as *const libc::c_char,
        )
        .flags(iocb.flags as i32)
        .build(),
        Opcode::Socket => op::Socket::new(iocb.fd2, iocb.flags as i32, iocb.mode as i32).build(),
        Opcode::Connect => with_target!(iocb.fd, |fd| op::Connect::new(
            fd,
            ptr as *const libc::sockaddr,
            len
        )
        .build()),
        Opcode::Accept => with_target!(iocb.fd, |fd| op::Accept::new(
            fd,
            ptr as *mut libc::sockaddr,
            iocb.addr2 as usize as *mut libc::socklen_t
        )
        .flags(iocb.flags as i32)
        .build()),
        Opcode::AcceptMulti => with_target!(iocb.fd, |fd| op::AcceptMulti::new(fd)
            .flags(iocb.flags as i32)
            .build()),
        Opcode::Send => with_target!(iocb.fd, |fd| op::Send::new(fd, ptr as *const u8, len)
            .flags(iocb.flags as i32)
            .build()),
        Opcode::Recv => with_target!(iocb.fd, |fd| op::Recv::new(fd, ptr as *mut u8, len)
            .flags(iocb.flags as i32)
            .build()),
        Opcode::SendZc => with_target!(iocb.fd, |fd| op::SendZc::new(fd, ptr as *const u8, len)
            .flags(iocb.flags as i32)
            .build()),
        Opcode::RecvMulti => with_target!(iocb.fd, |fd| op::RecvMulti::new(fd, iocb.buf_index)
            .flags(iocb.flags as i32)
            .build()),
        Opcode::SendMsg => with_target!(iocb.fd, |fd| op::SendMsg::new(
            fd,
            ptr as *const libc::msghdr
        )
        .flags(iocb.flags)
        .build()),
        Opcode::RecvMsg => {
            with_target!(iocb.fd, |fd| op::RecvMsg::new(fd, ptr as *mut libc::msghdr)
                .flags(iocb.flags)
                .build())
        }
        Opcode::Shutdown => {
            with_target!(iocb.fd, |fd| op::Shutdown::new(fd, iocb.flags as i32)
                .build())
        }
    }
}

/// The kernel's `struct io_uring_sqe`, field by field: how the hot opcodes are built, and how
/// an [`Sqe`] is read back in tests and diagnostics.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RawSqe {
    /// `IORING_OP_*`.
    pub opcode: u8,
    /// `IOSQE_*` flags.
    pub flags: u8,
    /// I/O priority.
    pub ioprio: u16,
    /// File descriptor or registered-file index.
    pub fd: i32,
    /// Offset (or second address).
    pub off: u64,
    /// Buffer, iovec array or path address.
    pub addr: u64,
    /// Length or count.
    pub len: u32,
    /// The per-opcode flags union (`rw_flags`, `fsync_flags`, ...).
    pub op_flags: u32,
    /// The request's user data.
    pub user_data: u64,
    /// Registered buffer index (or buffer group).
    pub buf_index: u16,
    /// Personality.
    pub personality: u16,
    /// `splice_fd_in` / `file_index`.
    pub file_index: u32,
    /// The last 16 bytes (addr3 and padding).
    pub tail: [u64; 2],
}

const _: () = assert!(std::mem::size_of::<RawSqe>() == 64);
const _: () = assert!(std::mem::size_of::<Entry>() == 64);
const _: () = assert!(std::mem::size_of::<io_uring::cqueue::Entry>() == 16);
const _: () = assert!(std::mem::size_of::<Timespec>() == 16);
const _: () = assert!(std::mem::size_of::<crate::Timespec>() == 16);
const _: () = assert!(std::mem::size_of::<libc::iovec>() == 16);

impl RawSqe {
    /// The entry with these fields.
    ///
    /// On x86_64 it is assembled in four 16-byte registers: the ring copies an entry with
    /// 16-byte loads, and a load that spans several smaller stores (field by field) cannot be
    /// forwarded from the store buffer and stalls.
    #[inline(always)]
    pub fn into_sqe(self) -> Sqe {
        Sqe(self.into_entry())
    }

    #[inline(always)]
    fn into_entry(self) -> Entry {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{__m128i, _mm_set_epi64x};
            let w = self.words();
            // SAFETY: SSE2 is part of the x86_64 baseline; `_mm_set_epi64x` only moves
            // integers into a register.
            let v: [__m128i; 4] = unsafe {
                [
                    _mm_set_epi64x(w[1] as i64, w[0] as i64),
                    _mm_set_epi64x(w[3] as i64, w[2] as i64),
                    _mm_set_epi64x(w[5] as i64, w[4] as i64),
                    _mm_set_epi64x(w[7] as i64, w[6] as i64),
                ]
            };
            // SAFETY: 64 bytes of plain integers in the kernel's little-endian layout (the
            // words of `RawSqe`, which has no padding) into `Entry`, `repr(C)` around
            // `io_uring_sqe` (64 bytes of integers and unions of integers, asserted above):
            // every bit pattern is a valid `Entry`.
            unsafe { std::mem::transmute::<[__m128i; 4], Entry>(v) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        // SAFETY: `Entry` is `repr(C)` around `io_uring_sqe`: 64 bytes (asserted above) of
        // plain integers (unions of integers included), laid out as `RawSqe` is, which has no
        // padding; every bit pattern is a valid `Entry`.
        unsafe {
            std::mem::transmute::<RawSqe, Entry>(self)
        }
    }

    /// The entry as eight little-endian 64-bit words, as the kernel reads it.
    #[inline(always)]
    pub fn words(&self) -> [u64; 8] {
        [
            u64::from(self.opcode)
                | u64::from(self.flags) << 8
                | u64::from(self.ioprio) << 16
                | u64::from(self.fd as u32) << 32,
            self.off,
            self.addr,
            u64::from(self.len) | u64::from(self.op_flags) << 32,
            self.user_data,
            u64::from(self.buf_index)
                | u64::from(self.personality) << 16
                | u64::from(self.file_index) << 32,
            self.tail[0],
            self.tail[1],
        ]
    }

    /// The fields of `sqe`.
    pub fn of(sqe: &Sqe) -> RawSqe {
        // SAFETY: `Entry` is `repr(C)` around `io_uring_sqe`, 64 bytes (asserted above) of plain
        // integers, so every bit pattern is a valid `RawSqe`; the read copies it out.
        unsafe { std::ptr::read_unaligned((sqe.entry() as *const Entry).cast::<RawSqe>()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the io-uring crate's builder makes of a read/write-family `iocb`: the oracle
    /// for `hot_sqe`'s field-by-field mapping.
    fn by_builder(iocb: &Iocb, user_data: u64) -> RawSqe {
        let (off, len, ptr) = (iocb.offset as u64, iocb.len as u32, iocb.addr as usize);
        let entry = with_target!(iocb.fd, |fd| match iocb.opcode {
            Opcode::Pread => op::Read::new(fd, ptr as *mut u8, len)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            Opcode::Pwrite => op::Write::new(fd, ptr as *const u8, len)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            Opcode::Preadv => op::Readv::new(fd, ptr as *const libc::iovec, len)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            Opcode::Pwritev => op::Writev::new(fd, ptr as *const libc::iovec, len)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            Opcode::ReadFixed => op::ReadFixed::new(fd, ptr as *mut u8, len, iocb.buf_index)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            Opcode::WriteFixed => op::WriteFixed::new(fd, ptr as *const u8, len, iocb.buf_index)
                .offset(off)
                .rw_flags(iocb.rw_flags)
                .ioprio(iocb.ioprio)
                .build(),
            _ => op::Nop::new().build(),
        });
        RawSqe::of(&Sqe(entry.user_data(user_data)))
    }

    /// The field-by-field read/write SQEs equal what the io-uring crate's builders make, on
    /// both paths (`build_sqe` and the full-SQ `cold_sqe`).
    #[test]
    fn read_write_fast_path_matches_the_builders() {
        let buf = 0x1000 as *mut u8;
        let iov = 0x2000 as *const libc::iovec;
        for target in [Target::Fd(7), Target::Fixed(3)] {
            let mut iocbs = [
                Iocb::pread(target, buf, 4096, 1 << 40),
                Iocb::pwrite(target, buf, 512, 8),
                Iocb::preadv(target, iov, 3, 0),
                Iocb::pwritev(target, iov, 2, 4096),
                Iocb::read_fixed(target, buf, 4096, 0, 5),
                Iocb::write_fixed(target, buf, 100, 7, 9),
            ];
            for iocb in &mut iocbs {
                iocb.rw_flags = libc::RWF_NOWAIT;
                iocb.ioprio = 3;
                let want = by_builder(iocb, 0xabc);
                let fast = RawSqe::of(&build_sqe(iocb, target, 0xabc));
                assert_eq!(fast, want, "{:?}", iocb.opcode);
                let cold = RawSqe::of(&cold_sqe(iocb, target, 0xabc));
                assert_eq!(cold, want, "{:?} (cold)", iocb.opcode);
            }
        }
        // A NOP takes nothing from its iocb but the user data, whatever else is set.
        let mut nop = Iocb::noop();
        nop.rw_flags = 1;
        nop.ioprio = 3;
        let fast = RawSqe::of(&build_sqe(&nop, nop.fd, 0xabc));
        let slow = RawSqe::of(&Sqe(op::Nop::new().build().user_data(0xabc)));
        assert_eq!(fast, slow, "NOP");
    }

    /// A read on a registered file: the cold path maps the iocb's fd to the target it is
    /// given, as the hot one does.
    #[test]
    fn cold_path_takes_the_target() {
        let iocb = Iocb::pread(Target::Fd(7), 0x1000 as *mut u8, 64, 0);
        let cold = RawSqe::of(&cold_sqe(&iocb, Target::Fixed(2), 1));
        assert_eq!(
            (cold.fd, cold.flags),
            (2, io_uring::squeue::Flags::FIXED_FILE.bits())
        );
    }
}
