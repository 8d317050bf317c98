//! A context's memory of the fds it has checked, so `io_submit` does not pay a system call
//! (`fcntl(F_GETFL)`) per request to refuse a bad fd with `EBADF`, as the kernel's AIO does.
//!
//! The first request on an fd checks it with `fcntl` and remembers its open flags; later
//! ones are checked against those. A remembered fd that the program has since closed (or
//! reopened with less access) is caught by io_uring instead, which fails the request with
//! `-EBADF`: while `io_submit` still runs for a lone request (the submission's error, as
//! before), in the event otherwise. Either way the fd is forgotten and checked again next
//! time.

use std::os::fd::RawFd;

/// Fds at or above this are checked every time (the table is indexed by fd).
const MAX_CACHED: usize = 1 << 16;
/// A table entry for an fd not checked yet.
const UNKNOWN: i32 = -1;

/// What a request needs its fd open for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
    Any,
}

/// How an fd check was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checked {
    /// By `fcntl` just now.
    Fresh,
    /// From the table: io_uring's `-EBADF` must be watched for.
    Remembered,
}

/// Open flags by fd (`UNKNOWN` where not checked).
#[derive(Debug, Default)]
pub(crate) struct FdCache {
    flags: Vec<i32>,
}

impl FdCache {
    /// `EBADF` unless `fd` is open (not `O_PATH`) and, for reads and writes, open for that
    /// direction: what the kernel's `fget` and `FMODE_READ` / `FMODE_WRITE` checks answer.
    #[inline]
    pub(crate) fn check(&mut self, fd: RawFd, access: Access) -> Result<Checked, i32> {
        let index = usize::try_from(fd).map_err(|_| libc::EBADF)?;
        if let Some(&flags) = self.flags.get(index).filter(|f| **f != UNKNOWN) {
            return allows(flags, access).map(|()| Checked::Remembered);
        }
        let flags = getfl(fd)?;
        if index < MAX_CACHED {
            if self.flags.len() <= index {
                self.flags.resize(index + 1, UNKNOWN);
            }
            self.flags[index] = flags;
        }
        allows(flags, access).map(|()| Checked::Fresh)
    }

    /// Forgets `fd` (io_uring found it bad): the next request on it checks it afresh.
    pub(crate) fn forget(&mut self, fd: RawFd) {
        if let Some(flags) = usize::try_from(fd).ok().and_then(|i| self.flags.get_mut(i)) {
            *flags = UNKNOWN;
        }
    }
}

/// `fd`'s open flags, `EBADF` if it is not open or is an `O_PATH` fd.
pub(crate) fn getfl(fd: RawFd) -> Result<i32, i32> {
    // SAFETY: F_GETFL reads the fd's flags and touches no memory.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 || flags & libc::O_PATH != 0 {
        return Err(libc::EBADF);
    }
    Ok(flags)
}

/// Whether open flags `flags` allow `access`.
pub(crate) fn allows(flags: i32, access: Access) -> Result<(), i32> {
    let ok = match (access, flags & libc::O_ACCMODE) {
        (Access::Any, _) => true,
        (_, libc::O_RDWR) => true,
        (Access::Read, mode) => mode == libc::O_RDONLY,
        (Access::Write, mode) => mode == libc::O_WRONLY,
    };
    if ok {
        Ok(())
    } else {
        Err(libc::EBADF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn remembers_flags_and_forgets_on_request() {
        let dir = std::env::temp_dir().join(format!("ringaio-fdcache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("f");
        std::fs::write(&path, b"x").expect("write");
        let ro = std::fs::File::open(&path).expect("open");
        let fd = ro.as_raw_fd();
        let mut cache = FdCache::default();
        assert_eq!(cache.check(fd, Access::Read), Ok(Checked::Fresh));
        assert_eq!(cache.check(fd, Access::Read), Ok(Checked::Remembered));
        assert_eq!(cache.check(fd, Access::Write), Err(libc::EBADF));
        assert_eq!(cache.check(fd, Access::Any), Ok(Checked::Remembered));
        cache.forget(fd);
        assert_eq!(cache.check(fd, Access::Read), Ok(Checked::Fresh));
        assert_eq!(cache.check(-1, Access::Any), Err(libc::EBADF));
        assert_eq!(cache.check(RawFd::MAX, Access::Any), Err(libc::EBADF));
        drop(ro);
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
