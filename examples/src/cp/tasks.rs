//! Files in flight: each file is its own task; at most `--jobs` run at once.

use std::rc::Rc;

use futures::stream::{FuturesUnordered, StreamExt};
use ringaio::JoinHandle;

use crate::copy_file::{copy_file, FileJob};
use crate::ctx::Ctx;
use crate::errors::Failure;

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

    /// Starts copying `job` once fewer than `--jobs` copies run. Its failure is reported
    /// by the task itself.
    pub(crate) async fn spawn(&mut self, job: FileJob) {
        while self.running.len() >= self.ctx.opts.jobs {
            self.reap_one().await;
        }
        let ctx = self.ctx.clone();
        self.running.push(ringaio::spawn(async move {
            if let Err(failure) = copy_file(&ctx, &job).await {
                ctx.error(&failure);
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
