//! Buffers the kernel may own while an operation is in flight.
//!
//! Operations take buffers by value and give them back with the result, on every path
//! ([`BufResult`]), so no borrow can end while the kernel still uses the memory.
//!
//! The rules, in three lines:
//! - a write sends the buffer's initialized bytes ([`IoBuf::bytes_init`], a `Vec`'s length);
//! - a read fills from the buffer's start, up to [`IoBuf::bytes_total`] (a `Vec`'s capacity),
//!   and leaves the buffer's length at exactly what it read (a read into no room at all is
//!   an `InvalidInput` error, never an `Ok(0)` that looks like the end of the file);
//! - to read or write another part, pass [`IoBuf::slice`] / [`IoBufMut::slice_mut`].

mod aligned;
#[cfg(feature = "bytes")]
mod bytes;
mod fixed;
mod io_buf;
mod pooled;
mod slice;

pub(crate) use aligned::on_registered_slot;
pub use aligned::AlignedBuf;
pub use fixed::{FixedBuf, FixedBufPool, MAX_FIXED_BUFFERS};
pub use io_buf::{IoBuf, IoBufMut};
pub use slice::Slice;

/// What an operation that takes a buffer gives: its result, and the buffer back.
///
/// ```
/// use ringaio::BufResult;
/// use ringaio::fs::File;
///
/// async fn read_head(file: &File) -> BufResult<usize, Vec<u8>> {
///     file.read_at(Vec::with_capacity(16), 0).await
/// }
///
/// # fn main() -> std::io::Result<()> {
/// let path = std::env::temp_dir().join(format!("ringaio-doc-bufresult-{}", std::process::id()));
/// std::fs::write(&path, b"head")?;
/// let (n, buf) = ringaio::block_on(async {
///     let file = File::open(&path).await?;
///     Ok::<_, std::io::Error>(read_head(&file).await)
/// })?;
/// assert_eq!((n?, &buf[..]), (4, &b"head"[..]));
/// std::fs::remove_file(&path)
/// # }
/// ```
pub type BufResult<T, B> = (std::io::Result<T>, B);

/// The error for a read into a buffer with no room: an `Ok(0)` would read as the end of the
/// file.
#[cold]
pub(crate) fn no_room() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "read into a buffer with no room (bytes_total is 0): give it capacity",
    )
}
pub(crate) use pooled::HeapPool;
pub use pooled::PooledBuf;
