//! glommio: `iodepth` tasks, each with one read/write in flight.
//!
//! With `--direct` it uses `DmaFile`, whose reads and writes go through glommio's own
//! registered DMA buffer arena (so `--fixed` adds nothing); without it, `BufferedFile`.
//! glommio's API hands out a fresh buffer per read and consumes one per write, so
//! that per-op allocation is part of what is measured. It has no NOP.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use quanta::Instant;

use glommio::io::{BufferedFile, DmaFile, OpenOptions};
use glommio::{LocalExecutor, LocalExecutorBuilder, Placement};

use super::{unsupported, Engine, Recorder, RoundResult};
use crate::workload::{Offsets, Workload};

/// A glommio executor on this thread, kept across rounds.
pub(crate) struct GlommioEngine {
    ex: LocalExecutor,
}

impl GlommioEngine {
    pub(crate) fn new(w: &Workload) -> io::Result<GlommioEngine> {
        if !w.rw.uses_file() {
            return Err(unsupported("glommio", "--rw nop"));
        }
        if w.fixed && !w.direct {
            eprintln!("note: glommio registers buffers only for --direct; --fixed is ignored");
        }
        // Room for every slot's DMA buffer twice over, and at least glommio's default.
        let io_memory = (w.iodepth * w.bs * 2).max(10 << 20);
        let ex = LocalExecutorBuilder::new(Placement::Unbound)
            .io_memory(io_memory)
            .ring_depth(w.ring_entries() as usize)
            .make()
            .map_err(io::Error::from)?;
        Ok(GlommioEngine { ex })
    }
}

enum AnyFile {
    Dma(DmaFile),
    Buffered(BufferedFile),
}

impl Engine for GlommioEngine {
    fn name(&self) -> &str {
        "glommio"
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let write = w.rw.is_write();
        self.ex.run(async {
            let mut opts = OpenOptions::new();
            opts.read(true).write(write);
            let file = Rc::new(if w.direct {
                AnyFile::Dma(opts.dma_open(&w.path).await?)
            } else {
                AnyFile::Buffered(opts.buffered_open(&w.path).await?)
            });
            let rec = Recorder::new();
            let start = Instant::now();
            let deadline = start + d;
            let workers: Vec<_> = (0..w.iodepth as u64)
                .map(|i| {
                    let (file, offsets) = (Rc::clone(&file), w.offsets(i));
                    glommio::spawn_local(worker(file, offsets, w.bs, write, deadline, rec.clone()))
                })
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

/// One queue slot: one operation at a time until the deadline.
async fn worker(
    file: Rc<AnyFile>,
    mut offsets: Offsets,
    bs: usize,
    write: bool,
    deadline: Instant,
    rec: Recorder,
) -> io::Result<()> {
    let mut now = Instant::now();
    while now < deadline {
        let offset = offsets.next_offset();
        let n = match (&*file, write) {
            (AnyFile::Dma(f), false) => f.read_at(offset, bs).await?.len(),
            (AnyFile::Dma(f), true) => f.write_at(f.alloc_dma_buffer(bs), offset).await?,
            (AnyFile::Buffered(f), false) => f.read_at(offset, bs).await?.len(),
            (AnyFile::Buffered(f), true) => f.write_at(vec![0x5a; bs], offset).await?,
        };
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}
