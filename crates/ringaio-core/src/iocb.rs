//! `Iocb`: one kiocb-style request, and the checks it must pass before an SQE exists.

use crate::Opcode;
use std::ffi::CStr;
use std::io;
use std::os::fd::RawFd;

/// The largest byte count one read or write request may ask for: Linux's `MAX_RW_COUNT`
/// (`INT_MAX` rounded down to a 4 KiB page). The kernel silently truncates larger requests;
/// ringaio refuses them up front and the futures layer splits them.
pub const MAX_RW_COUNT: u64 = (i32::MAX as u64) & !0xfff;

/// The most iovecs one vectored request may carry (`IOV_MAX`, `UIO_MAXIOV`).
pub const IOV_MAX: u64 = 1024;

/// `Iocb::flags` of a read that reads at the file position and moves it on (`read(2)`), as
/// [`Iocb::read`] makes it, its offset -1 (which alone is refused: an offset past `i64::MAX`
/// must not turn into "the file position" by accident).
pub const AT_FILE_POSITION: u32 = 1;

/// [`Iocb::openat_direct`] into any free slot of the allocation range
/// (`IORING_FILE_INDEX_ALLOC`).
pub const FILE_INDEX_ALLOC: u32 = u32::MAX;

/// The file a request works on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A plain file descriptor.
    Fd(RawFd),
    /// An index into the ring's registered-file table (`IOSQE_FIXED_FILE`).
    Fixed(u32),
}

/// A kernel I/O control block, as Linux AIO's `struct iocb`, for io_uring.
///
/// The fields are flat and plain, as in AIO; what each opcode reads is listed in
/// `docs/design.md` and on the constructors. An `Iocb` holds raw pointers and owns nothing:
/// whoever submits it promises (see [`Context::submit`](crate::Context::submit) and
/// [`Ring::push`](crate::Ring::push)) that what they point at outlives the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iocb {
    /// What to do.
    pub opcode: Opcode,
    /// The file (or directory fd for the path-based opcodes).
    pub fd: Target,
    /// Buffer, iovec array, path, timespec, or (AsyncCancel) the target's user data.
    pub addr: u64,
    /// Byte count, iovec count, or (Fallocate) the length of the range.
    pub len: u64,
    /// File offset; must not be negative (but for [`Iocb::read`]'s -1).
    pub offset: i64,
    /// `RWF_*` flags for reads and writes (`preadv2(2)`).
    pub rw_flags: i32,
    /// I/O priority (`ioprio_set(2)` encoding).
    pub ioprio: u16,
    /// Registered buffer index for ReadFixed / WriteFixed.
    pub buf_index: u16,
    /// Second address: the new path (Renameat) or the `struct statx` (Statx).
    pub addr2: u64,
    /// Second fd: the new directory (Renameat).
    pub fd2: RawFd,
    /// Per-opcode flags: open flags, poll events, statx/unlink/rename/timeout flags,
    /// fallocate mode.
    pub flags: u32,
    /// Per-opcode mode: the create mode (Openat, Mkdirat) or the statx mask.
    pub mode: u32,
    /// The caller's 64-bit token, handed back with the completion.
    pub data: u64,
}

impl Iocb {
    #[inline]
    fn new(opcode: Opcode, fd: Target) -> Iocb {
        Iocb {
            opcode,
            fd,
            addr: 0,
            len: 0,
            offset: 0,
            rw_flags: 0,
            ioprio: 0,
            buf_index: 0,
            addr2: 0,
            fd2: -1,
            flags: 0,
            mode: 0,
            data: 0,
        }
    }

    /// A request that does nothing and completes with 0.
    #[inline]
    pub fn noop() -> Iocb {
        Iocb::new(Opcode::Noop, Target::Fd(-1))
    }

    /// Read up to `len` bytes at `offset` into `buf`.
    #[inline]
    pub fn pread(fd: Target, buf: *mut u8, len: usize, offset: u64) -> Iocb {
        Iocb::rw(Opcode::Pread, fd, buf as u64, len as u64, offset)
    }

    /// Read up to `len` bytes into `buf` at the file position, moving it on by what was read
    /// (`read(2)`; io_uring's offset -1). On a pipe or socket, as [`pread`](Iocb::pread).
    pub fn read(fd: Target, buf: *mut u8, len: usize) -> Iocb {
        let mut iocb = Iocb::rw(Opcode::Pread, fd, buf as u64, len as u64, 0);
        iocb.offset = -1;
        iocb.flags = AT_FILE_POSITION;
        iocb
    }

    /// Whether it is a read at the file position ([`Iocb::read`]).
    #[inline]
    pub fn at_file_position(&self) -> bool {
        self.offset == -1 && self.flags == AT_FILE_POSITION
    }

    /// Write up to `len` bytes at `offset` from `buf`.
    #[inline]
    pub fn pwrite(fd: Target, buf: *const u8, len: usize, offset: u64) -> Iocb {
        Iocb::rw(Opcode::Pwrite, fd, buf as u64, len as u64, offset)
    }

    /// Read at `offset` into the `nr` iovecs at `iov`.
    #[inline]
    pub fn preadv(fd: Target, iov: *const libc::iovec, nr: usize, offset: u64) -> Iocb {
        Iocb::rw(Opcode::Preadv, fd, iov as u64, nr as u64, offset)
    }

    /// Write at `offset` from the `nr` iovecs at `iov`.
    #[inline]
    pub fn pwritev(fd: Target, iov: *const libc::iovec, nr: usize, offset: u64) -> Iocb {
        Iocb::rw(Opcode::Pwritev, fd, iov as u64, nr as u64, offset)
    }

    /// Read into `buf`, which lies inside registered buffer `index`.
    #[inline]
    pub fn read_fixed(fd: Target, buf: *mut u8, len: usize, offset: u64, index: u16) -> Iocb {
        let mut iocb = Iocb::rw(Opcode::ReadFixed, fd, buf as u64, len as u64, offset);
        iocb.buf_index = index;
        iocb
    }

    /// Write from `buf`, which lies inside registered buffer `index`.
    #[inline]
    pub fn write_fixed(fd: Target, buf: *const u8, len: usize, offset: u64, index: u16) -> Iocb {
        let mut iocb = Iocb::rw(Opcode::WriteFixed, fd, buf as u64, len as u64, offset);
        iocb.buf_index = index;
        iocb
    }

    #[inline]
    fn rw(opcode: Opcode, fd: Target, addr: u64, len: u64, offset: u64) -> Iocb {
        let mut iocb = Iocb::new(opcode, fd);
        iocb.addr = addr;
        iocb.len = len;
        // An offset past i64::MAX becomes negative here and is refused by `validate`.
        iocb.offset = offset as i64;
        iocb
    }

    /// Flush the file's data and metadata (`datasync == false`) or just its data.
    #[inline]
    pub fn fsync(fd: Target, datasync: bool) -> Iocb {
        let op = if datasync {
            Opcode::Fdsync
        } else {
            Opcode::Fsync
        };
        Iocb::new(op, fd)
    }

    /// Wait once for `events` (`POLLIN`, ...) on `fd`; the result is the ready mask.
    #[inline]
    pub fn poll(fd: Target, events: u32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Poll, fd);
        iocb.flags = events;
        iocb
    }

    /// Open `path` relative to `dirfd` (`libc::AT_FDCWD` for the working directory).
    #[inline]
    pub fn openat(dirfd: RawFd, path: &CStr, flags: i32, mode: u32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Openat, Target::Fd(dirfd));
        iocb.addr = path.as_ptr() as u64;
        iocb.flags = flags as u32;
        iocb.mode = mode;
        iocb
    }

    /// Open `path` straight into the ring's registered-file table (a direct descriptor: no
    /// fd in the process's table): into slot `index`, or with [`FILE_INDEX_ALLOC`] into any
    /// free slot of the table's allocation range, whose index is then the result. The SQE's
    /// `file_index` travels in `len` (slot + 1, or `FILE_INDEX_ALLOC`). Ring only.
    #[inline]
    pub fn openat_direct(dirfd: RawFd, path: &CStr, flags: i32, mode: u32, index: u32) -> Iocb {
        let mut iocb = Iocb::openat(dirfd, path, flags, mode);
        iocb.len = if index == FILE_INDEX_ALLOC {
            u64::from(FILE_INDEX_ALLOC)
        } else {
            u64::from(index) + 1
        };
        iocb
    }

    /// For an `Openat` into the registered-file table: the SQE's `file_index` (slot + 1, or
    /// [`FILE_INDEX_ALLOC`]); `None` for a plain open and every other opcode.
    #[inline]
    pub fn direct_index(&self) -> Option<u32> {
        (self.opcode == Opcode::Openat && self.len != 0).then_some(self.len as u32)
    }

    /// A real fd (`O_CLOEXEC`) for registered-file slot `index` (`IORING_OP_FIXED_FD_INSTALL`).
    #[inline]
    pub fn fixed_fd_install(index: u32) -> Iocb {
        Iocb::new(Opcode::FixedFdInstall, Target::Fixed(index))
    }

    /// A timeout of the relative time at `ts` for the request linked before it.
    #[inline]
    pub fn link_timeout(ts: *const crate::Timespec) -> Iocb {
        let mut iocb = Iocb::new(Opcode::LinkTimeout, Target::Fd(-1));
        iocb.addr = ts as u64;
        iocb
    }

    /// Close `fd` (a registered-file slot: empties the slot and drops its file).
    #[inline]
    pub fn close(fd: Target) -> Iocb {
        Iocb::new(Opcode::Close, fd)
    }

    /// `statx(dirfd, path, flags, mask, out)`; with `AT_EMPTY_PATH` and `c""` it stats `dirfd`.
    #[inline]
    pub fn statx(dirfd: RawFd, path: &CStr, flags: i32, mask: u32, out: *mut libc::statx) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Statx, Target::Fd(dirfd));
        iocb.addr = path.as_ptr() as u64;
        iocb.addr2 = out as u64;
        iocb.flags = flags as u32;
        iocb.mode = mask;
        iocb
    }

    /// Allocate (or with `mode`, punch, zero, ...) `len` bytes at `offset`.
    #[inline]
    pub fn fallocate(fd: Target, mode: i32, offset: u64, len: u64) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Fallocate, fd);
        iocb.flags = mode as u32;
        iocb.offset = offset as i64;
        iocb.len = len;
        iocb
    }

    /// Truncate (or extend) the file to `len` bytes.
    #[inline]
    pub fn ftruncate(fd: Target, len: u64) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Ftruncate, fd);
        iocb.len = len;
        iocb
    }

    /// Move up to `len` bytes from `fd_in` (at `off_in`, or from its file position with
    /// `None`) to `fd_out` (likewise) with `splice(2)`; one of the two must be a pipe.
    /// `flags` are `SPLICE_F_*`.
    #[inline]
    pub fn splice(
        fd_in: RawFd,
        off_in: Option<u64>,
        fd_out: Target,
        off_out: Option<u64>,
        len: u32,
        flags: u32,
    ) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Splice, fd_out);
        iocb.fd2 = fd_in;
        iocb.addr = off_in.unwrap_or(u64::MAX);
        iocb.offset = off_out.map_or(-1, |off| off as i64);
        iocb.len = u64::from(len);
        iocb.flags = flags;
        iocb
    }

    /// Copy up to `len` bytes from `fd_in` at `off_in` to `fd_out` at `off_out` inside the
    /// kernel (`copy_file_range(2)`; always on the blocking pool).
    #[inline]
    pub fn copy_file_range(
        fd_in: RawFd,
        off_in: u64,
        fd_out: Target,
        off_out: u64,
        len: usize,
    ) -> Iocb {
        let mut iocb = Iocb::new(Opcode::CopyFileRange, fd_out);
        iocb.fd2 = fd_in;
        iocb.addr = off_in;
        iocb.offset = off_out as i64;
        iocb.len = len as u64;
        iocb
    }

    /// Remove `path` (a directory with `AT_REMOVEDIR`).
    #[inline]
    pub fn unlinkat(dirfd: RawFd, path: &CStr, flags: i32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Unlinkat, Target::Fd(dirfd));
        iocb.addr = path.as_ptr() as u64;
        iocb.flags = flags as u32;
        iocb
    }

    /// Rename `old` (relative to `olddir`) to `new` (relative to `newdir`).
    #[inline]
    pub fn renameat(olddir: RawFd, old: &CStr, newdir: RawFd, new: &CStr, flags: u32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Renameat, Target::Fd(olddir));
        iocb.addr = old.as_ptr() as u64;
        iocb.fd2 = newdir;
        iocb.addr2 = new.as_ptr() as u64;
        iocb.flags = flags;
        iocb
    }

    /// Create directory `path` with `mode`.
    #[inline]
    pub fn mkdirat(dirfd: RawFd, path: &CStr, mode: u32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Mkdirat, Target::Fd(dirfd));
        iocb.addr = path.as_ptr() as u64;
        iocb.mode = mode;
        iocb
    }

    /// Advise the kernel about `len` bytes at `offset` (0: to the end of the file; at most
    /// `u32::MAX`, the SQE's length field): `advice` is a `POSIX_FADV_*` value.
    #[inline]
    pub fn fadvise(fd: Target, offset: u64, len: u64, advice: i32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Fadvise, fd);
        iocb.offset = offset as i64;
        iocb.len = len;
        iocb.flags = advice as u32;
        iocb
    }

    /// `sync_file_range` of `len` bytes at `offset` (0: to the end of the file; at most
    /// `u32::MAX`) with `SYNC_FILE_RANGE_*` `flags`.
    #[inline]
    pub fn sync_file_range(fd: Target, offset: u64, len: u64, flags: u32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::SyncFileRange, fd);
        iocb.offset = offset as i64;
        iocb.len = len;
        iocb.flags = flags;
        iocb
    }

    /// Create a symbolic link `linkpath` (relative to `newdir`) pointing at `target`.
    #[inline]
    pub fn symlinkat(target: &CStr, newdir: RawFd, linkpath: &CStr) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Symlinkat, Target::Fd(newdir));
        iocb.addr = target.as_ptr() as u64;
        iocb.addr2 = linkpath.as_ptr() as u64;
        iocb
    }

    /// Create a hard link `new` (relative to `newdir`) to `old` (relative to `olddir`);
    /// `flags` may hold `AT_SYMLINK_FOLLOW`.
    #[inline]
    pub fn linkat(olddir: RawFd, old: &CStr, newdir: RawFd, new: &CStr, flags: i32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Linkat, Target::Fd(olddir));
        iocb.addr = old.as_ptr() as u64;
        iocb.fd2 = newdir;
        iocb.addr2 = new.as_ptr() as u64;
        iocb.flags = flags as u32;
        iocb
    }

    /// Fire after the relative time at `ts` (completes with `-ETIME`).
    #[inline]
    pub fn timeout(ts: *const crate::Timespec) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Timeout, Target::Fd(-1));
        iocb.addr = ts as u64;
        iocb
    }

    /// Cancel the request submitted with user data `target`.
    #[inline]
    pub fn async_cancel(target: u64) -> Iocb {
        let mut iocb = Iocb::new(Opcode::AsyncCancel, Target::Fd(-1));
        iocb.addr = target;
        iocb
    }

    /// A new socket (`socket(2)`); `ty` may carry `SOCK_NONBLOCK` and `SOCK_CLOEXEC`.
    /// The domain travels in `fd2`, the type in `flags`, the protocol in `mode`.
    #[inline]
    pub fn socket(domain: i32, ty: i32, protocol: i32) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Socket, Target::Fd(-1));
        iocb.fd2 = domain;
        iocb.flags = ty as u32;
        iocb.mode = protocol as u32;
        iocb
    }

    /// Connect `fd` to the `len`-byte socket address at `addr`.
    #[inline]
    pub fn connect(fd: Target, addr: *const libc::sockaddr, len: libc::socklen_t) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Connect, fd);
        iocb.addr = addr as u64;
        iocb.len = len.into();
        iocb
    }

    /// Accept a connection on listener `fd`, its peer's address written to `addr` (room and
    /// written length in `*addr_len`) unless `addr` is null; `flags` are `accept4(2)`'s.
    #[inline]
    pub fn accept(
        fd: Target,
        addr: *mut libc::sockaddr,
        addr_len: *mut libc::socklen_t,
        flags: i32,
    ) -> Iocb {
        let mut iocb = Iocb::new(Opcode::Accept, fd);
        iocb.addr = addr as u64;
        iocb.addr2 = addr_len as u64;
        iocb.flags = flags as u32;
        iocb
    }

    /// Accept every connection on listener `fd`, one completion each (no peer addresses).
    #[inline]
    pub fn accept_multi(fd: Target, flags: i32) -> Iocb {
        Iocb::flagged(Opcode::AcceptMulti, fd, flags)
    }

    /// Send `len` bytes from `buf`; `flags` are `send(2)`'s (`MSG_NOSIGNAL`, ...).
    #[inline]
    pub fn send(fd: Target, buf: *const u8, len: usize, flags: i32) -> Iocb {
        Iocb::transfer(Opcode::Send, fd, buf as u64, len as u64, flags)
    }

    /// Receive up to `len` bytes into `buf`; `flags` are `recv(2)`'s.
    #[inline]
    pub fn recv(fd: Target, buf: *mut u8, len: usize, flags: i32) -> Iocb {
        Iocb::transfer(Opcode::Recv, fd, buf as u64, len as u64, flags)
    }

    /// Zero-copy send of `len` bytes from `buf` (two completions: the result, then the
    /// notification that the kernel let go of the buffer).
    #[inline]
    pub fn send_zc(fd: Target, buf: *const u8, len: usize, flags: i32) -> Iocb {
        Iocb::transfer(Opcode::SendZc, fd, buf as u64, len as u64, flags)
    }

    /// Receive message after message into buffers of provided buffer ring `group`.
    #[inline]
    pub fn recv_multi(fd: Target, group: u16, flags: i32) -> Iocb {
        let mut iocb = Iocb::flagged(Opcode::RecvMulti, fd, flags);
        iocb.buf_index = group;
        iocb
    }

    /// `sendmsg(2)` of the `msghdr` at `msg`.
    #[inline]
    pub fn sendmsg(fd: Target, msg: *const libc::msghdr, flags: i32) -> Iocb {
        Iocb::transfer(Opcode::SendMsg, fd, msg as u64, 0, flags)
    }

    /// `recvmsg(2)` into the `msghdr` at `msg`.
    #[inline]
    pub fn recvmsg(fd: Target, msg: *mut libc::msghdr, flags: i32) -> Iocb {
        Iocb::transfer(Opcode::RecvMsg, fd, msg as u64, 0, flags)
    }

    /// A socket transfer: as a read or write at offset 0, with `flags` (`MSG_*`).
    #[inline]
    fn transfer(opcode: Opcode, fd: Target, addr: u64, len: u64, flags: i32) -> Iocb {
        Iocb {
            flags: flags as u32,
            ..Iocb::rw(opcode, fd, addr, len, 0)
        }
    }

    /// A request on `fd` that takes nothing but `flags`.
    #[inline]
    fn flagged(opcode: Opcode, fd: Target, flags: i32) -> Iocb {
        Iocb {
            flags: flags as u32,
            ..Iocb::new(opcode, fd)
        }
    }

    /// Shut down one or both directions of `fd` (`SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`).
    #[inline]
    pub fn shutdown(fd: Target, how: i32) -> Iocb {
        Iocb::flagged(Opcode::Shutdown, fd, how)
    }

    /// This request with `data` as its token.
    #[inline]
    pub fn with_data(mut self, data: u64) -> Iocb {
        self.data = data;
        self
    }

    /// This plain read or write on registered buffer `index` (`ReadFixed` / `WriteFixed`,
    /// same buffer, length and offset); any other request unchanged.
    #[inline]
    pub fn on_fixed_buffer(mut self, index: u16) -> Iocb {
        if let Some(fixed) = self.opcode.with_fixed_buffer() {
            self.opcode = fixed;
            self.buf_index = index;
        }
        self
    }

    /// This request with `RWF_*` flags.
    #[inline]
    pub fn with_rw_flags(mut self, rw_flags: i32) -> Iocb {
        self.rw_flags = rw_flags;
        self
    }

    /// The path pointer as a C string pointer (null when unset).
    #[inline]
    pub fn path(&self) -> *const libc::c_char {
        self.addr as usize as *const libc::c_char
    }

    /// Checks what can be checked without the kernel, as `io_submit` does before queueing.
    ///
    /// # Errors
    /// `EINVAL` (`ErrorKind::InvalidInput`) for a negative offset (io_uring would read -1 as
    /// "the current file position"; only [`Iocb::read`] asks for that), a length over
    /// [`MAX_RW_COUNT`], more than [`IOV_MAX`] iovecs, a sync with a buffer, a null buffer or
    /// path where one is needed, or flags an opcode does not take.
    #[inline(always)]
    pub fn validate(&self) -> io::Result<()> {
        let einval = || Err(io::Error::from_raw_os_error(libc::EINVAL));
        let no_buffer = self.addr == 0 && self.len == 0 && self.addr2 == 0;
        match self.opcode {
            Opcode::Pread | Opcode::ReadFixed => {
                let offset_ok = self.offset >= 0 || self.at_file_position();
                if !offset_ok || self.len > MAX_RW_COUNT || (self.addr == 0 && self.len > 0) {
                    return einval();
                }
            }
            Opcode::Pwrite | Opcode::WriteFixed => {
                if self.offset < 0 || self.len > MAX_RW_COUNT || (self.addr == 0 && self.len > 0) {
                    return einval();
                }
            }
            Opcode::Preadv | Opcode::Pwritev => {
                if self.offset < 0 || self.len > IOV_MAX || (self.addr == 0 && self.len > 0) {
                    return einval();
                }
            }
            Opcode::Fsync | Opcode::Fdsync => {
                if !no_buffer || self.offset != 0 || self.rw_flags != 0 {
                    return einval();
                }
            }
            Opcode::Noop | Opcode::Close => {
                if !no_buffer {
                    return einval();
                }
            }
            Opcode::Poll => {
                if !no_buffer || self.flags & !0xffff != 0 {
                    return einval();
                }
            }
            Opcode::Openat => {
                // `len` is the SQE's 32-bit `file_index`.
                if self.addr == 0 || self.len > u64::from(u32::MAX) {
                    return einval();
                }
            }
            Opcode::FixedFdInstall => {
                if !no_buffer || !matches!(self.fd, Target::Fixed(_)) {
                    return einval();
                }
            }
            Opcode::LinkTimeout => {
                if self.addr == 0 || self.offset != 0 {
                    return einval();
                }
            }
            Opcode::Unlinkat | Opcode::Mkdirat => {
                if self.addr == 0 {
                    return einval();
                }
            }
            Opcode::Statx | Opcode::Renameat | Opcode::Symlinkat | Opcode::Linkat => {
                if self.addr == 0 || self.addr2 == 0 {
                    return einval();
                }
            }
            Opcode::Ftruncate => {
                if self.addr != 0 || self.offset != 0 || self.len > i64::MAX as u64 {
                    return einval();
                }
            }
            Opcode::Fallocate => {
                if self.offset < 0 || self.len > i64::MAX as u64 {
                    return einval();
                }
            }
            Opcode::Timeout => {
                // `offset` is the completion count, a u32 for the kernel.
                if self.addr == 0 || self.offset < 0 || self.offset > i64::from(u32::MAX) {
                    return einval();
                }
            }
            Opcode::Fadvise | Opcode::SyncFileRange => {
                // The SQE's length field is 32 bits wide.
                if self.addr != 0 || self.offset < 0 || self.len > u64::from(u32::MAX) {
                    return einval();
                }
            }
            Opcode::AsyncCancel => {}
            Opcode::Splice => {
                // -1 is "the file position" for the output; the input's is u64::MAX.
                let off_in_ok = self.addr == u64::MAX || self.addr <= i64::MAX as u64;
                if self.fd2 < 0
                    || self.offset < -1
                    || !off_in_ok
                    || self.len > MAX_RW_COUNT
                    || self.addr2 != 0
                {
                    return einval();
                }
            }
            Opcode::CopyFileRange => {
                if self.fd2 < 0
                    || self.offset < 0
                    || self.addr > i64::MAX as u64
                    || self.len > MAX_RW_COUNT
                    || self.addr2 != 0
                    || self.flags != 0
                {
                    return einval();
                }
            }
            Opcode::Socket => {
                if !no_buffer || self.fd != Target::Fd(-1) {
                    return einval();
                }
            }
            Opcode::Connect => {
                let max = std::mem::size_of::<libc::sockaddr_storage>() as u64;
                if self.addr == 0 || self.len == 0 || self.len > max {
                    return einval();
                }
            }
            Opcode::Accept => {
                if self.addr != 0 && self.addr2 == 0 {
                    return einval();
                }
            }
            Opcode::Send | Opcode::Recv | Opcode::SendZc => {
                if self.len > MAX_RW_COUNT || (self.addr == 0 && self.len > 0) {
                    return einval();
                }
            }
            Opcode::SendMsg | Opcode::RecvMsg => {
                if self.addr == 0 || self.len != 0 {
                    return einval();
                }
            }
            Opcode::Shutdown => {
                if !no_buffer || self.flags > libc::SHUT_RDWR as u32 {
                    return einval();
                }
            }
            Opcode::AcceptMulti | Opcode::RecvMulti => {
                if !no_buffer {
                    return einval();
                }
            }
        }
        if matches!(self.fd, Target::Fixed(_)) && !self.opcode.takes_fixed_file() {
            return einval();
        }
        Ok(())
    }
}

impl Default for Iocb {
    #[inline]
    fn default() -> Iocb {
        Iocb::noop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr;

    fn einval(iocb: Iocb) {
        let err = iocb.validate().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{iocb:?}");
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn plain_reads_and_writes_move_to_a_fixed_buffer() {
        let buf = 0x1000 as *mut u8;
        let read = Iocb::pread(Target::Fd(3), buf, 64, 8).on_fixed_buffer(5);
        assert_eq!(read, Iocb::read_fixed(Target::Fd(3), buf, 64, 8, 5));
        let write = Iocb::pwrite(Target::Fd(3), buf, 64, 8).on_fixed_buffer(5);
        assert_eq!(write, Iocb::write_fixed(Target::Fd(3), buf, 64, 8, 5));
        let fsync = Iocb::fsync(Target::Fd(3), false);
        assert_eq!(fsync.on_fixed_buffer(5), fsync, "other requests unchanged");
    }

    #[test]
    fn negative_offset_is_refused() {
        let mut buf = [0u8; 8];
        einval(Iocb::pread(Target::Fd(0), buf.as_mut_ptr(), 8, u64::MAX));
        einval(Iocb::pwrite(Target::Fd(0), buf.as_ptr(), 8, 1 << 63));
        einval(Iocb::fallocate(Target::Fd(0), 0, u64::MAX, 1));
    }

    #[test]
    fn length_limits() {
        let mut buf = [0u8; 8];
        let p = buf.as_mut_ptr();
        assert!(Iocb::pread(Target::Fd(0), p, MAX_RW_COUNT as usize, 0)
            .validate()
            .is_ok());
        einval(Iocb::pread(Target::Fd(0), p, MAX_RW_COUNT as usize + 1, 0));
        einval(Iocb::pwrite(Target::Fd(0), p, usize::MAX, 0));
        let iov = libc::iovec {
            iov_base: p.cast(),
            iov_len: 8,
        };
        assert!(Iocb::preadv(Target::Fd(0), &iov, 1024, 0)
            .validate()
            .is_ok());
        einval(Iocb::preadv(Target::Fd(0), &iov, 1025, 0));
    }

    #[test]
    fn sync_with_a_buffer_is_refused() {
        let mut iocb = Iocb::fsync(Target::Fd(3), false);
        assert!(iocb.validate().is_ok());
        iocb.addr = 0x1000;
        einval(iocb);
        let mut iocb = Iocb::fsync(Target::Fd(3), true);
        iocb.len = 1;
        einval(iocb);
    }

    #[test]
    fn null_buffers_and_paths_are_refused() {
        einval(Iocb::pread(Target::Fd(0), ptr::null_mut(), 1, 0));
        einval(Iocb::pwrite(Target::Fd(0), ptr::null(), 1, 0));
        assert!(Iocb::pread(Target::Fd(0), ptr::null_mut(), 0, 0)
            .validate()
            .is_ok());
        let mut open = Iocb::openat(libc::AT_FDCWD, c"x", 0, 0);
        open.addr = 0;
        einval(open);
        einval(Iocb::timeout(ptr::null()));
        let ts = crate::Timespec::default();
        let mut timeout = Iocb::timeout(&ts);
        timeout.offset = -1;
        einval(timeout);
    }

    #[test]
    fn fixed_files_only_where_the_kernel_takes_them() {
        einval(
            Iocb::openat(libc::AT_FDCWD, c"x", 0, 0)
                .with_data(1)
                .fixed_dir(),
        );
        assert!(Iocb::fsync(Target::Fixed(0), false).validate().is_ok());
    }

    impl Iocb {
        fn fixed_dir(mut self) -> Iocb {
            self.fd = Target::Fixed(0);
            self
        }
    }
}
