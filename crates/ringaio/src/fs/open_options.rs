//! `OpenOptions`, as in `std::fs`, opening through the ring.

use std::io;
use std::path::Path;

use crate::context;
use crate::fd::SharedFd;
use crate::fs::{cstring, Dir, File};
use crate::op::Op;
use crate::ops::{Open, OpenDirect};

/// How to open a file; see `std::fs::OpenOptions`.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: u32,
    custom_flags: i32,
    direct: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// All options off, create mode `0o666` (before the umask).
    pub fn new() -> OpenOptions {
        OpenOptions {
            read: false,
            write: false,
            append: false,
            truncate: false,
            create: false,
            create_new: false,
            mode: 0o666,
            custom_flags: 0,
            direct: false,
        }
    }

    /// Open the file as a direct descriptor: straight into the ring's registered-file table,
    /// with no fd in the process's table and no `io_uring_register` call
    /// (`IORING_FILE_INDEX_ALLOC`). Every `File` operation works the same on it; what needs
    /// a real fd ([`as_fd`](std::os::fd::AsFd::as_fd), [`File::into_std`],
    /// [`File::try_clone`], [`File::metadata`], [`File::set_permissions`], splice and
    /// copy_file_range) gets one installed once (`IORING_OP_FIXED_FD_INSTALL`, a ring round
    /// trip) and kept. Falls back to a plain fd when the table's allocation range is full,
    /// on kernels before 6.8, and on the fallback backend.
    ///
    /// A direct file belongs to its runtime's ring: it closes when that runtime is dropped,
    /// and requests on it from another runtime fail with `EBADF`. Default off.
    ///
    /// ```
    /// use ringaio::fs::File;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-direct-{}", std::process::id()));
    /// std::fs::write(&path, b"direct")?;
    /// ringaio::block_on(async {
    ///     let file = File::options().read(true).direct(true).open(&path).await?;
    ///     let (n, buf) = file.read_at(Vec::with_capacity(16), 0).await;
    ///     assert_eq!(n?, 6);
    ///     assert_eq!(buf, b"direct");
    ///     file.close().await
    /// })?;
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    pub fn direct(&mut self, yes: bool) -> &mut Self {
        self.direct = yes;
        self
    }

    /// Open for reading.
    pub fn read(&mut self, yes: bool) -> &mut Self {
        self.read = yes;
        self
    }

    /// Open for writing.
    pub fn write(&mut self, yes: bool) -> &mut Self {
        self.write = yes;
        self
    }

    /// Open for appending (implies writing).
    pub fn append(&mut self, yes: bool) -> &mut Self {
        self.append = yes;
        self
    }

    /// Truncate to 0 bytes on open (needs write).
    pub fn truncate(&mut self, yes: bool) -> &mut Self {
        self.truncate = yes;
        self
    }

    /// Create the file if it does not exist (needs write or append).
    pub fn create(&mut self, yes: bool) -> &mut Self {
        self.create = yes;
        self
    }

    /// Create the file, failing if it exists (needs write or append).
    pub fn create_new(&mut self, yes: bool) -> &mut Self {
        self.create_new = yes;
        self
    }

    /// The permission bits of a created file.
    pub fn mode(&mut self, mode: u32) -> &mut Self {
        self.mode = mode;
        self
    }

    /// Extra `open(2)` flags, e.g. `libc::O_DIRECT`. The access-mode bits are ignored.
    pub fn custom_flags(&mut self, flags: i32) -> &mut Self {
        self.custom_flags = flags;
        self
    }

    fn flags(&self) -> io::Result<i32> {
        let invalid = |msg| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
        let access = match (self.read, self.write, self.append) {
            (true, false, false) => libc::O_RDONLY,
            (false, true, false) => libc::O_WRONLY,
            (true, true, false) => libc::O_RDWR,
            (false, _, true) => libc::O_WRONLY | libc::O_APPEND,
            (true, _, true) => libc::O_RDWR | libc::O_APPEND,
            (false, false, false) => return invalid("open needs read, write or append"),
        };
        let writable = self.write || self.append;
        if !writable && (self.truncate || self.create || self.create_new) {
            return invalid("create and truncate need write or append");
        }
        if self.append && self.truncate && !self.create_new {
            return invalid("append and truncate together make no sense");
        }
        let creation = if self.create_new {
            libc::O_CREAT | libc::O_EXCL
        } else {
            (if self.create { libc::O_CREAT } else { 0 })
                | (if self.truncate { libc::O_TRUNC } else { 0 })
        };
        Ok(access | creation | (self.custom_flags & !libc::O_ACCMODE))
    }

    /// Opens `path` with these options.
    ///
    /// # Errors
    /// `InvalidInput` for contradictory options or a path with a NUL byte; the `open(2)`
    /// error otherwise (NotFound, PermissionDenied, ...); an error when no runtime runs.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let flags = self.flags()?;
        let path = cstring(path.as_ref())?;
        if self.direct {
            if let Some(file) = open_direct(Open::new(path.clone(), flags, self.mode)).await? {
                return Ok(file);
            }
        }
        let fd = Op::new(Open::new(path, flags, self.mode)).await?;
        Ok(File::from_fd(fd))
    }

    /// Opens `path` relative to the directory `dir` with these options (`openat`); an
    /// absolute `path` ignores `dir`.
    ///
    /// ```
    /// use ringaio::fs::{Dir, File};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let etc = Dir::open("/").await?;
    ///     let root = File::options().read(true).custom_flags(libc::O_DIRECTORY)
    ///         .open_at(&etc, ".").await?;
    ///     assert!(root.metadata().await?.is_dir());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`open`](OpenOptions::open); `ENOTDIR` when a component of `path` is not a
    /// directory.
    pub async fn open_at(&self, dir: &Dir, path: impl AsRef<Path>) -> io::Result<File> {
        let flags = self.flags()?;
        let path = cstring(path.as_ref())?;
        if self.direct {
            let open = Open::at(dir.shared_fd(), path.clone(), flags, self.mode);
            if let Some(file) = open_direct(open).await? {
                return Ok(file);
            }
        }
        let fd = Op::new(Open::at(dir.shared_fd(), path, flags, self.mode)).await?;
        Ok(File::from_fd(fd))
    }
}

/// `open` as a direct descriptor, or `None` where there can be none (no allocation range,
/// a kernel before 6.8, the fallback backend) or the range is full (`ENFILE`).
async fn open_direct(open: Open) -> io::Result<Option<File>> {
    let Ok(reactor) = context::reactor() else {
        return Ok(None);
    };
    if !reactor.direct_files() {
        return Ok(None);
    }
    match Op::new(OpenDirect(open)).await {
        Ok(slot) => Ok(Some(File::from_shared(SharedFd::direct(slot, &reactor)))),
        Err(e) if e.raw_os_error() == Some(libc::ENFILE) => Ok(None),
        Err(e) => Err(e),
    }
}
