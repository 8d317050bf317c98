//! Buffers the kernel may own while an operation is in flight.
//!
//! Operations take buffers by value and give them back with the result, on every path
//! (`(io::Result<T>, B)`), so no borrow can end while the kernel still uses the memory.

mod aligned;
mod fixed;
mod io_buf;
mod pooled;

pub(crate) use aligned::on_registered_slot;
pub use aligned::AlignedBuf;
pub use fixed::{FixedBuf, FixedBufPool, MAX_FIXED_BUFFERS};
pub use io_buf::{IoBuf, IoBufMut};
pub(crate) use pooled::HeapPool;
pub use pooled::PooledBuf;
