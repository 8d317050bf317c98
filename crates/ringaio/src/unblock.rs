//! The one way blocking work leaves the runtime thread: calls io_uring has no opcode for
//! (`readdir`, `readlink`, `realpath`, `copy_file_range` loops, recursive removal).

use std::io;

use futures::channel::oneshot;

/// Runs `f` on a thread of its own and gives its result; the runtime's thread keeps running
/// other tasks meanwhile. Dropping the future lets `f` finish unobserved.
///
/// The one place to switch to the runtime's `spawn_blocking` pool once it lands.
///
/// # Errors
/// `f`'s error; an error when no thread can be started or `f` panicked.
pub(crate) async fn unblock<T, F>(f: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("ringaio-unblock".to_owned())
        .spawn(move || {
            // The receiver may be gone (the caller dropped the future): nothing to tell.
            let _ = tx.send(f());
        })?;
    rx.await
        .map_err(|_| io::Error::other("ringaio: a blocking file system call panicked"))?
}
