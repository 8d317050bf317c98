//! `File`'s handle-level operations: metadata with a chosen mask, advice and writeback,
//! duplicating it, handing it to std, permissions and times.

use std::io;
use std::os::fd::AsFd;

use crate::fs::{File, Metadata};
use crate::op::Op;
use crate::ops::{Fadvise, Statx, SyncRange};
use crate::unblock::unblock;

impl File {
    /// Metadata of the open file with the fields in `mask` (`libc::STATX_*` bits;
    /// [`Metadata::mask`] says which the kernel filled).
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let file = ringaio::fs::File::open("/").await?;
    ///     let meta = file.metadata_with(libc::STATX_SIZE).await?;
    ///     assert_ne!(meta.mask() & libc::STATX_SIZE, 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// As `statx(2)`.
    pub async fn metadata_with(&self, mask: u32) -> io::Result<Metadata> {
        Op::new(Statx::fd(self.shared_fd(), mask)).await
    }

    /// Tells the kernel how `len` bytes at `offset` will be used (`posix_fadvise`; `len` 0:
    /// to the end of the file): `libc::POSIX_FADV_SEQUENTIAL`, `WILLNEED`, `DONTNEED`, ...
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-fadv-{}", std::process::id()));
    /// ringaio::block_on(async {
    ///     ringaio::fs::write(&path, b"data").await?;
    ///     let file = ringaio::fs::File::open(&path).await?;
    ///     file.fadvise(0, 0, libc::POSIX_FADV_SEQUENTIAL).await?;
    ///     ringaio::fs::remove_file(&path).await
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for a `len` over `u32::MAX` (the ring's field is 32 bits), an offset
    /// past `i64::MAX` or an unknown advice; `ESPIPE` on a pipe.
    pub async fn fadvise(&self, offset: u64, len: u64, advice: i32) -> io::Result<()> {
        Op::new(Fadvise::new(self.shared_fd(), offset, len, advice)).await
    }

    /// Starts writeback of, or waits for, the dirty pages of `len` bytes at `offset`
    /// (`sync_file_range`; `len` 0: to the end of the file) with `libc::SYNC_FILE_RANGE_*`
    /// flags. It makes no durability promise (metadata is not written): see `sync_data`.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-sfr-{}", std::process::id()));
    /// ringaio::block_on(async {
    ///     let file = ringaio::fs::File::create(&path).await?;
    ///     let (res, _) = file.write_all_at(vec![1u8; 8192], 0).await;
    ///     res?;
    ///     file.sync_file_range(0, 8192, libc::SYNC_FILE_RANGE_WRITE).await?;
    ///     ringaio::fs::remove_file(&path).await
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// `InvalidInput` for a `len` over `u32::MAX`, an offset past `i64::MAX` or unknown
    /// flags; EIO, ENOSPC.
    pub async fn sync_file_range(&self, offset: u64, len: u64, flags: u32) -> io::Result<()> {
        Op::new(SyncRange::new(self.shared_fd(), offset, len, flags)).await
    }

    /// A second `File` for the same open file description (`fcntl(F_DUPFD_CLOEXEC)`): they
    /// share the file's status flags.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let file = ringaio::fs::File::open("/").await?;
    ///     let twin = file.try_clone()?;
    ///     assert_eq!(twin.metadata().await?.ino(), file.metadata().await?.ino());
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// As `fcntl(2)` (EMFILE when out of file descriptors).
    pub fn try_clone(&self) -> io::Result<File> {
        Ok(File::from_fd(self.as_fd().try_clone_to_owned()?))
    }

    /// The file as a `std::fs::File` (for another thread, or a blocking API). While an
    /// operation on it is still in flight (one dropped before it completed, say) the fd is
    /// not this handle's alone, and the file comes back as `Err`; `try_clone` then gives
    /// an independent fd.
    ///
    /// ```
    /// use std::io::Read;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-intostd-{}", std::process::id()));
    /// std::fs::write(&path, b"plain")?;
    /// let mut std_file = ringaio::block_on(async {
    ///     let file = ringaio::fs::File::open(&path).await?;
    ///     file.into_std().map_err(|_| std::io::Error::other("busy"))
    /// })?;
    /// let mut text = String::new();
    /// std_file.read_to_string(&mut text)?;
    /// assert_eq!(text, "plain");
    /// std::fs::remove_file(&path)
    /// # }
    /// ```
    ///
    /// # Errors
    /// The `File` itself, when requests still use its fd.
    pub fn into_std(self) -> Result<std::fs::File, File> {
        self.try_into_fd().map(std::fs::File::from)
    }

    /// Sets the file's permission bits (`fchmod`, off the runtime thread).
    ///
    /// ```
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-fchmod-{}", std::process::id()));
    /// ringaio::block_on(async {
    ///     let file = ringaio::fs::File::create(&path).await?;
    ///     file.set_permissions(std::fs::Permissions::from_mode(0o640)).await?;
    ///     assert_eq!(file.metadata().await?.permissions().mode(), 0o640);
    ///     ringaio::fs::remove_file(&path).await
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// As `fchmod(2)` (EPERM when not the owner); `dup`'s errors.
    pub async fn set_permissions(&self, perm: std::fs::Permissions) -> io::Result<()> {
        let file = std::fs::File::from(self.as_fd().try_clone_to_owned()?);
        unblock(move || file.set_permissions(perm)).await
    }

    /// Sets the file's access and modification times (`futimens`, off the runtime thread);
    /// times left unset in `times` stay as they are.
    ///
    /// ```
    /// use std::fs::FileTimes;
    /// use std::time::{Duration, SystemTime};
    ///
    /// # fn main() -> std::io::Result<()> {
    /// let path = std::env::temp_dir().join(format!("ringaio-doc-times-{}", std::process::id()));
    /// ringaio::block_on(async {
    ///     let file = ringaio::fs::File::create(&path).await?;
    ///     let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    ///     file.set_times(FileTimes::new().set_modified(then)).await?;
    ///     assert_eq!(file.metadata().await?.modified(), then);
    ///     ringaio::fs::remove_file(&path).await
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// As `futimens(2)` (EPERM when not the owner); `dup`'s errors.
    pub async fn set_times(&self, times: std::fs::FileTimes) -> io::Result<()> {
        let file = std::fs::File::from(self.as_fd().try_clone_to_owned()?);
        unblock(move || file.set_times(times)).await
    }
}
