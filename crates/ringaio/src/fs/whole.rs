//! Whole-file helpers: `read`, `write`, `copy`.

use std::io;
use std::path::Path;

use crate::buf::IoBufMut;
use crate::fs::File;
use crate::unblock::unblock;

/// Most bytes one read of [`read`] asks for beyond what the file's size suggests.
const READ_CHUNK: usize = 64 * 1024;

/// The whole contents of the file at `path`: its size from `statx`, then reads until the end
/// (so a file that grows meanwhile is read to its new end).
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-fs-read-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::write(&path, b"whole file").await?;
///     assert_eq!(ringaio::fs::read(&path).await?, b"whole file");
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
///
/// # Errors
/// As [`File::open`], [`File::metadata`] and [`File::read_at`]; `OutOfMemory` when the file
/// is larger than memory can hold.
pub async fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let file = File::open(path).await?;
    let size = file.metadata().await?.len();
    let mut buf = Vec::new();
    // The size is a hint (it may change): one byte more, so the end shows in the first read.
    let hint = usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    buf.try_reserve_exact(hint)
        .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
    loop {
        if buf.len() == buf.capacity() {
            buf.try_reserve(READ_CHUNK)
                .map_err(|e| io::Error::new(io::ErrorKind::OutOfMemory, e))?;
        }
        let at = buf.len();
        let (res, slice) = file.read_at(buf.slice_mut(at..), at as u64).await;
        buf = slice.into_inner();
        match res {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    file.close().await?;
    Ok(buf)
}

/// Creates (or truncates) the file at `path` and writes `contents` to it.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-fs-write-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::write(&path, "text").await?;
///     assert_eq!(std::fs::read(&path)?, b"text");
///     ringaio::fs::remove_file(&path).await
/// })
/// # }
/// ```
///
/// # Errors
/// As [`File::create`] and [`File::write_all_at`].
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    // The bytes are copied into a buffer the kernel may own while the write is in flight.
    let contents = contents.as_ref().to_vec();
    let file = File::create(path).await?;
    let (res, _) = file.write_all_at(contents, 0).await;
    res?;
    file.close().await
}

/// Copies the contents and permission bits of the file `from` to `to` (created or
/// truncated), off the runtime thread (`std::fs::copy`, which lets the kernel copy with
/// `copy_file_range` where it can); returns the bytes copied.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("ringaio-doc-cp-a-{}", std::process::id())),
///               dir.join(format!("ringaio-doc-cp-b-{}", std::process::id())));
/// ringaio::block_on(async {
///     ringaio::fs::write(&a, b"copy me").await?;
///     assert_eq!(ringaio::fs::copy(&a, &b).await?, 7);
///     assert_eq!(ringaio::fs::read(&b).await?, b"copy me");
///     ringaio::fs::remove_file(&a).await?;
///     ringaio::fs::remove_file(&b).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `std::fs::copy` (NotFound, PermissionDenied, `InvalidInput` when `from` is not a
/// regular file).
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    unblock(move || std::fs::copy(from, to)).await
}
