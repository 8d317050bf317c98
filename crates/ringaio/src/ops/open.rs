//! `openat`.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::Iocb;

use crate::op::Operation;

pub(crate) struct Open {
    path: CString,
    flags: i32,
    mode: u32,
}

impl Open {
    /// Opens `path` with `flags` (`O_CLOEXEC` is always added) and create `mode`.
    pub(crate) fn new(path: CString, flags: i32, mode: u32) -> Open {
        Open {
            path,
            flags: flags | libc::O_CLOEXEC,
            mode,
        }
    }
}

// SAFETY: the path is a CString: heap memory owned by self.
unsafe impl Operation for Open {
    type Output = io::Result<OwnedFd>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::openat(libc::AT_FDCWD, &self.path, self.flags, self.mode)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<OwnedFd> {
        // SAFETY: a successful openat returns a new fd that nobody else owns.
        result.map(|fd| unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}
