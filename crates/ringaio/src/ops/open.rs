//! `openat`.

use std::ffi::CString;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio_core::{Iocb, FILE_INDEX_ALLOC};

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

/// `openat` straight into a free slot of the ring's registered-file table (a direct
/// descriptor); the output is the slot. A slot nobody takes (the future dropped) is emptied
/// by the reactor.
pub(crate) struct OpenDirect(pub(crate) Open);

// SAFETY: as `Open`: the path is heap memory owned by self.
unsafe impl Operation for OpenDirect {
    type Output = io::Result<u32>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        let open = &self.0;
        let dir = open.dir.as_ref().map_or(libc::AT_FDCWD, SharedFd::raw);
        // The kernel refuses O_CLOEXEC on a direct open: there is no fd to close on exec.
        let flags = open.flags & !libc::O_CLOEXEC;
        Iocb::openat_direct(dir, &open.path, flags, open.mode, FILE_INDEX_ALLOC)
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<u32> {
        result
    }
}
