//! ringaio: `--iodepth` tasks on one thread, each taking the next file: `File::open`,
//! `read_at` into its `Vec<u8>` until a short read, `close` (or `File::create`,
//! `write_all_at`, `close`) as `ringaio`; the same on direct descriptors
//! (`OpenOptions::direct`) as `ringaio-direct`, and without the registered-file table as
//! `ringaio-unregistered`; `fs::read` / `fs::write` as `ringaio-fs`.

use std::io;
use std::rc::Rc;
use std::sync::Arc;

use quanta::Instant;

use ringaio::fs::File;
use ringaio::Runtime;

use super::{FileSet, Next, Pass, READ_BUF};
use crate::engines::{Recorder, RoundResult};
use crate::workload::Workload;

/// Which of ringaio's APIs a worker goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `File::open` / `read_at` / `close`, the runtime's defaults.
    File,
    /// As `File`, opened as direct descriptors.
    Direct,
    /// As `File`, on a runtime without a registered-file table.
    Unregistered,
    /// `fs::read` / `fs::write`.
    Whole,
}

/// A ringaio runtime, kept across passes.
pub(crate) struct RingaioFiles {
    rt: Runtime,
    style: Style,
}

impl RingaioFiles {
    pub(crate) fn new(style: Style, w: &Workload) -> io::Result<RingaioFiles> {
        let mut builder = Runtime::builder();
        builder.entries(w.ring_entries());
        if style == Style::Unregistered {
            builder.fixed_files(0);
        }
        Ok(RingaioFiles {
            rt: builder.build()?,
            style,
        })
    }
}

impl Pass for RingaioFiles {
    fn name(&self) -> &str {
        match self.style {
            Style::File => "ringaio",
            Style::Direct => "ringaio-direct",
            Style::Unregistered => "ringaio-unregistered",
            Style::Whole => "ringaio-fs",
        }
    }

    fn pass(&mut self, set: &Arc<FileSet>, qd: usize) -> io::Result<RoundResult> {
        let style = self.style;
        self.rt.block_on(async {
            let (rec, next) = (Recorder::new(), Rc::new(Next::default()));
            let start = Instant::now();
            let workers: Vec<_> = (0..qd)
                .map(|_| {
                    let (set, next, rec) = (Arc::clone(set), Rc::clone(&next), rec.clone());
                    ringaio::spawn(worker(set, next, rec, style))
                })
                .collect();
            for worker in workers {
                worker
                    .await
                    .map_err(|_| io::Error::other("ringaio worker task failed"))??;
            }
            let mut total = rec.take();
            total.elapsed = start.elapsed();
            Ok(total)
        })
    }
}

/// One slot: files one after another until none is left.
async fn worker(set: Arc<FileSet>, next: Rc<Next>, rec: Recorder, style: Style) -> io::Result<()> {
    let mut buf = Vec::with_capacity(READ_BUF);
    let mut now = Instant::now();
    while let Some(i) = next.take(set.len()) {
        let path = &set.paths[i];
        let n = match (set.write, style) {
            (false, Style::Whole) => ringaio::fs::read(path).await?.len(),
            (true, Style::Whole) => {
                ringaio::fs::write(path, set.contents(i)).await?;
                set.sizes[i]
            }
            (false, _) => {
                let direct = style == Style::Direct;
                let file = File::options().read(true).direct(direct).open(path).await?;
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
            }
            (true, _) => {
                let file = File::options()
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .direct(style == Style::Direct)
                    .open(path)
                    .await?;
                buf.clear();
                buf.extend_from_slice(set.contents(i));
                let (res, back) = file.write_all_at(buf, 0).await;
                buf = back;
                res?;
                file.close().await?;
                set.sizes[i]
            }
        };
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}
