//! `Pool`: one runtime per thread, each with its own ring (thread-per-core: no work
//! stealing, no lock on the I/O path), and the threads' start and shutdown.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::io;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use futures::channel::oneshot;

use crate::{Builder, Handle, JoinHandle, Runtime};

/// Which thread [`Pool::spawn`] picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnPolicy {
    /// The next thread in turn: no look at the threads, even spread of spawns (tasks that
    /// live long on one thread do not steer new ones away from it).
    #[default]
    RoundRobin,
    /// The thread with the fewest tasks ([`Handle::tasks`]: live ones and spawns waiting to
    /// start), ties going round robin: reads every thread's count on each spawn, and
    /// steers work away from threads that hold many long-lived tasks.
    LeastLoaded,
}

/// Configures a [`Pool`].
#[derive(Clone, Debug)]
pub struct PoolBuilder {
    threads: Option<usize>,
    pin_cores: bool,
    policy: SpawnPolicy,
    runtime: Builder,
}

impl PoolBuilder {
    /// Runtime threads. Default: [`std::thread::available_parallelism`] (1 if unknown).
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = Some(threads);
        self
    }

    /// Pins thread `i` to the `i`-th CPU this process may run on (wrapping around). Default
    /// false. A thread that cannot be pinned logs a warning and runs unpinned.
    pub fn pin_cores(&mut self, pin: bool) -> &mut Self {
        self.pin_cores = pin;
        self
    }

    /// How [`Pool::spawn`] picks a thread. Default [`SpawnPolicy::RoundRobin`].
    pub fn spawn_policy(&mut self, policy: SpawnPolicy) -> &mut Self {
        self.policy = policy;
        self
    }

    /// The settings of every thread's runtime. Default: [`Runtime::builder`]'s.
    pub fn runtime(&mut self, builder: Builder) -> &mut Self {
        self.runtime = builder;
        self
    }

    /// Starts the threads, each with its runtime built (and its ring set up) before this
    /// returns.
    ///
    /// # Errors
    /// `InvalidInput` for 0 threads; a thread that cannot be started; the first runtime
    /// that cannot be built (as [`Builder::build`]). The threads started already are shut
    /// down first.
    pub fn build(&self) -> io::Result<Pool> {
        let threads = match self.threads {
            Some(n) => n,
            None => thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if threads == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a ringaio pool needs at least one thread",
            ));
        }
        let cpus = if self.pin_cores {
            allowed_cpus()
        } else {
            Vec::new()
        };
        let mut pool = Pool {
            workers: Vec::with_capacity(threads),
            next: AtomicUsize::new(0),
            policy: self.policy,
        };
        for i in 0..threads {
            let cpu = (!cpus.is_empty()).then(|| cpus[i % cpus.len()]);
            // On error `pool` drops here, shutting down the threads started so far.
            pool.workers.push(Worker::start(i, cpu, &self.runtime)?);
        }
        Ok(pool)
    }
}

/// Runtime threads, each running its own [`Runtime`] (its own ring) until the pool is shut
/// down. Tasks are spawned onto a thread with a `Send` closure that builds the future
/// there, so the futures need not be `Send`; each stays on its thread.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let pool = ringaio::Pool::builder().threads(2).build()?;
/// let task = pool.spawn_on(1, || async { std::thread::current().name().map(String::from) });
/// let name = futures::executor::block_on(task).expect("task");
/// assert_eq!(name.as_deref(), Some("ringaio-rt-1"));
/// pool.shutdown()
/// # }
/// ```
///
/// Dropping the pool shuts it down as [`shutdown`](Pool::shutdown) does, logging a thread's
/// panic instead of returning it.
pub struct Pool {
    workers: Vec<Worker>,
    /// The next thread `spawn` picks (round robin), or starts looking at.
    next: AtomicUsize,
    policy: SpawnPolicy,
}

/// One runtime thread.
struct Worker {
    name: String,
    handle: Handle,
    /// Dropped to stop the thread's runtime.
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A builder with the defaults.
    pub fn builder() -> PoolBuilder {
        PoolBuilder {
            threads: None,
            pin_cores: false,
            policy: SpawnPolicy::RoundRobin,
            runtime: Runtime::builder(),
        }
    }

    /// How many runtime threads the pool has.
    pub fn threads(&self) -> usize {
        self.workers.len()
    }

    /// The handle of thread `i`'s runtime, if there is such a thread.
    pub fn handle(&self, i: usize) -> Option<&Handle> {
        self.workers.get(i).map(|w| &w.handle)
    }

    /// Spawns the future `make` builds on thread `i` (see [`Handle::spawn`]).
    ///
    /// # Panics
    /// When `i` is not below [`threads`](Pool::threads).
    pub fn spawn_on<M, F>(&self, i: usize, make: M) -> JoinHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        match self.workers.get(i) {
            Some(worker) => worker.handle.spawn(make),
            None => panic!(
                "ringaio::Pool::spawn_on: thread {i} of a pool of {}",
                self.workers.len()
            ),
        }
    }

    /// Spawns the future `make` builds on the thread the pool's [`SpawnPolicy`] picks (see
    /// [`Handle::spawn`]): the next in turn, or the least loaded.
    pub fn spawn<M, F>(&self, make: M) -> JoinHandle<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        self.workers[self.pick()].handle.spawn(make)
    }

    /// The thread the next `spawn` goes to.
    fn pick(&self) -> usize {
        let n = self.workers.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        match self.policy {
            SpawnPolicy::RoundRobin => start,
            SpawnPolicy::LeastLoaded => (0..n)
                .map(|k| (start + k) % n)
                .min_by_key(|&i| self.workers[i].handle.tasks())
                .unwrap_or(start),
        }
    }

    /// Stops every runtime and joins its thread. Each runtime, once its thread sees the
    /// stop, drops its tasks (their handles report [`JoinError::Cancelled`](crate::JoinError))
    /// and waits for the kernel to finish its requests, as dropping a [`Runtime`] does;
    /// spawns after that report `Cancelled` too.
    ///
    /// # Errors
    /// When a runtime thread died of a panic (a task's panic stays in its handle and does not
    /// kill the thread): the error names every such thread and its panic message. All the
    /// threads are joined either way, except the caller's own when a pool task shuts its
    /// pool down (that thread stops once the task returns).
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> io::Result<()> {
        // Signal every thread first, so they shut down side by side, then join them.
        for worker in &mut self.workers {
            drop(worker.stop.take());
        }
        let mut died = Vec::new();
        for worker in &mut self.workers {
            if let Some(thread) = worker.thread.take() {
                if thread.thread().id() == thread::current().id() {
                    // Shut down from one of its own tasks: this thread stops once the task
                    // returns; joining itself would deadlock.
                    tracing::warn!(
                        "{}: pool shut down from its own thread; not joined",
                        worker.name
                    );
                    continue;
                }
                if let Err(panic) = thread.join() {
                    died.push(format!(
                        "{} panicked: {}",
                        worker.name,
                        panic_message(&*panic)
                    ));
                }
            }
        }
        if died.is_empty() {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "ringaio pool: {}",
                died.join("; ")
            )))
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            tracing::error!("{e}");
        }
    }
}

impl Worker {
    /// Starts runtime thread `i`, pinned to `cpu` if given, and waits for its runtime.
    fn start(i: usize, cpu: Option<usize>, runtime: &Builder) -> io::Result<Worker> {
        let name = format!("ringaio-rt-{i}");
        let runtime = runtime.clone();
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = thread::Builder::new().name(name.clone()).spawn(move || {
            if let Some(cpu) = cpu {
                pin_to(cpu);
            }
            let rt = match runtime.build() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(rt.handle()));
            let run = catch_unwind(AssertUnwindSafe(move || {
                rt.block_on(async move {
                    // Resolves when the pool drops the sender.
                    let _ = stop_rx.await;
                });
                drop(rt);
            }));
            if let Err(panic) = run {
                let name = thread::current().name().unwrap_or("ringaio-rt").to_owned();
                tracing::error!(
                    "{name}: runtime thread panicked: {}",
                    panic_message(&*panic)
                );
                resume_unwind(panic);
            }
        })?;
        let handle = match ready_rx.recv() {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                // The thread died before it had a runtime.
                let why = match thread.join() {
                    Err(panic) => panic_message(&*panic).to_owned(),
                    Ok(()) => "no reason given".to_owned(),
                };
                return Err(io::Error::other(format!(
                    "{name} died while building its runtime: {why}"
                )));
            }
        };
        Ok(Worker {
            name,
            handle,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }
}

fn panic_message(p: &(dyn Any + Send)) -> &str {
    p.downcast_ref::<&str>()
        .copied()
        .or_else(|| p.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>")
}

/// The CPUs this process may run on, in order; empty (after a warning) if that is unknown.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: `cpu_set_t` is a plain bit array; all zeroes is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live `cpu_set_t` and the size passed is its size.
    let res = unsafe { libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set) };
    if res != 0 {
        tracing::warn!(
            "ringaio pool: cannot read the CPU affinity ({}); threads run unpinned",
            io::Error::last_os_error()
        );
        return Vec::new();
    }
    let bits = 8 * std::mem::size_of_val(&set);
    // SAFETY: `cpu` is below the set's size in bits; `CPU_ISSET` only reads the set.
    (0..bits)
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect()
}

/// Pins the calling thread to `cpu`; a failure is a warning, and the thread runs unpinned.
fn pin_to(cpu: usize) {
    // SAFETY: `cpu_set_t` is a plain bit array; all zeroes is an empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` came from `allowed_cpus`, so it is below the set's size in bits.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    // SAFETY: `set` is a live `cpu_set_t` and the size passed is its size; 0 is this thread.
    let res = unsafe { libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) };
    if res != 0 {
        let name = thread::current().name().unwrap_or("ringaio-rt").to_owned();
        tracing::warn!(
            "{name}: cannot pin to CPU {cpu} ({}); running unpinned",
            io::Error::last_os_error()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{Pool, Worker};
    use std::sync::atomic::AtomicUsize;

    /// A runtime thread that dies of a panic is named, with the panic, by `shutdown`.
    #[test]
    fn a_dead_thread_is_reported() {
        let rt = crate::Runtime::new().expect("runtime");
        let thread = std::thread::Builder::new()
            .name("ringaio-rt-7".to_owned())
            .spawn(|| panic!("boom"))
            .expect("thread");
        let pool = Pool {
            workers: vec![Worker {
                name: "ringaio-rt-7".to_owned(),
                handle: rt.handle(),
                stop: None,
                thread: Some(thread),
            }],
            next: AtomicUsize::new(0),
            policy: super::SpawnPolicy::RoundRobin,
        };
        let err = pool.shutdown().expect_err("the thread panicked");
        let msg = err.to_string();
        assert!(
            msg.contains("ringaio-rt-7") && msg.contains("boom"),
            "{msg}"
        );
    }
}
