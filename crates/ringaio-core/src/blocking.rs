//! `execute`: one request done with its plain system call, for when the ring cannot do it.
//!
//! The runtime's thread-pool fallback calls this when io_uring is unavailable or the probe
//! says the kernel lacks an opcode ([`Ring::supports`](crate::Ring::supports)). It returns
//! what the request's CQE would have held, so one completion path serves both.

use std::io;
use std::os::fd::RawFd;

use crate::{Iocb, Opcode, Target};

/// Performs `iocb` synchronously with its plain system call and returns what its CQE would
/// hold: the result (`>= 0`) or `-errno`.
///
/// | opcode | system call |
/// | --- | --- |
/// | `Pread`, `ReadFixed` | `pread`, or `preadv2` when `rw_flags != 0` or at the file position ([`Iocb::read`]) |
/// | `Pwrite`, `WriteFixed` | `pwrite`, or `pwritev2` when `rw_flags != 0` |
/// | `Preadv`, `Pwritev` | `preadv2`, `pwritev2` |
/// | `Fsync`, `Fdsync` | `fsync`, `fdatasync` |
/// | `Poll` | `poll` on one fd, blocking until ready; the result is `revents` |
/// | `Noop` | none; 0 |
/// | `Openat`, `Close`, `Statx`, `Fallocate` | `openat` (with `O_CLOEXEC` added), `close`, `statx`, `fallocate` |
/// | `Unlinkat`, `Renameat`, `Mkdirat` | `unlinkat`, `renameat2`, `mkdirat` |
/// | `Splice`, `CopyFileRange` | `splice`, `copy_file_range` (offsets copied, not updated) |
/// | `Fadvise`, `SyncFileRange`, `Symlinkat`, `Linkat` | `posix_fadvise`, `sync_file_range`, `symlinkat`, `linkat` |
///
/// Where it differs from the ring:
/// - `Timeout` and `AsyncCancel` act on the ring's own queue, so the caller (the reactor)
///   handles them without a system call; here they are `-EINVAL`.
/// - `Target::Fixed` is `-EBADF`: there are no registered files outside a ring. For the same
///   reason `ReadFixed` / `WriteFixed` ignore `buf_index` and use `addr` as a plain buffer.
/// - `Openat` adds `O_CLOEXEC`: the fd must not leak into children of the pool's process.
/// - `ioprio` is ignored.
/// - `EINTR` is retried, except from `close`: Linux has released the fd by then, and a retry
///   could close an fd another thread has just been given.
/// - On a pipe, socket or tty a read or write ignores the offset, as io_uring does, instead of
///   failing with `ESPIPE` as `pread(2)` would.
/// - A `Poll` on a closed fd is `-EBADF`, as from the ring (`poll(2)` says `POLLNVAL`).
/// - Socket requests (`socket`, `connect`, `accept4`, `send`, `recv`, `sendmsg`, `recvmsg`,
///   `shutdown`) wait for readiness on non-blocking sockets, as the ring does; see
///   `blocking_net.rs` for what differs there.
///
/// An iocb that [`Iocb::validate`] refuses is `-EINVAL`, as [`to_sqe`](crate::to_sqe) refuses it.
///
/// # Safety
/// The contract of [`Ring::push`](crate::Ring::push), ending when this function returns:
/// - Every buffer, iovec array (and the buffers it lists), path and statx buffer `iocb` points
///   at is valid for the access its opcode makes until this function returns, paths are
///   NUL-terminated, and nothing else accesses memory this call writes meanwhile.
/// - The fd a `Close` names belongs to the caller, and nothing uses it afterwards.
pub unsafe fn execute(iocb: &Iocb) -> i32 {
    if iocb.validate().is_err() {
        return -libc::EINVAL;
    }
    let fd = match iocb.fd {
        Target::Fd(fd) => fd,
        Target::Fixed(_) => return -libc::EBADF,
    };
    // `validate` bounds byte counts by MAX_RW_COUNT and iovec counts by IOV_MAX, and refuses
    // negative offsets for every opcode that reads one.
    let len = iocb.len as usize;
    let off = iocb.offset as libc::off_t;
    let addr = iocb.addr as usize;
    let path = iocb.path();
    match iocb.opcode {
        Opcode::Noop => 0,
        Opcode::Pread | Opcode::ReadFixed => {
            // SAFETY: the caller keeps `addr` writable for `len` bytes until we return.
            unsafe { transfer_one(Dir::Read, fd, addr, len, off, iocb.rw_flags) }
        }
        Opcode::Pwrite | Opcode::WriteFixed => {
            // SAFETY: the caller keeps `addr` readable for `len` bytes until we return.
            unsafe { transfer_one(Dir::Write, fd, addr, len, off, iocb.rw_flags) }
        }
        Opcode::Preadv | Opcode::Pwritev => {
            let dir = if iocb.opcode == Opcode::Preadv {
                Dir::Read
            } else {
                Dir::Write
            };
            let iov = addr as *const libc::iovec;
            // SAFETY: the caller keeps the `len` iovecs, and the buffers they list, valid.
            unsafe { transfer(dir, fd, iov, len as libc::c_int, off, iocb.rw_flags) }
        }
        // SAFETY: fsync takes no pointer.
        Opcode::Fsync => retry(|| unsafe { libc::fsync(fd) } as isize),
        // SAFETY: fdatasync takes no pointer.
        Opcode::Fdsync => retry(|| unsafe { libc::fdatasync(fd) } as isize),
        Opcode::Poll => poll(fd, iocb.flags),
        Opcode::Openat => {
            let flags = iocb.flags as libc::c_int | libc::O_CLOEXEC;
            let mode = iocb.mode as libc::c_uint;
            // SAFETY: the caller keeps `path` a valid C string until we return.
            retry(|| unsafe { libc::openat(fd, path, flags, mode) } as isize)
        }
        Opcode::Close => {
            // SAFETY: close takes no pointer; the caller owns `fd` and gives it up.
            if unsafe { libc::close(fd) } == 0 {
                0
            } else {
                -errno()
            }
        }
        Opcode::Statx => {
            let out = iocb.addr2 as usize as *mut libc::statx;
            let flags = iocb.flags as libc::c_int;
            // SAFETY: the caller keeps `path` a valid C string and `out` a writable statx.
            retry(|| unsafe { libc::statx(fd, path, flags, iocb.mode, out) } as isize)
        }
        Opcode::Fallocate => {
            let mode = iocb.flags as libc::c_int;
            // `validate` bounds the length by i64::MAX.
            let len = iocb.len as libc::off_t;
            // SAFETY: fallocate takes no pointer.
            retry(|| unsafe { libc::fallocate(fd, mode, off, len) } as isize)
        }
        Opcode::Unlinkat => {
            let flags = iocb.flags as libc::c_int;
            // SAFETY: the caller keeps `path` a valid C string until we return.
            retry(|| unsafe { libc::unlinkat(fd, path, flags) } as isize)
        }
        Opcode::Renameat => {
            let new = iocb.addr2 as usize as *const libc::c_char;
            // SAFETY: the caller keeps both paths valid C strings until we return.
            retry(|| unsafe { libc::renameat2(fd, path, iocb.fd2, new, iocb.flags) } as isize)
        }
        Opcode::Mkdirat => {
            let mode = iocb.mode as libc::mode_t;
            // SAFETY: the caller keeps `path` a valid C string until we return.
            retry(|| unsafe { libc::mkdirat(fd, path, mode) } as isize)
        }
        Opcode::Ftruncate => {
            // `validate` bounds the length by i64::MAX.
            let len = iocb.len as libc::off_t;
            // SAFETY: ftruncate takes no pointer.
            retry(|| unsafe { libc::ftruncate(fd, len) } as isize)
        }
        Opcode::Splice => {
            let mut off_in = iocb.addr as libc::loff_t;
            let mut off_out = off as libc::loff_t;
            let p_in: *mut libc::loff_t = if iocb.addr == u64::MAX {
                std::ptr::null_mut()
            } else {
                &mut off_in
            };
            let p_out: *mut libc::loff_t = if off < 0 {
                std::ptr::null_mut()
            } else {
                &mut off_out
            };
            // SAFETY: the offsets are locals (or null), the only memory splice touches here.
            retry(|| unsafe { libc::splice(iocb.fd2, p_in, fd, p_out, len, iocb.flags) } as isize)
        }
        Opcode::CopyFileRange => {
            let mut off_in = iocb.addr as libc::loff_t;
            let mut off_out = off as libc::loff_t;
            // SAFETY: the offsets are locals, the only memory copy_file_range touches here.
            retry(|| unsafe {
                libc::copy_file_range(iocb.fd2, &mut off_in, fd, &mut off_out, len, 0)
            } as isize)
        }
        Opcode::Fadvise => {
            // `validate` bounds the length by u32::MAX. posix_fadvise returns the error
            // number itself rather than setting errno.
            let len = iocb.len as libc::off_t;
            // SAFETY: posix_fadvise takes no pointer.
            match unsafe { libc::posix_fadvise(fd, off, len, iocb.flags as libc::c_int) } {
                0 => 0,
                e => -e,
            }
        }
        Opcode::SyncFileRange => {
            let len = iocb.len as libc::off_t;
            // SAFETY: sync_file_range takes no pointer.
            retry(|| unsafe { libc::sync_file_range(fd, off, len, iocb.flags) } as isize)
        }
        Opcode::Symlinkat => {
            let link = iocb.addr2 as usize as *const libc::c_char;
            // SAFETY: the caller keeps both paths valid C strings until we return.
            retry(|| unsafe { libc::symlinkat(path, fd, link) } as isize)
        }
        Opcode::Linkat => {
            let new = iocb.addr2 as usize as *const libc::c_char;
            let flags = iocb.flags as libc::c_int;
            // SAFETY: the caller keeps both paths valid C strings until we return.
            retry(|| unsafe { libc::linkat(fd, path, iocb.fd2, new, flags) } as isize)
        }
        Opcode::Timeout | Opcode::AsyncCancel => -libc::EINVAL,
        // The pool has no registered-file table and no links (`Opcode::ring_only`).
        Opcode::FixedFdInstall | Opcode::LinkTimeout => -libc::EBADF,
        Opcode::Socket
        | Opcode::Connect
        | Opcode::Accept
        | Opcode::AcceptMulti
        | Opcode::Send
        | Opcode::SendZc
        | Opcode::Recv
        | Opcode::RecvMulti
        | Opcode::SendMsg
        | Opcode::RecvMsg
        | Opcode::Shutdown => {
            // SAFETY: forwarded from our caller.
            unsafe { crate::blocking_net::execute(iocb, fd) }
        }
    }
}

/// Which way bytes move.
#[derive(Clone, Copy)]
enum Dir {
    Read,
    Write,
}

/// `pread` / `pwrite` of one buffer, or the `v2` calls when there are flags to pass.
///
/// # Safety
/// - `addr` is valid for `len` bytes of the access `dir` makes until this returns.
unsafe fn transfer_one(
    dir: Dir,
    fd: RawFd,
    addr: usize,
    len: usize,
    off: libc::off_t,
    flags: i32,
) -> i32 {
    let buf = addr as *mut libc::c_void;
    // Offset -1 (`Iocb::read`) is the file position for the v2 calls, `EINVAL` for `pread`.
    if flags == 0 && off >= 0 {
        let res = retry(|| match dir {
            // SAFETY: forwarded from the caller.
            Dir::Read => unsafe { libc::pread(fd, buf, len, off) },
            // SAFETY: forwarded from the caller.
            Dir::Write => unsafe { libc::pwrite(fd, buf, len, off) },
        });
        if res != -libc::ESPIPE {
            return res;
        }
    }
    let iov = libc::iovec {
        iov_base: buf,
        iov_len: len,
    };
    // SAFETY: `iov` lives until `transfer` returns; its buffer is forwarded from the caller.
    unsafe { transfer(dir, fd, &iov, 1, off, flags) }
}

/// `preadv2` / `pwritev2`, at the file position when the file has no offsets.
///
/// # Safety
/// - `iov` points at `nr` iovecs whose buffers are valid for the access `dir` makes until this
///   returns.
unsafe fn transfer(
    dir: Dir,
    fd: RawFd,
    iov: *const libc::iovec,
    nr: libc::c_int,
    off: libc::off_t,
    flags: i32,
) -> i32 {
    let at = |off: libc::off_t| {
        retry(|| match dir {
            // SAFETY: forwarded from the caller.
            Dir::Read => unsafe { libc::preadv2(fd, iov, nr, off, flags) },
            // SAFETY: forwarded from the caller.
            Dir::Write => unsafe { libc::pwritev2(fd, iov, nr, off, flags) },
        })
    };
    match at(off) {
        // A stream has no offset: io_uring ignores it there, and offset -1 makes the v2 calls
        // do the same (use the file position, which a stream does not have).
        res if res == -libc::ESPIPE => at(-1),
        res => res,
    }
}

/// `poll(2)` on one fd until it is ready; the result is the ready mask, as `IORING_OP_POLL_ADD`.
pub(crate) fn poll(fd: RawFd, events: u32) -> i32 {
    if fd < 0 {
        // poll(2) skips negative fds and would wait forever; the ring says EBADF.
        return -libc::EBADF;
    }
    let mut pfd = libc::pollfd {
        fd,
        // `validate` keeps poll events within 16 bits.
        events: events as u16 as libc::c_short,
        revents: 0,
    };
    // SAFETY: `pfd` is one live pollfd for the duration of the call.
    let res = retry(|| unsafe { libc::poll(&mut pfd, 1, -1) } as isize);
    if res < 0 {
        res
    } else if pfd.revents & libc::POLLNVAL != 0 {
        -libc::EBADF
    } else {
        i32::from(pfd.revents as u16)
    }
}

/// Runs `call` until it is not interrupted; a failure becomes `-errno`.
pub(crate) fn retry(mut call: impl FnMut() -> isize) -> i32 {
    loop {
        let res = call();
        if res >= 0 {
            // Transfers are bounded by MAX_RW_COUNT (< i32::MAX); other results are ints.
            return i32::try_from(res).unwrap_or(i32::MAX);
        }
        let errno = errno();
        if errno != libc::EINTR {
            return -errno;
        }
    }
}

fn errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;
    use std::fs;
    use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An fd number no process can have open: above any `RLIMIT_NOFILE`.
    const NEVER_OPEN: RawFd = RawFd::MAX;

    /// A fresh directory under the temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Scratch {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir =
                std::env::temp_dir().join(format!("ringaio-blocking-{}-{n}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }

        fn file(&self, name: &str, contents: &[u8]) -> fs::File {
            let path = self.path(name);
            fs::write(&path, contents).unwrap();
            fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .unwrap()
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn c(path: &Path) -> CString {
        CString::new(path.as_os_str().as_bytes()).unwrap()
    }

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: `fds` has room for the two fds pipe2 writes.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: pipe2 succeeded, so both are fresh fds that nothing else owns.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    fn run(iocb: &Iocb) -> i32 {
        // SAFETY: every test keeps what its iocb points at alive across this call.
        unsafe { execute(iocb) }
    }

    #[test]
    fn pwrite_then_pread_round_trip() {
        let dir = Scratch::new();
        let file = dir.file("rw", b"");
        let fd = Target::Fd(file.as_raw_fd());
        let data = b"hello, fallback";
        assert_eq!(run(&Iocb::pwrite(fd, data.as_ptr(), data.len(), 4)), 15);
        assert_eq!(
            fs::read(dir.path("rw")).unwrap(),
            b"\0\0\0\0hello, fallback"
        );
        let mut back = [0u8; 32];
        assert_eq!(run(&Iocb::pread(fd, back.as_mut_ptr(), back.len(), 11)), 8);
        assert_eq!(&back[..8], b"fallback");
        assert_eq!(run(&Iocb::pread(fd, back.as_mut_ptr(), 4, 100)), 0);
    }

    #[test]
    fn vectored_round_trip() {
        let dir = Scratch::new();
        let file = dir.file("v", b"");
        let fd = Target::Fd(file.as_raw_fd());
        let (a, b) = (*b"vec", *b"tored");
        let out = [
            libc::iovec {
                iov_base: a.as_ptr() as *mut _,
                iov_len: a.len(),
            },
            libc::iovec {
                iov_base: b.as_ptr() as *mut _,
                iov_len: b.len(),
            },
        ];
        assert_eq!(run(&Iocb::pwritev(fd, out.as_ptr(), 2, 0)), 8);
        assert_eq!(fs::read(dir.path("v")).unwrap(), b"vectored");
        let (mut x, mut y) = ([0u8; 2], [0u8; 6]);
        let into = [
            libc::iovec {
                iov_base: x.as_mut_ptr().cast(),
                iov_len: x.len(),
            },
            libc::iovec {
                iov_base: y.as_mut_ptr().cast(),
                iov_len: y.len(),
            },
        ];
        assert_eq!(run(&Iocb::preadv(fd, into.as_ptr(), 2, 0)), 8);
        assert_eq!((&x, &y), (b"ve", b"ctored"));
    }

    #[test]
    fn rw_flags_take_the_v2_calls() {
        let dir = Scratch::new();
        let file = dir.file("flags", b"");
        let fd = Target::Fd(file.as_raw_fd());
        let data = b"sync";
        let write = Iocb::pwrite(fd, data.as_ptr(), 4, 0).with_rw_flags(libc::RWF_DSYNC);
        assert_eq!(run(&write), 4);
        // pread(2) has no flags to refuse; preadv2 refuses a bit it does not know.
        let mut back = [0u8; 4];
        let read = Iocb::pread(fd, back.as_mut_ptr(), 4, 0).with_rw_flags(1 << 30);
        assert_eq!(run(&read), -libc::EOPNOTSUPP);
        let read = Iocb::pread(fd, back.as_mut_ptr(), 4, 0).with_rw_flags(libc::RWF_HIPRI);
        assert_eq!(run(&read), 4);
        assert_eq!(&back, b"sync");
    }

    #[test]
    fn streams_ignore_the_offset() {
        let (r, w) = pipe();
        let data = b"piped";
        let write = Iocb::pwrite(Target::Fd(w.as_raw_fd()), data.as_ptr(), 5, 0);
        assert_eq!(run(&write), 5);
        let mut back = [0u8; 8];
        let read = Iocb::pread(Target::Fd(r.as_raw_fd()), back.as_mut_ptr(), 8, 0);
        assert_eq!(run(&read), 5);
        assert_eq!(&back[..5], b"piped");
    }

    #[test]
    fn syncs_succeed_on_files_only() {
        let dir = Scratch::new();
        let file = dir.file("sync", b"x");
        let fd = Target::Fd(file.as_raw_fd());
        assert_eq!(run(&Iocb::fsync(fd, false)), 0);
        assert_eq!(run(&Iocb::fsync(fd, true)), 0);
        let (r, _w) = pipe();
        assert_eq!(
            run(&Iocb::fsync(Target::Fd(r.as_raw_fd()), false)),
            -libc::EINVAL
        );
    }

    #[test]
    fn poll_reports_the_ready_mask() {
        let (r, w) = pipe();
        let data = b"!";
        assert_eq!(
            run(&Iocb::pwrite(
                Target::Fd(w.as_raw_fd()),
                data.as_ptr(),
                1,
                0
            )),
            1
        );
        let ready = run(&Iocb::poll(Target::Fd(r.as_raw_fd()), libc::POLLIN as u32));
        assert_eq!(ready, i32::from(libc::POLLIN));
        let bad = Iocb::poll(Target::Fd(NEVER_OPEN), libc::POLLIN as u32);
        assert_eq!(run(&bad), -libc::EBADF);
        assert_eq!(
            run(&Iocb::poll(Target::Fd(-1), libc::POLLIN as u32)),
            -libc::EBADF
        );
    }

    #[test]
    fn path_operations_round_trip() {
        let dir = Scratch::new();
        let at = libc::AT_FDCWD;
        let (a, b, sub) = (c(&dir.path("a")), c(&dir.path("b")), c(&dir.path("sub")));

        let flags = libc::O_CREAT | libc::O_RDWR;
        let fd = run(&Iocb::openat(at, &a, flags, 0o600));
        assert!(fd >= 0, "openat: {fd}");
        // SAFETY: openat returned a fresh fd that nothing else owns.
        let file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        // SAFETY: F_GETFD takes no pointer.
        let fd_flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        assert_eq!(fd_flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);

        let alloc = Iocb::fallocate(Target::Fd(file.as_raw_fd()), 0, 0, 4096);
        assert_eq!(run(&alloc), 0);
        assert_eq!(file.metadata().unwrap().len(), 4096);

        // SAFETY: statx is plain integers; all zeroes is a valid value.
        let mut stx: libc::statx = unsafe { std::mem::zeroed() };
        let stat = Iocb::statx(at, &a, 0, libc::STATX_SIZE, &mut stx);
        assert_eq!(run(&stat), 0);
        assert_eq!(stx.stx_size, 4096);

        assert_eq!(run(&Iocb::close(Target::Fd(file.into_raw_fd()))), 0);

        assert_eq!(run(&Iocb::mkdirat(at, &sub, 0o700)), 0);
        assert!(dir.path("sub").is_dir());
        assert_eq!(run(&Iocb::mkdirat(at, &sub, 0o700)), -libc::EEXIST);

        assert_eq!(run(&Iocb::renameat(at, &a, at, &b, 0)), 0);
        assert!(!dir.path("a").exists() && dir.path("b").exists());
        let noreplace = Iocb::renameat(at, &b, at, &sub, libc::RENAME_NOREPLACE);
        assert_eq!(run(&noreplace), -libc::EEXIST);

        assert_eq!(run(&Iocb::unlinkat(at, &b, 0)), 0);
        assert!(!dir.path("b").exists());
        assert_eq!(run(&Iocb::unlinkat(at, &sub, libc::AT_REMOVEDIR)), 0);
        assert!(!dir.path("sub").exists());
        assert_eq!(run(&Iocb::unlinkat(at, &b, 0)), -libc::ENOENT);
    }

    #[test]
    fn close_releases_the_fd() {
        let (r, w) = pipe();
        assert_eq!(run(&Iocb::close(Target::Fd(w.into_raw_fd()))), 0);
        // With the only write end closed, the read end is at end of file.
        let mut byte = [0u8; 1];
        let read = Iocb::pread(Target::Fd(r.as_raw_fd()), byte.as_mut_ptr(), 1, 0);
        assert_eq!(run(&read), 0);
        assert_eq!(run(&Iocb::close(Target::Fd(NEVER_OPEN))), -libc::EBADF);
    }

    #[test]
    fn what_the_ring_refuses_or_owns() {
        assert_eq!(run(&Iocb::noop()), 0);
        let mut buf = [0u8; 4];
        let fixed = Iocb::pread(Target::Fixed(0), buf.as_mut_ptr(), 4, 0);
        assert_eq!(run(&fixed), -libc::EBADF);
        let invalid = Iocb::pread(Target::Fd(0), std::ptr::null_mut(), 4, 0);
        assert_eq!(run(&invalid), -libc::EINVAL);
        let ts = crate::Timespec::default();
        assert_eq!(run(&Iocb::timeout(&ts)), -libc::EINVAL);
        assert_eq!(run(&Iocb::async_cancel(7)), -libc::EINVAL);
        let bad = Iocb::pread(Target::Fd(NEVER_OPEN), buf.as_mut_ptr(), 4, 0);
        assert_eq!(run(&bad), -libc::EBADF);
    }
}
