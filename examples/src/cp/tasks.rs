//! Copies in flight: at most `--jobs` tasks run at once. A regular file of a tree (or of
//! several operands) joins a batch of up to [`BATCH`] files whose first steps run in one job
//! on the pool, so that a tree of small files costs one hand-off to a pool thread and back
//! per batch, not per file; anything else (a FIFO or device operand, which may block in its
//! `open`; links and nodes made anew) is a task of its own.

use std::fs;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use futures::stream::{FuturesUnordered, StreamExt};
use ringaio::JoinHandle;

use crate::blocking;
use crate::copy_file::{copy_file, copy_files, dir_of, Copied, FileJob};
use crate::ctx::Ctx;
use crate::errors::{quote, Failure};
use crate::special;

/// One thing to copy.
#[derive(Debug)]
pub(crate) enum Work {
    /// A file's contents.
    File(FileJob),
    /// A link, FIFO, device or socket, made anew (`-r`).
    Node {
        src: PathBuf,
        meta: fs::Metadata,
        dst: PathBuf,
        fresh: bool,
    },
}

/// Most regular files in one batch: enough that the hand-off to the pool is a small part of
/// their cost, few enough that a tree of some hundred files still keeps several pool threads
/// (and both ends of the disk) busy.
const BATCH: usize = 16;

/// The copy tasks running, bounded, and the batch being filled.
#[derive(Debug)]
pub(crate) struct Tasks {
    ctx: Rc<Ctx>,
    running: FuturesUnordered<JoinHandle<()>>,
    batch: Vec<FileJob>,
}

impl Tasks {
    pub(crate) fn new(ctx: Rc<Ctx>) -> Tasks {
        Tasks {
            ctx,
            running: FuturesUnordered::new(),
            batch: Vec::new(),
        }
    }

    /// Adds `job`, a regular file (whose `open` does not wait for another process), to the
    /// batch; starts the batch once full.
    pub(crate) async fn spawn_regular(&mut self, job: FileJob) {
        self.batch.push(job);
        if self.batch.len() >= BATCH {
            self.flush().await;
        }
    }

    /// Starts the batch of regular files so far, if any.
    async fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let jobs = std::mem::take(&mut self.batch);
        self.wait_for_room().await;
        let ctx = self.ctx.clone();
        self.running.push(ringaio::spawn(async move {
            // Names for -v and --sync only: the copy itself moves the jobs to the pool.
            let names: Vec<_> = if ctx.opts.verbose || ctx.opts.sync {
                jobs.iter()
                    .map(|j| (quote(&j.src), j.dst.clone()))
                    .collect()
            } else {
                Vec::new()
            };
            match copy_files(&ctx, jobs).await {
                Ok(results) => {
                    for (i, done) in results.into_iter().enumerate() {
                        match names.get(i) {
                            Some((src, dst)) => report(&ctx, done, src, dst),
                            None => report_quietly(&ctx, done),
                        }
                    }
                }
                Err(failure) => ctx.error(&failure),
            }
        }));
    }

    async fn wait_for_room(&mut self) {
        while self.running.len() >= self.ctx.opts.jobs {
            self.reap_one().await;
        }
    }

    /// Starts `work` once fewer than `--jobs` copies run. Its failure is reported by the
    /// task itself.
    pub(crate) async fn spawn(&mut self, work: Work) {
        self.wait_for_room().await;
        let ctx = self.ctx.clone();
        self.running.push(ringaio::spawn(async move {
            let (src, dst) = match &work {
                Work::File(job) => (quote(&job.src), job.dst.clone()),
                Work::Node { src, dst, .. } => (quote(src), dst.clone()),
            };
            let done = match work {
                Work::File(job) => copy_file(&ctx, job).await,
                Work::Node {
                    src,
                    meta,
                    dst,
                    fresh,
                } => {
                    let settings = ctx.settings.clone();
                    blocking::run(move || special::copy_node(&settings, &src, &meta, &dst, fresh))
                        .await
                        .unwrap_or_else(|e| Err(Failure::os("cannot run a blocking call", e)))
                }
            };
            report(&ctx, done, &src, &dst);
        }));
    }

    /// Waits for every copy started, the last batch started first.
    pub(crate) async fn wait_all(&mut self) {
        self.flush().await;
        while !self.running.is_empty() {
            self.reap_one().await;
        }
    }

    async fn reap_one(&mut self) {
        if let Some(Err(e)) = self.running.next().await {
            self.ctx
                .error(&Failure::plain(format!("a copy task failed: {e}")));
        }
    }
}

/// Counts a file done, says so (`-v`), notes its directory for `--sync`, or reports its
/// failure.
fn report(ctx: &Ctx, done: Result<Copied, Failure>, src: &str, dst: &Path) {
    match done {
        Ok(Copied::Done) => {
            ctx.progress.file_done();
            ctx.say(&format!("{src} -> {}", quote(dst)));
            if ctx.opts.sync {
                ctx.dirs_to_sync.borrow_mut().insert(dir_of(dst));
            }
        }
        Ok(Copied::Skipped) => {}
        Err(failure) => ctx.error(&failure),
    }
}

/// [`report`] without `-v` and `--sync`, which need the names.
fn report_quietly(ctx: &Ctx, done: Result<Copied, Failure>) {
    match done {
        Ok(Copied::Done) => ctx.progress.file_done(),
        Ok(Copied::Skipped) => {}
        Err(failure) => ctx.error(&failure),
    }
}
