//! `OpenOptions`, as in `std::fs`, opening through the ring.

use std::io;
use std::path::Path;

use crate::fs::{cstring, Dir, File};
use crate::op::Op;
use crate::ops::Open;

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
        }
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
        let fd = Op::new(Open::at(dir.shared_fd(), path, flags, self.mode)).await?;
        Ok(File::from_fd(fd))
    }
}
