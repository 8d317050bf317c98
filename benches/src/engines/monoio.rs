//! monoio on its io_uring driver: `iodepth` tasks, each with one read/write in flight.
//! monoio has no registered files or buffers and no NOP, so `--fixed` is ignored and
//! `--rw nop` is refused.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use quanta::Instant;

use monoio::fs::File;
use monoio::{IoUringDriver, Runtime, RuntimeBuilder};

use super::{unsupported, Engine, Recorder, RoundResult};
use crate::workload::{AlignedBuf, Offsets, Workload};

// SAFETY: the allocation behind AlignedBuf never moves while it is owned (moving the
// struct moves only the pointer), and all `len()` bytes are initialised.
unsafe impl monoio::buf::IoBuf for AlignedBuf {
    fn read_ptr(&self) -> *const u8 {
        self.as_ptr()
    }

    fn bytes_init(&self) -> usize {
        self.len()
    }
}

// SAFETY: as for IoBuf above; the pointer is valid for writes of `len()` bytes.
unsafe impl monoio::buf::IoBufMut for AlignedBuf {
    fn write_ptr(&mut self) -> *mut u8 {
        self.as_mut_ptr()
    }

    fn bytes_total(&mut self) -> usize {
        self.len()
    }

    unsafe fn set_init(&mut self, _pos: usize) {
        // Always fully initialised (zeroed at allocation).
    }
}

/// A monoio io_uring runtime, kept across rounds.
pub(crate) struct MonoioEngine {
    rt: Runtime<IoUringDriver>,
}

impl MonoioEngine {
    pub(crate) fn new(w: &Workload) -> io::Result<MonoioEngine> {
        if !w.rw.uses_file() {
            return Err(unsupported("monoio", "--rw nop"));
        }
        super::note_no_fixed(w, "monoio");
        let rt = RuntimeBuilder::<IoUringDriver>::new()
            .with_entries(w.ring_entries())
            .build()?;
        Ok(MonoioEngine { rt })
    }
}

impl Engine for MonoioEngine {
    fn name(&self) -> &str {
        "monoio"
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let std_file = w.open_std()?;
        let write = w.rw.is_write();
        self.rt.block_on(async {
            let file = Rc::new(File::from_std(std_file)?);
            let rec = Recorder::new();
            let start = Instant::now();
            let deadline = start + d;
            let workers: Vec<_> = (0..w.iodepth as u64)
                .map(|i| {
                    let (file, offsets, buf) = (Rc::clone(&file), w.offsets(i), w.buffer(i));
                    monoio::spawn(worker(file, offsets, buf, write, deadline, rec.clone()))
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
    file: Rc<File>,
    mut offsets: Offsets,
    mut buf: AlignedBuf,
    write: bool,
    deadline: Instant,
    rec: Recorder,
) -> io::Result<()> {
    let mut now = Instant::now();
    while now < deadline {
        let offset = offsets.next_offset();
        let (res, back) = if write {
            file.write_at(buf, offset).await
        } else {
            file.read_at(buf, offset).await
        };
        buf = back;
        let n = res?;
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}
