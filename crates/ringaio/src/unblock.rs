//! The one way the file system helpers leave the runtime thread: calls io_uring has no opcode
//! for (`readdir`, `readlink`, `realpath`, whole-file copies, recursive removal, `fchmod`,
//! `futimens`) run on the runtime's blocking pool ([`spawn_blocking`](crate::spawn_blocking)).

use std::io;

use crate::context;

/// Runs `f` on the runtime's blocking pool and gives its result; the runtime's thread keeps
/// running other tasks meanwhile. Dropping the future lets `f` finish unobserved.
///
/// # Errors
/// `f`'s error; an error when no runtime runs on this thread (where `spawn_blocking` would
/// panic) or `f` panicked.
pub(crate) async fn unblock<T, F>(f: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    context::with_current(|_| ())?;
    match crate::spawn_blocking(f).await {
        Ok(res) => res,
        Err(e) => Err(io::Error::other(format!(
            "ringaio: a blocking file system call did not finish: {e}"
        ))),
    }
}
