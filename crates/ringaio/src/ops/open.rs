//! `openat`.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::Iocb;

use crate::fd::SharedFd;
use crate::op::Operation;

pub(crate) struct Open {
    /// The directory `path` is relative to (the working directory when `None`), kept open
    /// while the request is in flight.
    dir: Option<SharedFd>,
    path: CString,
    flags: i32,
    mode: u32,
}

impl Open {
    /// Opens `path` with `flags` (`O_CLOEXEC` is always added) and create `mode`.
    pub(crate) fn new(path: CString, flags: i32, mode: u32) -> Open {
        Open {
            dir: None,
            path,
            flags: flags | libc::O_CLOEXEC,
            mode,
        }
    }
}

impl Open {
    /// As [`Open::new`], with `path` relative to the directory `dir`.
    pub(crate) fn at(dir: &SharedFd, path: CString, flags: i32, mode: u32) -> Open {
        Open {
            dir: Some(dir.clone()),
            ..Open::new(path, flags, mode)
        }
    }
}

// SAFETY: the path is a CString: heap memory owned by self.
unsafe impl Operation for Open {
    type Output = io::Result<OwnedFd>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        let dir = self.dir.as_ref().map_or(libc::AT_FDCWD, SharedFd::raw);
        Iocb::openat(dir, &self.path, self.flags, self.mode)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<OwnedFd> {
        // SAFETY: a successful openat returns a new fd that nobody else owns.
        result.map(|fd| unsafe { OwnedFd::from_raw_fd(fd as i32) })
    }
}
