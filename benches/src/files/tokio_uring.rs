//! tokio-uring: `--iodepth` tasks, each taking the next file: `File::open`,
//! `read_at` into its `Vec<u8>` until a short read, `close` (or `File::create`,
//! `write_all_at`, `close`).

use std::io;
use std::rc::Rc;
use std::sync::Arc;

use quanta::Instant;

use tokio_uring::fs::File;

use super::{FileSet, Next, Pass, READ_BUF};
use crate::engines::{Recorder, RoundResult};
use crate::workload::Workload;

/// A tokio-uring runtime, kept across passes.
pub(crate) struct TokioUringFiles {
    rt: tokio_uring::Runtime,
}

impl TokioUringFiles {
    pub(crate) fn new(w: &Workload) -> io::Result<TokioUringFiles> {
        let rt = tokio_uring::Runtime::new(tokio_uring::builder().entries(w.ring_entries()))?;
        Ok(TokioUringFiles { rt })
    }
}

impl Pass for TokioUringFiles {
    fn name(&self) -> &str {
        "tokio-uring"
    }

    fn pass(&mut self, set: &Arc<FileSet>, qd: usize) -> io::Result<RoundResult> {
        self.rt.block_on(async {
            let (rec, next) = (Recorder::new(), Rc::new(Next::default()));
            let start = Instant::now();
            let workers: Vec<_> = (0..qd)
                .map(|_| tokio_uring::spawn(worker(Arc::clone(set), Rc::clone(&next), rec.clone())))
                .collect();
            for worker in workers {
                worker.await.map_err(io::Error::other)??;
            }
            let mut total = rec.take();
            total.elapsed = start.elapsed();
            Ok(total)
        })
    }
}

/// One slot: files one after another until none is left.
async fn worker(set: Arc<FileSet>, next: Rc<Next>, rec: Recorder) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(READ_BUF);
    let mut now = Instant::now();
    while let Some(i) = next.take(set.len()) {
        let path = &set.paths[i];
        let n = if set.write {
            let file = File::create(path).await?;
            buf.clear();
            buf.extend_from_slice(set.contents(i));
            let (res, back) = file.write_all_at(buf, 0).await;
            buf = back;
            res?;
            file.close().await?;
            set.sizes[i]
        } else {
            let file = File::open(path).await?;
            let mut total = 0;
            loop {
                buf.clear();
                let (res, back) = file.read_at(buf, total as u64).await;
                buf = back;
                let n = res?;
                total += n;
                if n < READ_BUF {
                    break;
                }
            }
            file.close().await?;
            total
        };
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}
