//! Blocking calls off the runtime's thread: every `open` of a FIFO, `copy_file_range` of a
//! small file, `ioctl(FICLONE)`, `lseek(SEEK_DATA)`, `fchmod`, `fchown`, `futimens`,
//! `getdents` and `mknod` the tool makes goes through [`run`], so the runtime's thread only
//! waits in `io_uring_enter`. [`run`] hands them to `ringaio::spawn_blocking` (the runtime's
//! pool, on its lane for closures, so a FIFO waiting for its other end never holds up file
//! I/O).

use std::future::Future;
use std::io;

/// Starts `f` on the runtime's blocking pool at once; the future waits for its result
/// without blocking the runtime.
///
/// # Errors
/// `f` panicked, or the runtime shut down before it ran (an `Other` error saying which).
pub(crate) fn run<T, F>(f: F) -> impl Future<Output = io::Result<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let handle = ringaio::spawn_blocking(f);
    async move {
        handle
            .await
            .map_err(|e| io::Error::other(format!("a blocking call failed: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_to_the_runtime() {
        let sum = ringaio::block_on(async {
            let jobs = (0..100u64).map(|i| run(move || i * 2));
            futures::future::try_join_all(jobs).await
        });
        assert_eq!(sum.expect("jobs").iter().sum::<u64>(), 9900);
    }

    #[test]
    fn a_blocked_job_does_not_hold_up_the_others() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        ringaio::block_on(async {
            let stuck = run(move || rx.recv().is_ok());
            let quick = run(|| 7).await.expect("quick job");
            assert_eq!(quick, 7);
            tx.send(()).expect("send");
            assert!(stuck.await.expect("stuck job"));
        });
    }
}
