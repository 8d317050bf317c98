//! ringaio: an io_uring-backed async I/O runtime for file-heavy work.
//! Files (`fs`), sockets (`net`: TCP, UDP, Unix, with multishot accept and receive streams)
//! and timers (`time`).
//!
//! One runtime per thread drives one ring; its tasks run on that thread, so they need not be
//! `Send`. Operations take their buffers by value and give them back with the result; an
//! operation is submitted when its future is first polled (one never polled does no I/O), and
//! a request's memory lives until the kernel's completion, whatever happens to the future
//! that made it. Where io_uring is missing (an old kernel, an opcode
//! the probe lacks, a seccomp profile, `kernel.io_uring_disabled`) the same API runs on a
//! small thread pool.
//!
//! ```
//! use ringaio::fs::File;
//! use ringaio::{aio_fsync, aio_read, aio_write};
//!
//! # fn main() -> std::io::Result<()> {
//! let path = std::env::temp_dir().join(format!("ringaio-doc-{}", std::process::id()));
//! ringaio::block_on(async {
//!     let file = File::options().read(true).write(true).create(true).truncate(true)
//!         .open(&path).await?;
//!     let (n, _buf) = aio_write(&file, b"hello, ring".to_vec(), 0).await;
//!     assert_eq!(n?, 11);
//!     aio_fsync(&file, false).await?;
//!     let (n, buf) = aio_read(&file, Vec::with_capacity(64), 0).await;
//!     assert_eq!(n?, 11);
//!     assert_eq!(&buf[..], b"hello, ring");
//!     file.close().await
//! })?;
//! std::fs::remove_file(&path)?;
//! # Ok(())
//! # }
//! ```
#![doc(test(attr(deny(warnings))))]

mod aio;
mod blocking;
pub mod buf;
mod context;
mod executor;
mod fd;
pub mod fs;
mod handle;
pub mod io;
mod join;
pub mod link;
mod multi;
pub mod net;
mod op;
#[cfg(feature = "trace-ops")]
mod op_trace;
mod ops;
mod park;
mod pool;
mod reuse;
mod runtime;
mod schedule;
mod task;
pub mod time;
mod timed;
mod unblock;

pub use aio::{aio_fsync, aio_read, aio_write, nop};
pub use blocking::spawn_blocking;
pub use buf::BufResult;
pub use handle::Handle;
pub use join::{JoinError, JoinHandle};
pub use pool::{Pool, PoolBuilder};
pub use ringaio_core::Opcode;
pub use ringaio_reactor::{Backend, Stats};
pub use runtime::{block_on, spawn, Builder, Runtime};

/// Runs `async fn main` on a new runtime; options as [`Builder`]'s (`entries = 64`,
/// `backend = "fallback"`, `pool_threads`, `fixed_files`, `fixed_buffers`).
///
/// ```
/// #[ringaio::main(entries = 64)]
/// async fn main() -> std::io::Result<()> {
///     let path = std::env::temp_dir().join(format!("ringaio-doc-main-{}", std::process::id()));
///     let file = ringaio::fs::File::create(&path).await?;
///     let (n, _) = file.write_at(b"hi".to_vec(), 0).await;
///     assert_eq!(n?, 2);
///     ringaio::fs::remove_file(&path).await
/// }
/// ```
///
/// An unknown option, or a value of the wrong kind, is a compile error:
///
/// ```compile_fail
/// #[ringaio::main(threads = 4)]
/// async fn main() {}
/// ```
///
/// # Panics
/// When the runtime cannot be built, as [`block_on`].
#[cfg(feature = "macros")]
pub use ringaio_macros::main;

/// Runs an `async fn` test on a new runtime: a `#[test]` of its own. Options as for
/// [`macro@main`]; without `backend`, `RINGAIO_BACKEND` picks it, so one test runs on either.
///
/// ```
/// #[ringaio::test(backend = "fallback")]
/// async fn sleeps() {
///     ringaio::time::sleep(std::time::Duration::from_millis(1)).await.unwrap();
/// }
/// # fn main() {}
/// ```
///
/// # Panics
/// When the runtime cannot be built.
#[cfg(feature = "macros")]
pub use ringaio_macros::test;
