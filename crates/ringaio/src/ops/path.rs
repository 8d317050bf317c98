//! Path operations: `unlinkat`, `renameat2`, `mkdirat`, `symlinkat`, `linkat`.

use std::ffi::CString;
use std::io;

use ringaio_core::Iocb;

use crate::op::Operation;

/// One path operation on paths relative to the working directory.
pub(crate) enum PathOp {
    Unlink {
        path: CString,
        dir: bool,
    },
    Rename {
        from: CString,
        to: CString,
    },
    Mkdir {
        path: CString,
        mode: u32,
    },
    /// A symbolic link at `link` pointing at `target`.
    Symlink {
        target: CString,
        link: CString,
    },
    /// A hard link at `to` to the file at `from`.
    Link {
        from: CString,
        to: CString,
    },
}

// SAFETY: the paths are CStrings: heap memory owned by self.
unsafe impl Operation for PathOp {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        let cwd = libc::AT_FDCWD;
        match self {
            PathOp::Unlink { path, dir } => {
                Iocb::unlinkat(cwd, path, if *dir { libc::AT_REMOVEDIR } else { 0 })
            }
            PathOp::Rename { from, to } => Iocb::renameat(cwd, from, cwd, to, 0),
            PathOp::Mkdir { path, mode } => Iocb::mkdirat(cwd, path, *mode),
            PathOp::Symlink { target, link } => Iocb::symlinkat(target, cwd, link),
            PathOp::Link { from, to } => Iocb::linkat(cwd, from, cwd, to, 0),
        }
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
