//! ringaio itself: `iodepth` tasks, each with one read/write (or NOP) in flight, on the
//! io_uring backend (`ringaio`) or the fallback backend (`ringaio-fallback`).
//!
//! Behind the `ringaio-engine` feature until the runtime's API lands. Written against:
//! `Runtime::builder().entries(n)[.backend(Backend::Fallback)].build()`, `rt.block_on`,
//! `ringaio::spawn` (a `JoinHandle` resolving to `Result<T, JoinError>`),
//! `fs::File::options()...open(path)`, `file.read_at(buf, pos)` / `write_at` returning
//! `(io::Result<usize>, B)`, and `ringaio::nop()`.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use quanta::Instant;

use ringaio::buf::{AlignedBuf, FixedBuf, FixedBufPool};
use ringaio::fs::File;
use ringaio::{Backend, Runtime};

use super::{Engine, Recorder, RoundResult};
use crate::workload::{Offsets, Workload};

/// A ringaio runtime, kept across rounds.
pub(crate) struct RingaioEngine {
    rt: Runtime,
    name: &'static str,
    /// With `--fixed`: registered buffers, made on the first round and kept.
    pool: Option<FixedBufPool>,
}

impl RingaioEngine {
    pub(crate) fn new(
        w: &Workload,
        fallback: bool,
        fixed_files: bool,
    ) -> io::Result<RingaioEngine> {
        let name = match (fallback, fixed_files) {
            (true, _) => "ringaio-fallback",
            (false, true) => "ringaio",
            (false, false) => "ringaio-unregistered",
        };
        let entries = w.ring_entries();
        let rt = if fallback {
            Runtime::builder()
                .backend(Backend::Fallback)
                .entries(entries)
                .build()?
        } else {
            // `ringaio-unregistered` turns off both registered tables (files and buffers).
            Runtime::builder()
                .entries(entries)
                .fixed_files(if fixed_files { 1024 } else { 0 })
                .fixed_buffers(if fixed_files { 1024 } else { 0 })
                .build()?
        };
        Ok(RingaioEngine {
            rt,
            name,
            pool: None,
        })
    }
}

impl Engine for RingaioEngine {
    fn name(&self) -> &str {
        self.name
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let write = w.rw.is_write();
        let uses_file = w.rw.uses_file();
        if w.fixed && uses_file && self.pool.is_none() {
            let (count, bs) = (w.iodepth as u16, w.bs);
            self.pool = Some(self.rt.block_on(async { FixedBufPool::new(count, bs) })?);
        }
        let pool = self.pool.clone();
        self.rt.block_on(async {
            let file = if uses_file {
                Some(Rc::new(
                    File::options()
                        .read(true)
                        .write(write)
                        .custom_flags(if w.direct { libc::O_DIRECT } else { 0 })
                        .open(&w.path)
                        .await?,
                ))
            } else {
                None
            };
            let rec = Recorder::new();
            let start = Instant::now();
            let deadline = start + d;
            let workers = (0..w.iodepth as u64)
                .map(|i| -> io::Result<_> {
                    let (file, offsets) = (file.clone(), w.offsets(i));
                    let buf = match &pool {
                        Some(pool) => {
                            let mut buf = pool
                                .try_get()
                                .ok_or_else(|| io::Error::other("fixed buffer pool empty"))?;
                            buf.fill_from(&w.buffer(i));
                            Buf::Fixed(buf)
                        }
                        None => {
                            let mut buf = AlignedBuf::new(w.bs, 4096)?;
                            buf.as_mut_slice().copy_from_slice(&w.buffer(i));
                            Buf::Plain(buf)
                        }
                    };
                    Ok(ringaio::spawn(worker(
                        file,
                        offsets,
                        buf,
                        write,
                        deadline,
                        rec.clone(),
                    )))
                })
                .collect::<io::Result<Vec<_>>>()?;
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

/// One queue slot: one operation at a time until the deadline.
async fn worker(
    file: Option<Rc<File>>,
    mut offsets: Offsets,
    mut buf: Buf,
    write: bool,
    deadline: Instant,
    rec: Recorder,
) -> io::Result<()> {
    let mut now = Instant::now();
    while now < deadline {
        let n = match &file {
            None => {
                ringaio::nop().await?;
                0
            }
            Some(f) => {
                let offset = offsets.next_offset();
                let res;
                (res, buf) = match (buf, write) {
                    (Buf::Plain(b), true) => wrap(f.write_at(b, offset).await, Buf::Plain),
                    (Buf::Plain(b), false) => wrap(f.read_at(b, offset).await, Buf::Plain),
                    (Buf::Fixed(b), true) => wrap(f.write_fixed_at(b, offset).await, Buf::Fixed),
                    (Buf::Fixed(b), false) => wrap(f.read_fixed_at(b, offset).await, Buf::Fixed),
                };
                res?
            }
        };
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}

/// A worker's buffer: plain (aligned) or registered (`--fixed`).
enum Buf {
    Plain(AlignedBuf),
    Fixed(FixedBuf),
}

fn wrap<B>((res, b): (io::Result<usize>, B), f: fn(B) -> Buf) -> (io::Result<usize>, Buf) {
    (res, f(b))
}
