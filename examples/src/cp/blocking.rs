//! Blocking calls off the runtime's thread: every `open` of a FIFO, `copy_file_range`,
//! `ioctl(FICLONE)`, `lseek(SEEK_DATA)`, `fchmod`, `fchown`, `futimens`, `getdents` and
//! `mknod` the tool makes goes through [`run`], so the runtime's thread only ever waits in
//! `io_uring_enter`.
//!
//! [`run`] is the one place to switch to `ringaio::spawn_blocking` once the runtime has it.
//! Until then it is a small pool of its own: threads are started when every one is busy (a
//! FIFO with no reader at the other end can hold one for as long as the user waits) and stay
//! for the next job.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::sync::{Condvar, LazyLock, Mutex, MutexGuard};
use std::thread;

use futures::channel::oneshot;

/// Most pool threads; later jobs wait for one to be free.
const MAX_THREADS: usize = 64;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    /// Threads waiting for a job.
    idle: usize,
    /// Threads started.
    threads: usize,
}

struct Pool {
    queue: Mutex<Queue>,
    ready: Condvar,
}

static POOL: LazyLock<Pool> = LazyLock::new(|| Pool {
    queue: Mutex::default(),
    ready: Condvar::new(),
});

fn queue() -> MutexGuard<'static, Queue> {
    // Jobs run outside the lock, so a panicking job cannot leave the queue half-changed.
    POOL.queue.lock().unwrap_or_else(|e| e.into_inner())
}

/// Starts `f` on a pool thread at once; the future waits for its result without blocking
/// the runtime.
///
/// # Errors
/// A thread could not be started, or `f` panicked (reported as an `Other` error).
pub(crate) fn run<T, F>(f: F) -> impl Future<Output = io::Result<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (tx, rx) = oneshot::channel();
    let submitted = submit(Box::new(move || {
        let _ = tx.send(f());
    }));
    async move {
        submitted?;
        rx.await
            .map_err(|_| io::Error::other("a blocking job panicked"))
    }
}

fn submit(job: Job) -> io::Result<()> {
    let mut queue = queue();
    queue.jobs.push_back(job);
    if queue.idle > queue.jobs.len() - 1 {
        drop(queue);
        POOL.ready.notify_one();
        return Ok(());
    }
    if queue.threads >= MAX_THREADS {
        return Ok(());
    }
    queue.threads += 1;
    drop(queue);
    let started = thread::Builder::new()
        .name("ringaio-cp-blocking".into())
        .spawn(worker);
    if let Err(e) = started {
        let mut queue = self::queue();
        queue.threads -= 1;
        if queue.threads == 0 {
            queue.jobs.clear();
            return Err(e);
        }
    }
    Ok(())
}

fn worker() {
    let mut queue = queue();
    loop {
        if let Some(job) = queue.jobs.pop_front() {
            drop(queue);
            // A panic is reported to the waiting future by the dropped sender.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            queue = self::queue();
            continue;
        }
        queue.idle += 1;
        queue = POOL.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
        queue.idle -= 1;
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
