//! `statx`.

use std::ffi::CString;
use std::io;

use ringaio_core::Iocb;

use crate::fd::SharedFd;
use crate::fs::Metadata;
use crate::op::Operation;

pub(crate) struct Statx {
    /// Keeps the fd open for an fd-relative statx.
    _fd: Option<SharedFd>,
    dirfd: i32,
    path: CString,
    flags: i32,
    out: Box<libc::statx>,
}

impl Statx {
    /// Stats the open file `fd`.
    pub(crate) fn fd(fd: &SharedFd) -> Statx {
        Statx {
            dirfd: fd.raw(),
            _fd: Some(fd.clone()),
            path: CString::default(),
            flags: libc::AT_EMPTY_PATH,
            out: zeroed(),
        }
    }

    /// Stats `path`, following symlinks.
    pub(crate) fn path(path: CString) -> Statx {
        Statx {
            dirfd: libc::AT_FDCWD,
            _fd: None,
            path,
            flags: 0,
            out: zeroed(),
        }
    }
}

fn zeroed() -> Box<libc::statx> {
    // SAFETY: statx is plain integers; all zeroes is a valid value.
    Box::new(unsafe { std::mem::zeroed() })
}

// SAFETY: the path (CString) and the statx buffer (Box) are heap memory owned by self.
unsafe impl Operation for Statx {
    type Output = io::Result<Metadata>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        let out: *mut libc::statx = &mut *self.out;
        Iocb::statx(
            self.dirfd,
            &self.path,
            self.flags,
            libc::STATX_BASIC_STATS | libc::STATX_BTIME,
            out,
        )
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<Metadata> {
        result.map(|_| Metadata::from_statx(*self.out))
    }
}
