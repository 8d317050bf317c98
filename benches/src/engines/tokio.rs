//! tokio as applications use it for files: `spawn_blocking` around `pread`/`pwrite`
//! (what `tokio::fs` does), with `iodepth` tasks each keeping one operation in flight.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Duration;

use quanta::Instant;

use super::{unsupported, Engine, RoundResult};
use crate::workload::{AlignedBuf, Offsets, Workload};

/// A multi-thread tokio runtime, kept across rounds.
#[derive(Debug)]
pub(crate) struct TokioEngine {
    rt: tokio::runtime::Runtime,
}

impl TokioEngine {
    pub(crate) fn new(w: &Workload) -> io::Result<TokioEngine> {
        if !w.rw.uses_file() {
            return Err(unsupported("tokio", "--rw nop"));
        }
        super::note_no_fixed(w, "tokio");
        let rt = tokio::runtime::Builder::new_multi_thread().build()?;
        Ok(TokioEngine { rt })
    }
}

impl Engine for TokioEngine {
    fn name(&self) -> &str {
        "tokio"
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let file = Arc::new(w.open_std()?);
        let write = w.rw.is_write();
        let start = Instant::now();
        let deadline = start + d;
        let mut total = self.rt.block_on(async {
            let workers: Vec<_> = (0..w.iodepth as u64)
                .map(|i| {
                    let (file, offsets, buf) = (Arc::clone(&file), w.offsets(i), w.buffer(i));
                    tokio::spawn(worker(file, offsets, buf, write, deadline))
                })
                .collect();
            let mut total = RoundResult::new();
            for worker in workers {
                total.merge(&worker.await.map_err(io::Error::other)??);
            }
            Ok::<_, io::Error>(total)
        })?;
        total.elapsed = start.elapsed();
        Ok(total)
    }
}

/// One queue slot: one blocking call at a time until the deadline.
async fn worker(
    file: Arc<File>,
    mut offsets: Offsets,
    mut buf: AlignedBuf,
    write: bool,
    deadline: Instant,
) -> io::Result<RoundResult> {
    let mut result = RoundResult::new();
    let mut now = Instant::now();
    while now < deadline {
        let offset = offsets.next_offset();
        let file = Arc::clone(&file);
        let (res, back) = tokio::task::spawn_blocking(move || {
            let res = if write {
                file.write_at(&buf, offset)
            } else {
                file.read_at(&mut buf, offset)
            };
            (res, buf)
        })
        .await
        .map_err(io::Error::other)?;
        buf = back;
        let n = res?;
        let done = Instant::now();
        result.record(n as u64, done - now);
        now = done;
    }
    Ok(result)
}
