//! `execute` returns what the ring's CQE holds: the same request, set up afresh, is run once
//! through a `Ring` and once through `execute`, and the two results must be equal.

mod common;

use std::any::Any;
use std::fs::{self, File};
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use common::{Scratch, NEVER_OPEN};
use ringaio_core::{execute, Iocb, Opcode, Ring, Target};

/// A request and what it points at, kept alive (and unmoved on the heap) while it runs.
struct Case {
    iocb: Iocb,
    keep: Vec<Box<dyn Any>>,
}

impl Case {
    fn new(iocb: Iocb) -> Case {
        Case {
            iocb,
            keep: Vec::new(),
        }
    }

    fn keep(mut self, what: impl Any) -> Case {
        self.keep.push(Box::new(what));
        self
    }
}

fn via_ring(ring: &mut Ring, iocb: &Iocb) -> i32 {
    // SAFETY: the caller keeps what `iocb` points at until we return, after the pop below.
    unsafe { ring.push_iocb(iocb) }.expect("push");
    loop {
        ring.submit_and_wait(1, None).expect("submit_and_wait");
        if let Some(completion) = ring.pop() {
            return completion.result;
        }
    }
}

/// Runs `make`'s request through a ring and through `execute`, each in a fresh scratch
/// directory, and asserts the results agree (and equal `want`, to pin the case down).
fn same_as_the_ring(what: &str, want: i32, make: impl Fn(&Scratch) -> Case) {
    let Some(mut ring) = common::ring() else {
        return;
    };
    let dir = Scratch::new("diff-ring");
    let case = make(&dir);
    let op = case.iocb.opcode;
    if !ring.supports(op) {
        common::skip(format_args!("this kernel's io_uring lacks {op}"));
        return;
    }
    let from_ring = via_ring(&mut ring, &case.iocb);
    close_if_fd(op, from_ring);
    drop(case);

    let dir = Scratch::new("diff-exec");
    let case = make(&dir);
    // SAFETY: `case` keeps what its iocb points at until after the call.
    let from_execute = unsafe { execute(&case.iocb) };
    close_if_fd(op, from_execute);
    drop(case);

    assert_eq!(from_execute, from_ring, "{what}: execute vs ring");
    assert_eq!(from_ring, want, "{what}: the ring's result");
}

fn close_if_fd(op: Opcode, res: i32) {
    if op.returns_fd() && res >= 0 {
        // SAFETY: the request returned a fresh fd that nothing else owns.
        drop(unsafe { OwnedFd::from_raw_fd(res) });
    }
}

/// A pipe holding `data`: (read end, write end).
fn pipe_with(data: &[u8]) -> (OwnedFd, OwnedFd) {
    let (r, w) = common::pipe();
    File::from(w.try_clone().unwrap()).write_all(data).unwrap();
    (r, w)
}

/// The result of a request that failed with `e`.
fn fails(e: i32) -> i32 {
    -e
}

#[test]
fn reads_and_writes_agree() {
    same_as_the_ring("pread of a file", 4, |dir| {
        let file = dir.file("f", b"0123456789");
        let mut buf = vec![0u8; 4];
        let iocb = Iocb::pread(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 4, 3);
        Case::new(iocb).keep(buf).keep(file)
    });
    same_as_the_ring("pread at end of file", 0, |dir| {
        let file = dir.file("f", b"short");
        let mut buf = vec![0u8; 4];
        let iocb = Iocb::pread(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 4, 99);
        Case::new(iocb).keep(buf).keep(file)
    });
    same_as_the_ring("read at the file position", 4, |dir| {
        let mut file = dir.file("f", b"0123456789");
        file.seek(SeekFrom::Start(6)).unwrap();
        let mut buf = vec![0u8; 16];
        let iocb = Iocb::read(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 16);
        Case::new(iocb).keep(buf).keep(file)
    });
    same_as_the_ring("read of a pipe at the file position", 5, |_| {
        let (r, w) = pipe_with(b"piped");
        let mut buf = vec![0u8; 16];
        let iocb = Iocb::read(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 16);
        Case::new(iocb).keep(buf).keep(r).keep(w)
    });
    same_as_the_ring("pread of a never-open fd", fails(libc::EBADF), |_| {
        let mut buf = vec![0u8; 4];
        let iocb = Iocb::pread(Target::Fd(NEVER_OPEN), buf.as_mut_ptr(), 4, 0);
        Case::new(iocb).keep(buf)
    });
    same_as_the_ring("pread of a directory", fails(libc::EISDIR), |dir| {
        let d = File::open(dir.path("")).unwrap();
        let mut buf = vec![0u8; 4];
        let iocb = Iocb::pread(Target::Fd(d.as_raw_fd()), buf.as_mut_ptr(), 4, 0);
        Case::new(iocb).keep(buf).keep(d)
    });
    same_as_the_ring("pread of a pipe ignores the offset", 5, |_| {
        let (r, w) = pipe_with(b"piped");
        let mut buf = vec![0u8; 16];
        let iocb = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 16, 100);
        Case::new(iocb).keep(buf).keep(r).keep(w)
    });
    same_as_the_ring(
        "pread of an empty pipe, RWF_NOWAIT",
        fails(libc::EAGAIN),
        |_| {
            let (r, w) = common::pipe();
            let mut buf = vec![0u8; 16];
            let iocb = Iocb::pread(Target::Fd(r.as_raw_fd()), buf.as_mut_ptr(), 16, 0)
                .with_rw_flags(libc::RWF_NOWAIT);
            Case::new(iocb).keep(buf).keep(r).keep(w)
        },
    );
    same_as_the_ring(
        "pread with an unknown RWF flag",
        fails(libc::EOPNOTSUPP),
        |dir| {
            let file = dir.file("f", b"data");
            let mut buf = vec![0u8; 4];
            let iocb = Iocb::pread(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 4, 0)
                .with_rw_flags(1 << 30);
            Case::new(iocb).keep(buf).keep(file)
        },
    );
    same_as_the_ring("pwrite to a read-only fd", fails(libc::EBADF), |dir| {
        fs::write(dir.path("f"), b"").unwrap();
        let file = File::open(dir.path("f")).unwrap();
        let buf = b"nope".to_vec();
        let iocb = Iocb::pwrite(Target::Fd(file.as_raw_fd()), buf.as_ptr(), 4, 0);
        Case::new(iocb).keep(buf).keep(file)
    });
    same_as_the_ring("pwritev to a pipe", 6, |_| {
        let (r, w) = common::pipe();
        let (a, b) = (b"abc".to_vec(), b"def".to_vec());
        let iovs = vec![
            libc::iovec {
                iov_base: a.as_ptr() as *mut libc::c_void,
                iov_len: 3,
            },
            libc::iovec {
                iov_base: b.as_ptr() as *mut libc::c_void,
                iov_len: 3,
            },
        ];
        let iocb = Iocb::pwritev(Target::Fd(w.as_raw_fd()), iovs.as_ptr(), 2, 7);
        Case::new(iocb).keep(iovs).keep(a).keep(b).keep(r).keep(w)
    });
    same_as_the_ring("preadv of no iovecs", 0, |dir| {
        let file = dir.file("f", b"data");
        let iocb = Iocb::preadv(Target::Fd(file.as_raw_fd()), std::ptr::null(), 0, 0);
        Case::new(iocb).keep(file)
    });
}

#[test]
fn syncs_agree() {
    same_as_the_ring("fdatasync of a file", 0, |dir| {
        let file = dir.file("f", b"x");
        Case::new(Iocb::fsync(Target::Fd(file.as_raw_fd()), true)).keep(file)
    });
    same_as_the_ring("fsync of a pipe", fails(libc::EINVAL), |_| {
        let (r, w) = common::pipe();
        Case::new(Iocb::fsync(Target::Fd(r.as_raw_fd()), false))
            .keep(r)
            .keep(w)
    });
    same_as_the_ring("fsync of a never-open fd", fails(libc::EBADF), |_| {
        Case::new(Iocb::fsync(Target::Fd(NEVER_OPEN), false))
    });
}

#[test]
fn polls_agree() {
    let pollin = libc::POLLIN as u32;
    same_as_the_ring("poll of a readable pipe", i32::from(libc::POLLIN), |_| {
        let (r, w) = pipe_with(b"!");
        Case::new(Iocb::poll(Target::Fd(r.as_raw_fd()), pollin))
            .keep(r)
            .keep(w)
    });
    same_as_the_ring("poll of a writable pipe", i32::from(libc::POLLOUT), |_| {
        let (r, w) = common::pipe();
        let iocb = Iocb::poll(
            Target::Fd(w.as_raw_fd()),
            (libc::POLLOUT | libc::POLLIN) as u32,
        );
        Case::new(iocb).keep(r).keep(w)
    });
    same_as_the_ring(
        "poll of a pipe whose writer is gone",
        i32::from(libc::POLLHUP),
        |_| {
            let (r, w) = common::pipe();
            drop(w);
            Case::new(Iocb::poll(Target::Fd(r.as_raw_fd()), pollin)).keep(r)
        },
    );
    same_as_the_ring("poll of a never-open fd", fails(libc::EBADF), |_| {
        Case::new(Iocb::poll(Target::Fd(NEVER_OPEN), pollin))
    });
}

#[test]
fn path_operations_agree() {
    let at = libc::AT_FDCWD;
    same_as_the_ring("openat of a missing file", fails(libc::ENOENT), |dir| {
        let path = dir.cpath("missing");
        Case::new(Iocb::openat(at, &path, libc::O_RDONLY, 0)).keep(path)
    });
    same_as_the_ring(
        "openat O_EXCL of an existing file",
        fails(libc::EEXIST),
        |dir| {
            fs::write(dir.path("f"), b"").unwrap();
            let path = dir.cpath("f");
            let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY;
            Case::new(Iocb::openat(at, &path, flags, 0o600)).keep(path)
        },
    );
    same_as_the_ring("statx of a missing file", fails(libc::ENOENT), |dir| {
        let path = dir.cpath("missing");
        // SAFETY: statx is plain integers; all zeroes is a valid value.
        let mut out: Box<libc::statx> = Box::new(unsafe { std::mem::zeroed() });
        let iocb = Iocb::statx(at, &path, 0, libc::STATX_SIZE, &mut *out);
        Case::new(iocb).keep(path).keep(out)
    });
    same_as_the_ring("statx of a file", 0, |dir| {
        fs::write(dir.path("f"), b"12345").unwrap();
        let path = dir.cpath("f");
        // SAFETY: statx is plain integers; all zeroes is a valid value.
        let mut out: Box<libc::statx> = Box::new(unsafe { std::mem::zeroed() });
        let iocb = Iocb::statx(at, &path, 0, libc::STATX_SIZE, &mut *out);
        Case::new(iocb).keep(path).keep(out)
    });
    same_as_the_ring("fallocate of a pipe", fails(libc::ESPIPE), |_| {
        let (r, w) = common::pipe();
        Case::new(Iocb::fallocate(Target::Fd(w.as_raw_fd()), 0, 0, 4096))
            .keep(r)
            .keep(w)
    });
    same_as_the_ring("ftruncate of a file", 0, |dir| {
        let file = dir.file("f", b"0123456789");
        Case::new(Iocb::ftruncate(Target::Fd(file.as_raw_fd()), 3)).keep(file)
    });
    same_as_the_ring("ftruncate of a pipe", fails(libc::EINVAL), |_| {
        let (r, w) = common::pipe();
        Case::new(Iocb::ftruncate(Target::Fd(w.as_raw_fd()), 0))
            .keep(r)
            .keep(w)
    });
    same_as_the_ring("splice of a pipe into a file", 5, |dir| {
        let (r, w) = pipe_with(b"hello");
        let file = dir.file("f", b"");
        let iocb = Iocb::splice(
            r.as_raw_fd(),
            None,
            Target::Fd(file.as_raw_fd()),
            Some(3),
            5,
            0,
        );
        Case::new(iocb).keep(r).keep(w).keep(file)
    });
    same_as_the_ring("splice between two files", fails(libc::EINVAL), |dir| {
        let a = dir.file("a", b"0123456789");
        let b = dir.file("b", b"");
        let iocb = Iocb::splice(
            a.as_raw_fd(),
            Some(0),
            Target::Fd(b.as_raw_fd()),
            Some(0),
            5,
            0,
        );
        Case::new(iocb).keep(a).keep(b)
    });
    same_as_the_ring("unlinkat of a missing file", fails(libc::ENOENT), |dir| {
        let path = dir.cpath("missing");
        Case::new(Iocb::unlinkat(at, &path, 0)).keep(path)
    });
    same_as_the_ring("unlinkat of a directory", fails(libc::EISDIR), |dir| {
        fs::create_dir(dir.path("d")).unwrap();
        let path = dir.cpath("d");
        Case::new(Iocb::unlinkat(at, &path, 0)).keep(path)
    });
    same_as_the_ring(
        "renameat onto an existing name",
        fails(libc::EEXIST),
        |dir| {
            fs::write(dir.path("a"), b"").unwrap();
            fs::write(dir.path("b"), b"").unwrap();
            let (a, b) = (dir.cpath("a"), dir.cpath("b"));
            let iocb = Iocb::renameat(at, &a, at, &b, libc::RENAME_NOREPLACE);
            Case::new(iocb).keep(a).keep(b)
        },
    );
    same_as_the_ring("mkdirat of an existing name", fails(libc::EEXIST), |dir| {
        fs::create_dir(dir.path("d")).unwrap();
        let path = dir.cpath("d");
        Case::new(Iocb::mkdirat(at, &path, 0o755)).keep(path)
    });
}

#[test]
fn copy_file_range_has_no_ring_opcode_and_runs_here() {
    if let Some(ring) = common::ring() {
        assert!(!ring.supports(Opcode::CopyFileRange), "no kernel has it");
    }
    let dir = Scratch::new("copy-range");
    let a = dir.file("a", b"0123456789");
    let b = dir.file("b", b"");
    let iocb = Iocb::copy_file_range(a.as_raw_fd(), 2, Target::Fd(b.as_raw_fd()), 1, 5);
    // SAFETY: the request points at no memory; both files stay open during the call.
    assert_eq!(unsafe { execute(&iocb) }, 5);
    assert_eq!(fs::read(dir.path("b")).unwrap(), b"\x0023456");
    let past_the_end = Iocb::copy_file_range(a.as_raw_fd(), 10, Target::Fd(b.as_raw_fd()), 0, 5);
    // SAFETY: as above.
    assert_eq!(unsafe { execute(&past_the_end) }, 0);
}

#[test]
fn close_and_noop_agree() {
    same_as_the_ring("close of a never-open fd", fails(libc::EBADF), |_| {
        Case::new(Iocb::close(Target::Fd(NEVER_OPEN)))
    });
    same_as_the_ring("noop", 0, |_| Case::new(Iocb::noop()));
}

#[test]
fn fixed_files_are_ebadf_without_a_registration() {
    let Some(mut ring) = common::ring() else {
        return;
    };
    // A table whose only slot is empty: the index names a registration, but no file.
    ring.register_files(&[-1]).unwrap();
    let mut buf = [0u8; 4];
    let read = Iocb::pread(Target::Fixed(0), buf.as_mut_ptr(), 4, 0);
    let from_ring = via_ring(&mut ring, &read);
    // SAFETY: `buf` outlives the call.
    let from_execute = unsafe { execute(&read) };
    assert_eq!(from_ring, -libc::EBADF);
    assert_eq!(from_execute, from_ring);
}

#[test]
fn invalid_iocbs_are_einval_as_to_sqe_says() {
    let invalid = [
        Iocb::pread(Target::Fd(0), std::ptr::null_mut(), 4, 0),
        Iocb::fallocate(Target::Fd(0), 0, u64::MAX, 1),
        Iocb::timeout(std::ptr::null()),
    ];
    for iocb in invalid {
        let err = ringaio_core::to_sqe(&iocb).unwrap_err();
        // SAFETY: the iocb is refused before anything is touched.
        let res = unsafe { execute(&iocb) };
        assert_eq!(Some(-res), err.raw_os_error(), "{iocb:?}");
    }
}

#[test]
fn a_read_at_the_file_position_moves_it_on() {
    let dir = Scratch::new("read-position");
    let file = dir.file("f", b"0123456789");
    let mut buf = vec![0u8; 4];
    for want in [&b"0123"[..], b"4567", b"89", b""] {
        let iocb = Iocb::read(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 4);
        // SAFETY: `buf` and `file` outlive the call.
        let n = unsafe { execute(&iocb) };
        assert_eq!(&buf[..n as usize], want);
    }
    // An offset of -1 any other way is refused, not read as "the file position".
    let iocb = Iocb::pread(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 4, u64::MAX);
    assert!(iocb.validate().is_err());
    assert!(Iocb::read(Target::Fd(0), buf.as_mut_ptr(), 4)
        .validate()
        .is_ok());
}
