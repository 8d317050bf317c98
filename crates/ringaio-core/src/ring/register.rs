//! Registered files and buffers: the ring's fixed-file and fixed-buffer tables.

use std::io;
use std::os::fd::RawFd;

use super::Ring;

impl Ring {
    /// Registers `fds` as the fixed-file table (`Target::Fixed(i)` is `fds[i]`; -1 leaves a
    /// slot empty).
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES` (EBUSY if a table exists, EMFILE, EBADF, ...).
    pub fn register_files(&mut self, fds: &[RawFd]) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_files(fds)
    }

    /// Registers an empty fixed-file table of `n` slots, to fill with
    /// [`update_files`](Ring::update_files).
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES` with `IORING_RSRC_REGISTER_SPARSE` (EBUSY if a table exists,
    /// EINVAL on kernels before 5.19 lacking sparse tables, EMFILE over `RLIMIT_NOFILE`).
    pub fn register_files_sparse(&mut self, n: u32) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_files_sparse(n)
    }

    /// Replaces the fixed-file slots from `offset` on with `fds`.
    ///
    /// # Errors
    /// As `IORING_REGISTER_FILES_UPDATE`.
    pub fn update_files(&mut self, offset: u32, fds: &[RawFd]) -> io::Result<usize> {
        self.check_fork()?;
        self.uring.submitter().register_files_update(offset, fds)
    }

    /// Limits the slots `IORING_FILE_INDEX_ALLOC` opens pick from to `len` slots from `off`
    /// (`IORING_REGISTER_FILE_ALLOC_RANGE`, Linux 6.0); the others stay for user-chosen
    /// indexes.
    ///
    /// # Errors
    /// EINVAL on kernels without it or for a range outside the table, ENXIO without a table.
    pub fn register_file_alloc_range(&mut self, off: u32, len: u32) -> io::Result<()> {
        self.check_fork()?;
        /// `struct io_uring_file_index_range`.
        #[repr(C)]
        struct Range {
            off: u32,
            len: u32,
            resv: u64,
        }
        let range = Range { off, len, resv: 0 };
        const IORING_REGISTER_FILE_ALLOC_RANGE: libc::c_long = 25;
        // SAFETY: `range` is a live `io_uring_file_index_range` the kernel only reads, and
        // the ring's fd is ours.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_io_uring_register,
                self.as_raw_fd(),
                IORING_REGISTER_FILE_ALLOC_RANGE,
                &range as *const Range,
                0,
            )
        };
        if ret < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Drops the fixed-file table.
    ///
    /// # Errors
    /// ENXIO when none is registered.
    pub fn unregister_files(&mut self) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().unregister_files()
    }

    /// Registers `bufs` as fixed buffers (`buf_index` i is `bufs[i]`).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS` (EBUSY if some are registered, ENOMEM over memlock, ...).
    ///
    /// # Safety
    /// - The memory of every iovec stays valid until [`Ring::unregister_buffers`] or the ring
    ///   is dropped, and no request in flight uses it past that point.
    pub unsafe fn register_buffers(&mut self, bufs: &[libc::iovec]) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        unsafe { self.uring.submitter().register_buffers(bufs) }
    }

    /// Registers an empty fixed-buffer table of `n` slots, to fill with
    /// [`update_buffers`](Ring::update_buffers).
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS2` with `IORING_RSRC_REGISTER_SPARSE` (EBUSY if a table
    /// exists, EINVAL on kernels before 5.19).
    pub fn register_buffers_sparse(&mut self, n: u32) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().register_buffers_sparse(n)
    }

    /// Replaces the fixed-buffer slots from `offset` on with `bufs` (an iovec with a null
    /// base and length 0 empties its slot). Requests already in flight keep the buffer they
    /// were issued with until they complete.
    ///
    /// # Errors
    /// As `IORING_REGISTER_BUFFERS_UPDATE` (ENOMEM over the memlock limit, EFAULT).
    ///
    /// # Safety
    /// Each buffer stays valid (allocated, not freed or unmapped) for as long as any request
    /// may name its slot: until the slot is emptied or replaced, or until its owner can
    /// guarantee no later request uses the index. The kernel pins the pages, but once freed
    /// they may belong to another allocation.
    pub unsafe fn update_buffers(&mut self, offset: u32, bufs: &[libc::iovec]) -> io::Result<()> {
        self.check_fork()?;
        // SAFETY: forwarded from the caller.
        unsafe {
            self.uring
                .submitter()
                .register_buffers_update(offset, bufs, None)
        }
    }

    /// Drops the fixed buffers.
    ///
    /// # Errors
    /// ENXIO when none are registered.
    pub fn unregister_buffers(&mut self) -> io::Result<()> {
        self.check_fork()?;
        self.uring.submitter().unregister_buffers()
    }
}
