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
