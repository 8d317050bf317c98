//! tokio::fs on a multi-thread runtime: `--iodepth` tasks, each taking the next file:
//! `File::open`, `read` until a short read, drop (or `File::create`, `write_all`, `flush`,
//! drop) as `tokio`; `tokio::fs::read` / `tokio::fs::write` as `tokio-fs`. Every call is a
//! `spawn_blocking` round trip, as in any tokio application.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use quanta::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::set::READ_BUF;
use super::{FileSet, Pass};
use crate::engines::RoundResult;

/// A multi-thread tokio runtime, kept across passes.
#[derive(Debug)]
pub(crate) struct TokioFiles {
    rt: tokio::runtime::Runtime,
    whole: bool,
}

impl TokioFiles {
    pub(crate) fn new(whole: bool) -> io::Result<TokioFiles> {
        let rt = tokio::runtime::Builder::new_multi_thread().build()?;
        Ok(TokioFiles { rt, whole })
    }
}

impl Pass for TokioFiles {
    fn name(&self) -> &str {
        if self.whole {
            "tokio-fs"
        } else {
            "tokio"
        }
    }

    fn pass(&mut self, set: &Arc<FileSet>, qd: usize) -> io::Result<RoundResult> {
        let next = Arc::new(AtomicUsize::new(0));
        let whole = self.whole;
        let start = Instant::now();
        let mut total = self.rt.block_on(async {
            let workers: Vec<_> = (0..qd)
                .map(|_| tokio::spawn(worker(Arc::clone(set), Arc::clone(&next), whole)))
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

/// One slot: files one after another until none is left.
async fn worker(set: Arc<FileSet>, next: Arc<AtomicUsize>, whole: bool) -> io::Result<RoundResult> {
    let mut buf = vec![0u8; READ_BUF];
    let mut result = RoundResult::new();
    let mut now = Instant::now();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= set.len() {
            return Ok(result);
        }
        let path = &set.paths[i];
        let n = match (set.write, whole) {
            (false, true) => tokio::fs::read(path).await?.len(),
            (true, true) => {
                tokio::fs::write(path, set.contents(i)).await?;
                set.sizes[i]
            }
            (false, false) => {
                let mut file = tokio::fs::File::open(path).await?;
                let mut total = 0;
                loop {
                    let n = file.read(&mut buf).await?;
                    total += n;
                    if n < buf.len() {
                        break total;
                    }
                }
            }
            (true, false) => {
                let mut file = tokio::fs::File::create(path).await?;
                file.write_all(set.contents(i)).await?;
                file.flush().await?;
                set.sizes[i]
            }
        };
        let done = Instant::now();
        result.record(n as u64, done - now);
        now = done;
    }
}
