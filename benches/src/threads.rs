//! `--threads N`: one engine run on N threads at once, thread-per-core style. Each thread
//! builds an engine of its own (its own ring, runtime or executor: the way ringaio, glommio
//! and monoio each run on many cores) with its share of the queue depth and of the file's
//! blocks (or of the small files: `FileSet::part`), and all of them run every round side by
//! side; the round's result is their sum over the longest thread's time.

use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::engines::{self, Engine, EngineKind, RoundResult};
use crate::workload::Workload;

/// `kind` on `n` threads (`n` of at least 2; `w.iodepth` at least `n`).
pub(crate) struct Threaded {
    name: String,
    workers: Vec<Worker>,
}

/// One thread, its engine built there (engines need not be `Send`).
struct Worker {
    run: Option<Sender<Duration>>,
    done: Receiver<io::Result<RoundResult>>,
    thread: Option<JoinHandle<()>>,
}

/// Thread `i` of `n`'s part of `w`: its share of the queue depth (the first threads take
/// the remainder) and the `i`-th slice of the file's blocks, or of the small files (a run
/// of the set no other thread opens, creates or removes; `n` at most their number).
pub(crate) fn share(w: &Workload, i: usize, n: usize) -> Workload {
    let iodepth = w.iodepth / n + usize::from(i < w.iodepth % n);
    let blocks = (w.blocks() / n as u64).max(1);
    let bytes = blocks * w.bs as u64;
    let mut part = Workload::new(
        w.path.clone(),
        w.rw,
        w.bs,
        iodepth.max(1),
        w.direct,
        w.fixed,
        bytes,
    );
    part.base = if w.blocks() >= n as u64 {
        i as u64 * bytes
    } else {
        0
    };
    part.files = w.files.as_ref().map(|set| Arc::new(set.part(i, n)));
    part
}

impl Threaded {
    /// Starts `n` threads, each building `kind`'s engine for its share of `w`.
    pub(crate) fn new(kind: EngineKind, w: &Workload, n: usize) -> Result<Threaded, String> {
        let mut workers = Vec::with_capacity(n);
        let mut name = None;
        for i in 0..n {
            let part = share(w, i, n);
            let (run_tx, run_rx) = mpsc::channel::<Duration>();
            let (done_tx, done_rx) = mpsc::channel();
            let (ready_tx, ready_rx) = mpsc::channel::<Result<String, String>>();
            let thread = thread::Builder::new()
                .name(format!("bench-{i}"))
                .spawn(move || {
                    let mut engine = match engines::create(kind, &part) {
                        Ok(engine) => engine,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(engine.name().to_owned()));
                    for d in run_rx {
                        part.rewind();
                        if done_tx.send(engine.run(&part, d)).is_err() {
                            return;
                        }
                    }
                })
                .map_err(|e| format!("starting thread {i}: {e}"))?;
            let built = ready_rx
                .recv()
                .unwrap_or_else(|_| Err(format!("thread {i} died building its engine")));
            workers.push(Worker {
                run: Some(run_tx),
                done: done_rx,
                thread: Some(thread),
            });
            // On error, `workers` drops here and the threads started so far end.
            name.get_or_insert(built?);
        }
        let name = format!("{} x{n}", name.unwrap_or_default());
        Ok(Threaded { name, workers })
    }
}

impl Engine for Threaded {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&mut self, _w: &Workload, d: Duration) -> io::Result<RoundResult> {
        for worker in &self.workers {
            let run = worker.run.as_ref().ok_or_else(gone)?;
            run.send(d).map_err(|_| gone())?;
        }
        let mut total = RoundResult::new();
        let mut elapsed = Duration::ZERO;
        for worker in &self.workers {
            let r = worker.done.recv().map_err(|_| gone())??;
            elapsed = elapsed.max(r.elapsed);
            total.merge(&r);
        }
        total.elapsed = elapsed;
        // A thread's own CPU figure (the file-set engines take one) is the whole process's
        // over its passes, the other threads' included: the sum would count them twice.
        // Zero makes the caller measure the process over the round (`openwrite`'s untimed
        // emptying of the directory included).
        total.cpu = Duration::ZERO;
        Ok(total)
    }
}

fn gone() -> io::Error {
    io::Error::other("a benchmark thread died")
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Ends the thread's command loop, then waits for it.
        drop(self.run.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileSet;
    use crate::workload::Rw;
    use std::path::PathBuf;

    fn workload(iodepth: usize, size: u64) -> Workload {
        Workload::new(
            "/nonexistent".into(),
            Rw::RandRead,
            4096,
            iodepth,
            false,
            false,
            size,
        )
    }

    #[test]
    fn shares_split_depth_and_blocks() {
        let w = workload(33, 1 << 30);
        let parts: Vec<_> = (0..2).map(|i| share(&w, i, 2)).collect();
        assert_eq!(parts[0].iodepth + parts[1].iodepth, 33);
        assert_eq!(parts[0].size, 1 << 29);
        assert_eq!((parts[0].base, parts[1].base), (0, 1 << 29));
        // Every offset of thread 1 lies in its half.
        let mut offsets = parts[1].offsets(0);
        for _ in 0..1000 {
            let off = offsets.next_offset();
            assert!((1 << 29..1 << 30).contains(&off), "{off}");
        }
    }

    #[test]
    fn a_file_smaller_than_the_threads_is_shared_whole() {
        let w = workload(4, 4096);
        let part = share(&w, 1, 2);
        assert_eq!((part.base, part.size), (0, 4096));
    }

    #[test]
    fn uring_on_two_threads_runs_nops() {
        let w = Workload::new("/nonexistent".into(), Rw::Nop, 4096, 8, false, false, 4096);
        let mut t = Threaded::new(EngineKind::Uring, &w, 2).expect("two uring threads");
        assert_eq!(t.name(), "uring x2");
        let r = t.run(&w, Duration::from_millis(20)).expect("round");
        assert!(r.ops > 0);
    }

    /// A set of `count` small files for `rw` in a fresh temp directory, as `main` makes it.
    fn files_workload(rw: Rw, count: usize, dirs: usize, tag: &str) -> (Workload, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "ringaio-bench-threads-{tag}-{}",
            std::process::id()
        ));
        let set = FileSet::prepare(&dir, count, dirs, rw == Rw::OpenWrite, true).unwrap();
        let mut w = Workload::new("/nonexistent".into(), rw, 4096, 8, false, false, 4096);
        w.files = Some(Arc::new(set));
        (w, dir)
    }

    #[test]
    fn shares_split_the_file_set() {
        let (w, dir) = files_workload(Rw::OpenWrite, 99, 1, "share");
        let set = w.files.as_ref().unwrap();
        let parts: Vec<_> = (0..2).map(|i| share(&w, i, 2)).collect();
        assert_eq!((parts[0].iodepth, parts[1].iodepth), (4, 4));
        let (a, b) = (
            parts[0].files.as_ref().unwrap(),
            parts[1].files.as_ref().unwrap(),
        );
        assert_eq!((a.len(), b.len()), (50, 49));
        assert!(a.paths.iter().all(|p| !b.paths.contains(p)));
        assert_eq!(a.total_bytes() + b.total_bytes(), set.total_bytes());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Each engine on two threads goes through the whole set in a pass: every file once,
    /// every byte (`FileSet::check` on each thread's part), and for writes each file ends
    /// up holding its own contents.
    #[test]
    fn file_engines_on_two_threads_do_the_whole_set() {
        for rw in [Rw::OpenRead, Rw::OpenWrite] {
            for dirs in [1, 2] {
                let tag = format!("{rw}-{dirs}");
                let (w, dir) = files_workload(rw, 41, dirs, &tag);
                let set = Arc::clone(w.files.as_ref().unwrap());
                let mut kinds = vec![EngineKind::Std, EngineKind::Uring];
                if cfg!(feature = "ringaio-engine") {
                    kinds.push(EngineKind::Ringaio);
                }
                for kind in kinds {
                    let mut t = match Threaded::new(kind, &w, 2) {
                        Ok(t) => t,
                        Err(e) if kind != EngineKind::Std => {
                            eprintln!("skipping {kind:?} on {rw}: {e}");
                            continue;
                        }
                        Err(e) => panic!("{e}"),
                    };
                    // A zero-length round is one pass on each thread.
                    let r = t.run(&w, Duration::ZERO).expect("round");
                    assert_eq!(r.ops, 41, "{kind:?} {rw}");
                    assert_eq!(r.bytes, set.total_bytes(), "{kind:?} {rw}");
                    for (i, path) in set.paths.iter().enumerate() {
                        assert_eq!(std::fs::read(path).unwrap(), set.contents(i), "{kind:?}");
                    }
                }
                std::fs::remove_dir_all(&dir).unwrap();
            }
        }
    }
}
