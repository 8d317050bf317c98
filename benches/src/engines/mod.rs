//! The engines: one file each, all behind the [`Engine`] trait.

use std::io;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::workload::{Rw, Workload};

#[cfg(feature = "glommio")]
mod glommio;
#[cfg(feature = "monoio")]
mod monoio;
#[cfg(any(
    feature = "ringaio-engine",
    feature = "tokio-uring",
    feature = "monoio",
    feature = "glommio"
))]
mod recorder;
#[cfg(feature = "ringaio-engine")]
mod ringaio;
mod std_pread;
#[cfg(any(
    feature = "ringaio-engine",
    feature = "tokio-uring",
    feature = "monoio",
    feature = "glommio"
))]
pub(crate) use recorder::Recorder;
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio-uring")]
mod tokio_uring;
mod uring;

/// Highest latency the histograms track: 60 s, in nanoseconds.
const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// One way of doing I/O, run for one timed round at a time.
pub(crate) trait Engine {
    /// The name shown in the report.
    fn name(&self) -> &str;

    /// Runs `w` for `d`, then waits for the operations still in flight.
    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult>;
}

/// What one round of one engine did.
#[derive(Debug, Clone)]
pub(crate) struct RoundResult {
    pub(crate) ops: u64,
    pub(crate) bytes: u64,
    /// From the first submission to the last completion.
    pub(crate) elapsed: Duration,
    /// Per-operation latency in nanoseconds.
    pub(crate) hist: Histogram<u64>,
    /// CPU time the whole process used meanwhile (every thread: runtime workers, io_uring's
    /// io-wq workers, the blocking pool); zero if not measured. On a shared machine this
    /// moves far less than the wall clock.
    pub(crate) cpu: Duration,
}

impl RoundResult {
    pub(crate) fn new() -> RoundResult {
        let hist = Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
            .expect("constant histogram bounds are valid");
        RoundResult {
            ops: 0,
            bytes: 0,
            elapsed: Duration::ZERO,
            hist,
            cpu: Duration::ZERO,
        }
    }

    /// Counts one completed operation of `bytes` bytes that took `latency`.
    #[inline]
    pub(crate) fn record(&mut self, bytes: u64, latency: Duration) {
        self.ops += 1;
        self.bytes += bytes;
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.hist.saturating_record(ns.max(1));
    }

    /// Adds another worker's or round's counts (elapsed times add up too).
    pub(crate) fn merge(&mut self, other: &RoundResult) {
        self.ops += other.ops;
        self.bytes += other.bytes;
        self.elapsed += other.elapsed;
        self.cpu += other.cpu;
        // Same bounds on both sides, and saturating on overflow, so this cannot fail.
        let _ = self.hist.add(&other.hist);
    }
}

/// The engines `--engine` accepts.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EngineKind {
    /// The ringaio runtime on io_uring.
    Ringaio,
    /// The ringaio runtime on its fallback (thread pool) backend.
    RingaioFallback,
    /// The ringaio runtime on io_uring, receiving with multishot requests (`--rw echo`).
    RingaioMultishot,
    /// The ringaio runtime on io_uring with its registered-file table off.
    RingaioUnregistered,
    /// The ringaio runtime on io_uring, reading into plain `Vec<u8>` buffers (`--rw randread`
    /// etc.; with `AlignedBuf` buffers they may be registered, a `Vec` never is).
    RingaioVec,
    /// (`--rw openread`/`openwrite` only) ringaio's `fs::read` / `fs::write`.
    RingaioFs,
    /// (`--rw openread`/`openwrite` only) ringaio's `File` on direct descriptors
    /// (`OpenOptions::direct`).
    RingaioDirect,
    /// A hand-written loop on the io-uring crate: the reference.
    Uring,
    /// The hand-written loop reading into plain `Vec<u8>` buffers, made as `ringaio-vec`
    /// makes them: the kernel copies into a heap buffer's alignment, not a page's.
    UringVec,
    /// tokio-uring, one task per queue slot.
    TokioUring,
    /// monoio on io_uring, one task per queue slot.
    Monoio,
    /// glommio, one task per queue slot.
    Glommio,
    /// tokio: spawn_blocking around pread/pwrite, one task per queue slot.
    Tokio,
    /// A plain pread/pwrite loop on one thread, queue depth 1.
    Std,
    /// (`--rw openread`/`openwrite` only) `std::fs::read` / `std::fs::write` on one thread.
    StdFs,
    /// (`--rw openread`/`openwrite` only) `tokio::fs::read` / `tokio::fs::write`.
    TokioFs,
}

/// Builds the engine for `kind`, or says which cargo feature it needs.
pub(crate) fn create(kind: EngineKind, w: &Workload) -> Result<Box<dyn Engine>, String> {
    if w.rw == Rw::Echo {
        return crate::echo::create(kind).ok_or_else(|| match kind {
            EngineKind::Std | EngineKind::RingaioUnregistered => {
                format!("engine `{kind:?}` has no echo server")
            }
            other => not_built(other),
        });
    }
    let msg = |e: io::Error| e.to_string();
    if w.rw.is_files() {
        return match crate::files::create(kind, w) {
            Some(engine) => engine.map_err(msg),
            None if is_built(kind) => Err(format!("engine `{kind:?}` has no {} workload", w.rw)),
            None => Err(not_built(kind)),
        };
    }
    match kind {
        EngineKind::Uring => Ok(Box::new(uring::UringEngine::new(w))),
        EngineKind::UringVec => Ok(Box::new(uring::UringEngine::new_vec(w).map_err(msg)?)),
        EngineKind::Std => Ok(Box::new(std_pread::StdEngine::new(w).map_err(msg)?)),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::Ringaio => Ok(Box::new(
            ringaio::RingaioEngine::new(w, false, true).map_err(msg)?,
        )),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioUnregistered => Ok(Box::new(
            ringaio::RingaioEngine::new(w, false, false).map_err(msg)?,
        )),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioFallback => Ok(Box::new(
            ringaio::RingaioEngine::new(w, true, true).map_err(msg)?,
        )),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioVec => Ok(Box::new(ringaio::RingaioEngine::new_vec(w).map_err(msg)?)),
        #[cfg(feature = "tokio-uring")]
        EngineKind::TokioUring => Ok(Box::new(
            tokio_uring::TokioUringEngine::new(w).map_err(msg)?,
        )),
        #[cfg(feature = "monoio")]
        EngineKind::Monoio => Ok(Box::new(monoio::MonoioEngine::new(w).map_err(msg)?)),
        #[cfg(feature = "glommio")]
        EngineKind::Glommio => Ok(Box::new(glommio::GlommioEngine::new(w).map_err(msg)?)),
        #[cfg(feature = "tokio")]
        EngineKind::Tokio => Ok(Box::new(tokio::TokioEngine::new(w).map_err(msg)?)),
        EngineKind::StdFs
        | EngineKind::RingaioFs
        | EngineKind::RingaioDirect
        | EngineKind::TokioFs => Err(format!(
            "engine `{kind:?}` runs only --rw openread and openwrite"
        )),
        #[allow(unreachable_patterns)]
        other => Err(not_built(other)),
    }
}

/// True if `kind`'s cargo feature is on in this build.
fn is_built(kind: EngineKind) -> bool {
    match kind {
        EngineKind::Uring | EngineKind::UringVec | EngineKind::Std | EngineKind::StdFs => true,
        EngineKind::Ringaio
        | EngineKind::RingaioFallback
        | EngineKind::RingaioMultishot
        | EngineKind::RingaioUnregistered
        | EngineKind::RingaioVec
        | EngineKind::RingaioFs
        | EngineKind::RingaioDirect => cfg!(feature = "ringaio-engine"),
        EngineKind::TokioUring => cfg!(feature = "tokio-uring"),
        EngineKind::Monoio => cfg!(feature = "monoio"),
        EngineKind::Glommio => cfg!(feature = "glommio"),
        EngineKind::Tokio | EngineKind::TokioFs => cfg!(feature = "tokio"),
    }
}

/// The message for an engine whose cargo feature is off.
fn not_built(kind: EngineKind) -> String {
    let (name, feature, hint) = match kind {
        EngineKind::Ringaio => ("ringaio", "ringaio-engine", "--features ringaio-engine"),
        EngineKind::RingaioUnregistered => (
            "ringaio-unregistered",
            "ringaio-engine",
            "--features ringaio-engine",
        ),
        EngineKind::RingaioFallback => (
            "ringaio-fallback",
            "ringaio-engine",
            "--features ringaio-engine",
        ),
        EngineKind::RingaioMultishot => (
            "ringaio-multishot",
            "ringaio-engine",
            "--features ringaio-engine",
        ),
        EngineKind::RingaioVec => ("ringaio-vec", "ringaio-engine", "--features ringaio-engine"),
        EngineKind::RingaioFs => ("ringaio-fs", "ringaio-engine", "--features ringaio-engine"),
        EngineKind::RingaioDirect => (
            "ringaio-direct",
            "ringaio-engine",
            "--features ringaio-engine",
        ),
        EngineKind::TokioFs => ("tokio-fs", "tokio", "--features peers"),
        EngineKind::TokioUring => ("tokio-uring", "tokio-uring", "--features peers"),
        EngineKind::Monoio => ("monoio", "monoio", "--features peers"),
        EngineKind::Glommio => ("glommio", "glommio", "--features peers"),
        EngineKind::Tokio => ("tokio", "tokio", "--features peers"),
        EngineKind::Uring | EngineKind::UringVec | EngineKind::Std | EngineKind::StdFs => {
            unreachable!("always built")
        }
    };
    format!(
        "engine `{name}` is not built in: enable the cargo feature `{feature}`, e.g.\n  \
         cargo run -p ringaio-benches --release {hint} -- --engine {name} ..."
    )
}

/// Error for an engine that cannot run the requested `--rw`.
pub(crate) fn unsupported(engine: &str, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("engine `{engine}` does not support {what}"),
    )
}

/// Notes on stderr that `--fixed` changes nothing for `engine`.
pub(crate) fn note_no_fixed(w: &Workload, engine: &str) {
    if w.fixed {
        eprintln!("note: {engine} has no registered files/buffers; --fixed is ignored for it");
    }
}

/// CPU time the whole process has used so far (every thread).
pub(crate) fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec for the call to fill.
    if unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Turns a CQE-style result (bytes or negative errno) into bytes or an io::Error.
#[inline]
pub(crate) fn cqe_result(res: i32) -> io::Result<u64> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_counts_and_histograms() {
        let mut a = RoundResult::new();
        a.record(4096, Duration::from_micros(10));
        let mut b = RoundResult::new();
        b.record(4096, Duration::from_micros(30));
        b.elapsed = Duration::from_secs(1);
        a.merge(&b);
        assert_eq!(
            (a.ops, a.bytes, a.elapsed),
            (2, 8192, Duration::from_secs(1))
        );
        assert_eq!(a.hist.len(), 2);
        assert!(a.hist.max() >= 29_000);
    }

    #[test]
    fn disabled_engine_names_its_feature() {
        let msg = not_built(EngineKind::Monoio);
        assert!(
            msg.contains("`monoio`") && msg.contains("--features peers"),
            "{msg}"
        );
        let msg = not_built(EngineKind::RingaioFallback);
        assert!(msg.contains("ringaio-engine"), "{msg}");
    }

    #[test]
    fn negative_cqe_result_is_errno() {
        assert_eq!(cqe_result(4096).unwrap(), 4096);
        assert_eq!(
            cqe_result(-libc::EINVAL).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
    }
}
