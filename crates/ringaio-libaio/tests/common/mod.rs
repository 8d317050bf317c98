//! What the ABI tests share: contexts that skip without io_uring, scratch directories,
//! iocb builders (libaio's `io_prep_*`), pipes.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::{self, Write};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use ringaio_libaio::*;

/// An fd number no process can have open.
pub const NEVER_OPEN: RawFd = RawFd::MAX;

/// Prints a skip line to the real stderr (the harness would hide `eprintln!`).
pub fn skip(why: impl std::fmt::Display) {
    let _ = writeln!(io::stderr(), "skipped: {why}");
}

/// A context, destroyed on drop.
#[derive(Debug)]
pub struct Ctx(pub IoContext);

// SAFETY: the library's functions may be called on one context from any thread.
unsafe impl Send for Ctx {}
// SAFETY: as above.
unsafe impl Sync for Ctx {}

impl Ctx {
    /// `io_setup(n)`, or `None` after printing why when io_uring is unavailable.
    pub fn new(n: i32) -> Option<Ctx> {
        let mut ctx: IoContext = ptr::null_mut();
        // SAFETY: a writable, null io_context_t.
        match unsafe { io_setup(n, &mut ctx) } {
            0 => Some(Ctx(ctx)),
            e if e == -libc::ENOSYS => {
                skip("io_uring is unavailable here (io_setup: ENOSYS)");
                None
            }
            e => panic!("io_setup({n}): {}", io::Error::from_raw_os_error(-e)),
        }
    }

    /// `io_submit` of `iocbs`.
    ///
    /// # Safety
    /// What the iocbs point at outlives their requests.
    pub unsafe fn submit(&self, iocbs: &mut [&mut Iocb]) -> i32 {
        let mut ptrs: Vec<*mut Iocb> = iocbs.iter_mut().map(|i| &mut **i as *mut Iocb).collect();
        // SAFETY: forwarded from the caller.
        unsafe { io_submit(self.0, ptrs.len() as libc::c_long, ptrs.as_mut_ptr()) }
    }

    /// `io_getevents(min, events.len(), timeout)`.
    pub fn get(&self, min: i64, events: &mut [IoEvent], timeout: Option<libc::timespec>) -> i32 {
        let mut ts = timeout;
        let tsp = ts
            .as_mut()
            .map_or(ptr::null_mut(), |t| t as *mut libc::timespec);
        // SAFETY: `events` is writable for its length; `tsp` is null or a live timespec.
        unsafe { io_getevents(self.0, min, events.len() as i64, events.as_mut_ptr(), tsp) }
    }

    /// Waits for exactly `n` events.
    pub fn wait(&self, n: usize) -> Vec<IoEvent> {
        let mut events = vec![IoEvent::default(); n];
        let mut got = 0;
        while got < n {
            let r = self.get((n - got) as i64, &mut events[got..], None);
            assert!(r > 0, "io_getevents: {r}");
            got += r as usize;
        }
        events
    }

    /// The `struct aio_ring` at the context address.
    pub fn header(&self) -> &AioRingHeader {
        // SAFETY: the context address is a live mapped aio_ring until destroy.
        unsafe { &*self.0 }
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        // SAFETY: the context came from io_setup (a second destroy is only EINVAL).
        unsafe { io_destroy(self.0) };
    }
}

/// A directory of its own under the temp dir, removed on drop.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ringaio-libaio-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir).expect("create scratch dir");
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// A file `name` holding `contents`, opened read-write.
    pub fn file(&self, name: &str, contents: &[u8]) -> fs::File {
        let path = self.path(name);
        fs::write(&path, contents).expect("write scratch file");
        open_rw(&path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

pub fn open_rw(path: &Path) -> fs::File {
    fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .expect("open scratch file")
}

fn iocb(opcode: i16, fd: RawFd) -> Iocb {
    Iocb {
        aio_lio_opcode: opcode,
        aio_fildes: fd,
        ..Iocb::default()
    }
}

/// `io_prep_pread`.
pub fn pread(fd: RawFd, buf: &mut [u8], offset: i64) -> Iocb {
    Iocb {
        buf: buf.as_mut_ptr() as u64,
        nbytes: buf.len() as u64,
        offset,
        ..iocb(IO_CMD_PREAD, fd)
    }
}

/// `io_prep_pwrite`.
pub fn pwrite(fd: RawFd, buf: &[u8], offset: i64) -> Iocb {
    Iocb {
        buf: buf.as_ptr() as u64,
        nbytes: buf.len() as u64,
        offset,
        ..iocb(IO_CMD_PWRITE, fd)
    }
}

/// `io_prep_preadv` / `io_prep_pwritev`.
pub fn vectored(opcode: i16, fd: RawFd, iov: &[libc::iovec], offset: i64) -> Iocb {
    Iocb {
        buf: iov.as_ptr() as u64,
        nbytes: iov.len() as u64,
        offset,
        ..iocb(opcode, fd)
    }
}

/// `io_prep_fsync` / `io_prep_fdsync`.
pub fn sync(fd: RawFd, data_only: bool) -> Iocb {
    iocb(
        if data_only {
            IO_CMD_FDSYNC
        } else {
            IO_CMD_FSYNC
        },
        fd,
    )
}

/// `io_prep_poll`.
pub fn poll(fd: RawFd, events: i16) -> Iocb {
    Iocb {
        buf: events as u16 as u64,
        ..iocb(IO_CMD_POLL, fd)
    }
}

/// A NOOP.
pub fn noop(data: u64) -> Iocb {
    Iocb {
        data,
        ..iocb(IO_CMD_NOOP, -1)
    }
}

/// A pipe: (read end, write end).
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both fds are fresh and owned from here on.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Writes all of `data` to `fd`.
pub fn write_fd(fd: RawFd, data: &[u8]) {
    // SAFETY: reads `data.len()` bytes from a live slice.
    let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    assert_eq!(n, data.len() as isize);
}
