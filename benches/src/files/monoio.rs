//! monoio on io_uring: `--iodepth` tasks, each taking the next file: `File::open`,
//! `read_at` into its `Vec<u8>` until a short read, `close` (or `File::create`,
//! `write_all_at`, `close`).

use std::io;
use std::rc::Rc;
use std::sync::Arc;

use quanta::Instant;

use monoio::fs::File;
use monoio::{IoUringDriver, Runtime, RuntimeBuilder};

use super::{FileSet, Next, Pass, READ_BUF};
use crate::engines::{Recorder, RoundResult};
use crate::workload::Workload;

/// A monoio io_uring runtime, kept across passes.
pub(crate) struct MonoioFiles {
    rt: Runtime<IoUringDriver>,
}

impl MonoioFiles {
    pub(crate) fn new(w: &Workload) -> io::Result<MonoioFiles> {
        let rt = RuntimeBuilder::<IoUringDriver>::new()
            .with_entries(w.ring_entries())
            .build()?;
        Ok(MonoioFiles { rt })
    }
}

impl Pass for MonoioFiles {
    fn name(&self) -> &str {
        "monoio"
    }

    fn pass(&mut self, set: &Arc<FileSet>, qd: usize) -> io::Result<RoundResult> {
        self.rt.block_on(async {
            let (rec, next) = (Recorder::new(), Rc::new(Next::default()));
            let start = Instant::now();
            let workers: Vec<_> = (0..qd)
                .map(|_| monoio::spawn(worker(Arc::clone(set), Rc::clone(&next), rec.clone())))
                .collect();
            for worker in workers {
                worker.await?;
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
