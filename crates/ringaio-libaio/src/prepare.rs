//! Turns a libaio `struct iocb` into a ringaio-core [`Iocb`], refusing what the kernel's
//! `io_submit` refuses before queueing, with the kernel's error codes.

use std::os::fd::RawFd;

use ringaio_core::{Iocb, Target, IOV_MAX, MAX_RW_COUNT};

use crate::abi::{self, IOCB_FLAG_IOPRIO, IOCB_FLAG_RESFD};
use crate::fd_cache::{self, Access, Checked, FdCache};

/// The `RWF_*` bits some kernel defines (`HIPRI` .. `DONTCACHE`); others are
/// `EOPNOTSUPP` at submission, as in the kernel's `kiocb_set_rw_flags`. Whether this kernel
/// knows one of them is io_uring's to say, in the event.
const RWF_KNOWN: i32 = 0xff;

/// An iocb ready for the ring.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prepared {
    /// The request.
    pub(crate) iocb: Iocb,
    /// The eventfd to signal on completion (`IOCB_FLAG_RESFD`).
    pub(crate) resfd: Option<RawFd>,
    /// The request's fd was passed on what `fds` remembered, not checked just now: a
    /// `-EBADF` from io_uring means the program closed it since.
    pub(crate) remembered: bool,
}

/// The checks of the kernel's `io_submit_one` and `aio_prep_rw` / `aio_fsync` / `aio_poll`.
///
/// # Errors
/// An errno: `EINVAL` (reserved field set, unknown opcode, negative length or offset, fields a
/// sync or poll does not take, a bad I/O priority), `EBADF` (fd not open, or not open for the
/// direction; a bad `resfd`), `EFAULT` (null buffer with a length), `EOPNOTSUPP` (unknown
/// `RWF_*` bits).
///
/// The request's own fd is checked through `fds` (see [`FdCache`]); a `resfd` is always
/// checked afresh.
pub(crate) fn prepare(raw: &abi::Iocb, fds: &mut FdCache) -> Result<Prepared, i32> {
    if raw.reserved2 != 0 {
        return Err(libc::EINVAL);
    }
    let fd = raw.aio_fildes;
    let mut checked = Checked::Fresh;
    let mut iocb = match raw.aio_lio_opcode {
        abi::IO_CMD_PREAD | abi::IO_CMD_PWRITE | abi::IO_CMD_PREADV | abi::IO_CMD_PWRITEV => {
            let (iocb, c) = rw(raw, fds)?;
            checked = c;
            iocb
        }
        abi::IO_CMD_FSYNC | abi::IO_CMD_FDSYNC => {
            if raw.buf != 0 || raw.offset != 0 || raw.nbytes != 0 || raw.aio_rw_flags != 0 {
                return Err(libc::EINVAL);
            }
            checked = fds.check(fd, Access::Any)?;
            Iocb::fsync(Target::Fd(fd), raw.aio_lio_opcode == abi::IO_CMD_FDSYNC)
        }
        abi::IO_CMD_POLL => {
            let events = u16::try_from(raw.buf).map_err(|_| libc::EINVAL)?;
            if raw.offset != 0 || raw.nbytes != 0 || raw.aio_rw_flags != 0 {
                return Err(libc::EINVAL);
            }
            checked = fds.check(fd, Access::Any)?;
            Iocb::poll(Target::Fd(fd), u32::from(events))
        }
        // The kernel refuses NOOP (EINVAL); libaio names it, so it completes with 0 here.
        abi::IO_CMD_NOOP => Iocb::noop(),
        _ => return Err(libc::EINVAL),
    };
    if raw.flags & IOCB_FLAG_IOPRIO != 0 {
        iocb.ioprio = check_ioprio(raw.aio_reqprio)?;
    }
    let resfd = if raw.flags & IOCB_FLAG_RESFD != 0 {
        let resfd = RawFd::try_from(raw.resfd).map_err(|_| libc::EBADF)?;
        fd_cache::getfl(resfd).and_then(|flags| fd_cache::allows(flags, Access::Any))?;
        Some(resfd)
    } else {
        None
    };
    iocb.validate()
        .map_err(|e| e.raw_os_error().unwrap_or(libc::EINVAL))?;
    Ok(Prepared {
        iocb,
        resfd,
        remembered: checked == Checked::Remembered,
    })
}

fn rw(raw: &abi::Iocb, fds: &mut FdCache) -> Result<(Iocb, Checked), i32> {
    if (raw.nbytes as i64) < 0 || raw.offset < 0 {
        return Err(libc::EINVAL);
    }
    if raw.aio_rw_flags & !RWF_KNOWN != 0 {
        return Err(libc::EOPNOTSUPP);
    }
    let write = matches!(raw.aio_lio_opcode, abi::IO_CMD_PWRITE | abi::IO_CMD_PWRITEV);
    let vectored = matches!(raw.aio_lio_opcode, abi::IO_CMD_PREADV | abi::IO_CMD_PWRITEV);
    if vectored && raw.nbytes > IOV_MAX {
        return Err(libc::EINVAL);
    }
    if raw.buf == 0 && raw.nbytes > 0 {
        return Err(libc::EFAULT);
    }
    let access = if write { Access::Write } else { Access::Read };
    let checked = fds.check(raw.aio_fildes, access)?;
    let fd = Target::Fd(raw.aio_fildes);
    let offset = raw.offset as u64;
    let iocb = if vectored {
        let iov = raw.buf as usize as *const libc::iovec;
        if write {
            Iocb::pwritev(fd, iov, raw.nbytes as usize, offset)
        } else {
            Iocb::preadv(fd, iov, raw.nbytes as usize, offset)
        }
    } else {
        // The kernel shortens a longer request to MAX_RW_COUNT (`rw_verify_area`).
        let len = raw.nbytes.min(MAX_RW_COUNT) as usize;
        let buf = raw.buf as usize as *mut u8;
        if write {
            Iocb::pwrite(fd, buf, len, offset)
        } else {
            Iocb::pread(fd, buf, len, offset)
        }
    };
    Ok((iocb.with_rw_flags(raw.aio_rw_flags), checked))
}

/// The class/level checks of the kernel's `ioprio_check_cap` (the capability check for the
/// real-time class is left to io_uring, which reports it in the event).
fn check_ioprio(prio: i16) -> Result<u16, i32> {
    let prio = prio as u16;
    let class = prio >> 13;
    let data = prio & 0x1fff;
    match class {
        // IOPRIO_CLASS_NONE takes no level.
        0 if data != 0 => Err(libc::EINVAL),
        // RT and BE: levels 0..=7 (IOPRIO_NR_LEVELS).
        1 | 2 if data >= 8 => Err(libc::EINVAL),
        0..=3 => Ok(prio),
        _ => Err(libc::EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringaio_core::Opcode;

    fn raw(opcode: i16, fd: RawFd) -> abi::Iocb {
        abi::Iocb {
            aio_lio_opcode: opcode,
            aio_fildes: fd,
            ..abi::Iocb::default()
        }
    }

    #[test]
    fn refusals_match_the_kernel() {
        let mut buf = [0u8; 8];
        let mut read = raw(abi::IO_CMD_PREAD, 0);
        read.buf = buf.as_mut_ptr() as u64;
        read.nbytes = 8;
        let mut bad = read;
        bad.reserved2 = 1;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut bad = read;
        bad.offset = -1;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut bad = read;
        bad.nbytes = u64::MAX;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut bad = read;
        bad.aio_rw_flags = 0x1000;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EOPNOTSUPP
        );
        let mut bad = read;
        bad.aio_fildes = RawFd::MAX;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EBADF
        );
        let mut bad = read;
        bad.aio_lio_opcode = 4;
        assert_eq!(
            prepare(&bad, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut sync = raw(abi::IO_CMD_FSYNC, 0);
        sync.nbytes = 1;
        assert_eq!(
            prepare(&sync, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut poll = raw(abi::IO_CMD_POLL, 0);
        poll.buf = 1 << 16;
        assert_eq!(
            prepare(&poll, &mut FdCache::default()).unwrap_err(),
            libc::EINVAL
        );
        let mut noop = raw(abi::IO_CMD_NOOP, -1);
        assert_eq!(
            prepare(&noop, &mut FdCache::default()).map(|p| p.iocb.opcode),
            Ok(Opcode::Noop)
        );
        noop.flags = IOCB_FLAG_RESFD;
        noop.resfd = RawFd::MAX as u32;
        assert_eq!(
            prepare(&noop, &mut FdCache::default()).unwrap_err(),
            libc::EBADF
        );
    }

    #[test]
    fn long_reads_are_shortened_not_refused() {
        let mut read = raw(abi::IO_CMD_PREAD, 0);
        read.buf = 0x1000;
        read.nbytes = 1 << 40;
        let p = prepare(&read, &mut FdCache::default()).expect("prepared");
        assert_eq!(p.iocb.len, MAX_RW_COUNT);
    }

    #[test]
    fn ioprio_classes() {
        let prio = |class: u16, level: u16| ((class << 13) | level) as i16;
        assert_eq!(check_ioprio(prio(2, 7)), Ok(prio(2, 7) as u16));
        assert_eq!(check_ioprio(prio(3, 0)), Ok(prio(3, 0) as u16));
        assert_eq!(check_ioprio(prio(0, 1)), Err(libc::EINVAL));
        assert_eq!(check_ioprio(prio(4, 0)), Err(libc::EINVAL));
        assert_eq!(check_ioprio(prio(2, 8)), Err(libc::EINVAL));
    }
}
