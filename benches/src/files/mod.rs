//! The small-file workloads (`--rw openread`, `--rw openwrite`): `--files` files of 100 B to
//! 16 KiB, each opened, read to its end (or created and written), and closed, with
//! `--iodepth` files in flight. One op is one file; a round is whole passes over the set
//! until `--runtime` has gone by (at least one), and only the passes are timed (emptying the
//! directory before an `openwrite` pass is not).
//!
//! Every engine reads the same way: into a buffer of [`READ_BUF`] bytes (larger than any
//! file), again only if a read fills it, so a file is open, one read, close. The `-fs`
//! engines use their library's whole-file calls instead (`std::fs::read`,
//! `ringaio::fs::read`, `tokio::fs::read`, and `write`), whatever those make.

#[cfg(feature = "monoio")]
mod monoio;
#[cfg(feature = "ringaio-engine")]
mod ringaio;
mod set;
mod std_loop;
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio-uring")]
mod tokio_uring;
mod uring;

use std::cell::Cell;
use std::io;
use std::time::Duration;

use crate::engines::{Engine, EngineKind, RoundResult};
use crate::workload::Workload;

pub(crate) use set::FileSet;
#[cfg(any(
    feature = "ringaio-engine",
    feature = "tokio-uring",
    feature = "monoio"
))]
use set::READ_BUF;

/// Files in flight when `--iodepth` is not given.
pub(crate) const DEFAULT_IODEPTH: usize = 64;

/// One engine's way through the set.
pub(crate) trait Pass {
    /// The name shown in the report.
    fn name(&self) -> &str;

    /// Opens, reads (writes) and closes every file of `set` once, `qd` at a time; the
    /// result counts one op per file and its bytes, `elapsed` the whole pass.
    fn pass(&mut self, set: &std::sync::Arc<FileSet>, qd: usize) -> io::Result<RoundResult>;
}

/// A [`Pass`] run as an [`Engine`]: passes until the round's time is used.
struct FilesEngine<P>(P);

impl<P: Pass> Engine for FilesEngine<P> {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let set = w
            .files
            .as_ref()
            .ok_or_else(|| io::Error::other("no file set prepared"))?;
        let mut total = RoundResult::new();
        loop {
            set.reset()?;
            let cpu = crate::engines::process_cpu();
            let mut r = self.0.pass(set, w.iodepth)?;
            r.cpu = crate::engines::process_cpu().saturating_sub(cpu);
            set.check(self.0.name(), &r)?;
            total.merge(&r);
            if total.elapsed >= d {
                return Ok(total);
            }
        }
    }
}

/// The file-set engine for `kind`, or `None` if it has none.
pub(crate) fn create(kind: EngineKind, w: &Workload) -> Option<io::Result<Box<dyn Engine>>> {
    fn boxed<P: Pass + 'static>(p: io::Result<P>) -> Option<io::Result<Box<dyn Engine>>> {
        Some(p.map(|p| Box::new(FilesEngine(p)) as Box<dyn Engine>))
    }
    let _ = w;
    match kind {
        EngineKind::Std => boxed(Ok(std_loop::StdFiles::new(false))),
        EngineKind::StdFs => boxed(Ok(std_loop::StdFiles::new(true))),
        EngineKind::Uring => boxed(Ok(uring::UringFiles::new(w.fixed))),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::Ringaio => boxed(ringaio::RingaioFiles::new(ringaio::Style::File, w)),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioFs => boxed(ringaio::RingaioFiles::new(ringaio::Style::Whole, w)),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioDirect => boxed(ringaio::RingaioFiles::new(ringaio::Style::Direct, w)),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioUnregistered => {
            boxed(ringaio::RingaioFiles::new(ringaio::Style::Unregistered, w))
        }
        #[cfg(feature = "tokio")]
        EngineKind::Tokio => boxed(tokio::TokioFiles::new(false)),
        #[cfg(feature = "tokio")]
        EngineKind::TokioFs => boxed(tokio::TokioFiles::new(true)),
        #[cfg(feature = "monoio")]
        EngineKind::Monoio => boxed(monoio::MonoioFiles::new(w)),
        #[cfg(feature = "tokio-uring")]
        EngineKind::TokioUring => boxed(tokio_uring::TokioUringFiles::new(w)),
        _ => None,
    }
}

/// Hands out file indexes to the workers of a single-threaded engine, each once.
#[derive(Debug, Default)]
pub(crate) struct Next(Cell<usize>);

impl Next {
    /// The next file not yet taken, if any.
    #[inline]
    pub(crate) fn take(&self, files: usize) -> Option<usize> {
        let i = self.0.get();
        (i < files).then(|| {
            self.0.set(i + 1);
            i
        })
    }
}
