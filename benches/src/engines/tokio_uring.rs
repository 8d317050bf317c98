//! tokio-uring: `iodepth` tasks, each with one read/write (or NOP) in flight.
//! `--fixed` uses its `FixedBufRegistry` (it has no registered files).

use std::io;
use std::rc::Rc;
use std::time::Duration;

use quanta::Instant;

use tokio_uring::buf::fixed::{FixedBuf, FixedBufRegistry};
use tokio_uring::fs::File;

use super::{Engine, Recorder, RoundResult};
use crate::workload::{AlignedBuf, Offsets, Workload};

// SAFETY: the allocation behind AlignedBuf never moves while it is owned (moving the
// struct moves only the pointer), and all `len()` bytes are initialised.
unsafe impl tokio_uring::buf::IoBuf for AlignedBuf {
    fn stable_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }

    fn bytes_total(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for IoBuf above; the pointer is valid for writes of `len()` bytes.
unsafe impl tokio_uring::buf::IoBufMut for AlignedBuf {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    unsafe fn set_init(&mut self, _pos: usize) {
        // Always fully initialised (zeroed at allocation).
    }
}

/// A tokio-uring runtime, kept across rounds.
pub(crate) struct TokioUringEngine {
    rt: tokio_uring::Runtime,
    name: String,
}

impl TokioUringEngine {
    pub(crate) fn new(w: &Workload) -> io::Result<TokioUringEngine> {
        let rt = tokio_uring::Runtime::new(tokio_uring::builder().entries(w.ring_entries()))?;
        let fixed = w.fixed && w.rw.uses_file();
        let name = if fixed {
            "tokio-uring+fixed"
        } else {
            "tokio-uring"
        }
        .to_owned();
        Ok(TokioUringEngine { rt, name })
    }
}

/// What each worker does per operation.
enum Slot {
    Nop,
    Plain(AlignedBuf),
    Fixed(FixedBuf),
}

impl Engine for TokioUringEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let file = if w.rw.uses_file() {
            Some(Rc::new(File::from_std(w.open_std()?)))
        } else {
            None
        };
        let fixed = w.fixed && file.is_some();
        let write = w.rw.is_write();
        self.rt.block_on(async {
            let registry =
                fixed.then(|| FixedBufRegistry::new((0..w.iodepth as u64).map(|i| w.buffer(i))));
            if let Some(registry) = &registry {
                registry.register()?;
            }
            let rec = Recorder::new();
            let start = Instant::now();
            let deadline = start + d;
            let mut workers = Vec::with_capacity(w.iodepth);
            for i in 0..w.iodepth {
                let slot = match (&file, &registry) {
                    (None, _) => Slot::Nop,
                    (Some(_), None) => Slot::Plain(w.buffer(i as u64)),
                    (Some(_), Some(reg)) => Slot::Fixed(
                        reg.check_out(i)
                            .ok_or_else(|| io::Error::other("fixed buffer busy"))?,
                    ),
                };
                let (file, offsets) = (file.clone(), w.offsets(i as u64));
                workers.push(tokio_uring::spawn(worker(
                    file,
                    offsets,
                    slot,
                    write,
                    deadline,
                    rec.clone(),
                )));
            }
            for worker in workers {
                worker.await.map_err(io::Error::other)??;
            }
            let mut total = rec.take();
            total.elapsed = start.elapsed();
            if let Some(registry) = &registry {
                registry.unregister()?;
            }
            Ok(total)
        })
    }
}

/// One queue slot: one operation at a time until the deadline.
async fn worker(
    file: Option<Rc<File>>,
    mut offsets: Offsets,
    mut slot: Slot,
    write: bool,
    deadline: Instant,
    rec: Recorder,
) -> io::Result<()> {
    let mut now = Instant::now();
    while now < deadline {
        let offset = offsets.next_offset();
        let n = match (slot, &file) {
            (Slot::Nop, _) | (_, None) => {
                tokio_uring::no_op().await?;
                slot = Slot::Nop;
                0
            }
            (Slot::Plain(buf), Some(f)) => {
                let (res, buf) = if write {
                    f.write_at(buf, offset).submit().await
                } else {
                    f.read_at(buf, offset).await
                };
                slot = Slot::Plain(buf);
                res?
            }
            (Slot::Fixed(buf), Some(f)) => {
                let (res, buf) = if write {
                    f.write_fixed_at(buf, offset).await
                } else {
                    f.read_fixed_at(buf, offset).await
                };
                slot = Slot::Fixed(buf);
                res?
            }
        };
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}
