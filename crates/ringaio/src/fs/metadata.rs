//! `Metadata`, from `statx`.

use std::fmt;
use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

/// What `statx` says about a file.
///
/// Only the fields the caller asked for ([`File::metadata_with`](crate::fs::File::metadata_with),
/// [`metadata_with`](crate::fs::metadata_with)) and the kernel filled are meaningful;
/// [`mask`](Metadata::mask) says which. The others read as 0 (or the epoch).
#[derive(Clone, Copy)]
pub struct Metadata {
    stx: libc::statx,
}

fn time(ts: libc::statx_timestamp) -> SystemTime {
    let d = Duration::new(ts.tv_sec.unsigned_abs(), ts.tv_nsec);
    if ts.tv_sec >= 0 {
        SystemTime::UNIX_EPOCH + d
    } else {
        SystemTime::UNIX_EPOCH - d
    }
}

/// The fields [`File::metadata`](crate::fs::File::metadata) and
/// [`metadata`](crate::fs::metadata) ask for: `STATX_BASIC_STATS | STATX_BTIME`.
pub const DEFAULT_MASK: u32 = libc::STATX_BASIC_STATS | libc::STATX_BTIME;

impl Metadata {
    pub(crate) fn from_statx(stx: libc::statx) -> Metadata {
        Metadata { stx }
    }

    /// The fields the kernel filled (`stx_mask`, `STATX_*` bits): what was asked for, as far
    /// as the filesystem has it, and sometimes more.
    pub fn mask(&self) -> u32 {
        self.stx.stx_mask
    }

    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.stx.stx_size
    }

    /// Whether the size is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// File type and permission bits (`st_mode`).
    pub fn mode(&self) -> u32 {
        u32::from(self.stx.stx_mode)
    }

    /// The permission bits.
    pub fn permissions(&self) -> Permissions {
        Permissions::from_mode(self.mode() & 0o7777)
    }

    fn file_type(&self) -> u32 {
        self.mode() & libc::S_IFMT
    }

    /// A regular file?
    pub fn is_file(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }

    /// A directory?
    pub fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }

    /// A symbolic link?
    pub fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }

    /// Last modification time.
    pub fn modified(&self) -> SystemTime {
        time(self.stx.stx_mtime)
    }

    /// Last access time.
    pub fn accessed(&self) -> SystemTime {
        time(self.stx.stx_atime)
    }

    /// Creation time, where the filesystem records it.
    pub fn created(&self) -> Option<SystemTime> {
        (self.stx.stx_mask & libc::STATX_BTIME != 0).then(|| time(self.stx.stx_btime))
    }

    /// Inode number.
    pub fn ino(&self) -> u64 {
        self.stx.stx_ino
    }

    /// Owner user id.
    pub fn uid(&self) -> u32 {
        self.stx.stx_uid
    }

    /// Owner group id.
    pub fn gid(&self) -> u32 {
        self.stx.stx_gid
    }

    /// The device the file lives on (`makedev(major, minor)`).
    pub fn dev(&self) -> u64 {
        libc::makedev(self.stx.stx_dev_major, self.stx.stx_dev_minor)
    }

    /// Hard links.
    pub fn nlink(&self) -> u32 {
        self.stx.stx_nlink
    }

    /// Preferred I/O block size.
    pub fn blksize(&self) -> u64 {
        u64::from(self.stx.stx_blksize)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metadata")
            .field("len", &self.len())
            .field("mode", &format_args!("{:o}", self.mode()))
            .field("ino", &self.ino())
            .finish()
    }
}
