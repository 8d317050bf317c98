//! Copies in flight: each file is its own task; at most `--jobs` run at once.

use std::fs;
use std::path::PathBuf;
use std::rc::Rc;

use futures::stream::{FuturesUnordered, StreamExt};
use ringaio::JoinHandle;

use crate::blocking;
use crate::copy_file::{copy_file, dir_of, Copied, FileJob};
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

/// The copy tasks running, bounded.
#[derive(Debug)]
pub(crate) struct Tasks {
    ctx: Rc<Ctx>,
    running: FuturesUnordered<JoinHandle<()>>,
}

impl Tasks {
    pub(crate) fn new(ctx: Rc<Ctx>) -> Tasks {
        Tasks {
            ctx,
            running: FuturesUnordered::new(),
        }
    }

    /// Starts `work` once fewer than `--jobs` copies run. Its failure is reported by the
    /// task itself.
    pub(crate) async fn spawn(&mut self, work: Work) {
        while self.running.len() >= self.ctx.opts.jobs {
            self.reap_one().await;
        }
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
            match done {
                Ok(Copied::Done) => {
                    ctx.progress.file_done();
                    ctx.say(&format!("{src} -> {}", quote(&dst)));
                    if ctx.opts.sync {
                        ctx.dirs_to_sync.borrow_mut().insert(dir_of(&dst));
                    }
                }
                Ok(Copied::Skipped) => {}
                Err(failure) => ctx.error(&failure),
            }
        }));
    }

    /// Waits for every copy started.
    pub(crate) async fn wait_all(&mut self) {
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
