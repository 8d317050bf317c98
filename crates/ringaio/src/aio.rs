//! The Linux AIO names for the three file operations of the original design
//! (`aio_read`, `aio_write`, `aio_fsync`), as awaitable operations.

use std::future::Future;
use std::io;

use crate::buf::{IoBuf, IoBufMut};
use crate::fs::File;

/// Reads up to `buf.bytes_total()` bytes of `file` at `pos`; see [`File::read_at`].
///
/// # Errors
/// As [`File::read_at`]; the buffer comes back either way.
pub fn aio_read<B: IoBufMut>(
    file: &File,
    buf: B,
    pos: u64,
) -> impl Future<Output = (io::Result<usize>, B)> {
    file.read_at(buf, pos)
}

/// Writes up to `buf.bytes_init()` bytes to `file` at `pos`; see [`File::write_at`].
///
/// # Errors
/// As [`File::write_at`]; the buffer comes back either way.
pub fn aio_write<B: IoBuf>(
    file: &File,
    buf: B,
    pos: u64,
) -> impl Future<Output = (io::Result<usize>, B)> {
    file.write_at(buf, pos)
}

/// Flushes `file` to its device: data only if `datasync`, else data and metadata.
///
/// # Errors
/// As `fsync(2)` / `fdatasync(2)`.
pub async fn aio_fsync(file: &File, datasync: bool) -> io::Result<()> {
    if datasync {
        file.sync_data().await
    } else {
        file.sync_all().await
    }
}

/// A request that does nothing, through the whole stack: the runtime's own per-operation
/// cost, for benchmarks. The future is `Unpin`, so many can be polled from a plain `Vec`.
///
/// # Errors
/// An error when no runtime runs on this thread.
#[inline]
pub fn nop() -> impl Future<Output = io::Result<()>> + Unpin {
    crate::op::Op::new(crate::ops::Nop)
}
