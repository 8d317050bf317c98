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
    mask: u32,
    out: Box<libc::statx>,
}

impl Statx {
    /// Stats the open file `fd` for the fields in `mask` (`STATX_*`).
    pub(crate) fn fd(fd: &SharedFd, mask: u32) -> Statx {
        Statx {
            dirfd: fd.raw(),
            _fd: Some(fd.clone()),
            path: CString::default(),
            flags: libc::AT_EMPTY_PATH,
            mask,
            out: zeroed(),
        }
    }

    /// Stats `path` for the fields in `mask`, following a final symlink if `follow`.
    pub(crate) fn path(path: CString, follow: bool, mask: u32) -> Statx {
        Statx {
            dirfd: libc::AT_FDCWD,
            _fd: None,
            path,
            flags: if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW },
            mask,
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
        Iocb::statx(self.dirfd, &self.path, self.flags, self.mask, out)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<Metadata> {
        result.map(|_| Metadata::from_statx(*self.out))
    }
}
