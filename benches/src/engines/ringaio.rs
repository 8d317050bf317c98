//! ringaio itself: `iodepth` tasks, each with one read/write (or NOP) in flight, on the
//! io_uring backend (`ringaio`) or the fallback backend (`ringaio-fallback`).
//!
//! Behind the `ringaio-engine` feature until the runtime's API lands. Written against:
//! `Runtime::builder().entries(n)[.backend(Backend::Fallback)].build()`, `rt.block_on`,
//! `ringaio::spawn` (a `JoinHandle` resolving to `Result<T, JoinError>`),
//! `fs::File::options()...open(path)`, `file.read_at(buf, pos)` / `write_at` returning
//! `(io::Result<usize>, B)`, and `ringaio::nop()`.

use std::future::Future;
use std::io;
use std::rc::Rc;
use std::time::Duration;

use quanta::Instant;

use ringaio::buf::{AlignedBuf, FixedBufPool};
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
    /// Plain `Vec<u8>` buffers instead of `AlignedBuf` (`ringaio-vec`).
    vec: bool,
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
            vec: false,
        })
    }

    /// ringaio with the runtime's defaults and `Vec<u8>` buffers (never registered), as a
    /// user writes it first (`ringaio-vec`). Refuses `--fixed` and `--direct`, which need
    /// buffers that a `Vec` is not.
    pub(crate) fn new_vec(w: &Workload) -> io::Result<RingaioEngine> {
        if w.fixed || w.direct {
            return Err(super::unsupported("ringaio-vec", "--fixed or --direct"));
        }
        let rt = Runtime::builder().entries(w.ring_entries()).build()?;
        Ok(RingaioEngine {
            rt,
            name: "ringaio-vec",
            pool: None,
            vec: true,
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
        let vec = self.vec;
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
            // All at once, before the tasks: laid out as `uring-vec`'s.
            let mut vecs = match (vec, &file) {
                (true, Some(_)) => w.vec_buffers(w.iodepth),
                _ => Vec::new(),
            }
            .into_iter();
            let rec = Recorder::new();
            let start = Instant::now();
            let deadline = start + d;
            let workers = (0..w.iodepth as u64)
                .map(|i| -> io::Result<_> {
                    let (rec, offsets) = (rec.clone(), w.offsets(i));
                    let Some(file) = file.clone() else {
                        return Ok(spawn_worker((), move |()| nop(), deadline, rec));
                    };
                    let worker = match &pool {
                        Some(pool) => {
                            let mut buf = pool
                                .try_get()
                                .ok_or_else(|| io::Error::other("fixed buffer pool empty"))?;
                            buf.fill_from(&w.buffer(i));
                            let ops = (File::write_fixed_at, File::read_fixed_at);
                            spawn_rw(file, buf, offsets, write, ops, deadline, rec)
                        }
                        None if vec => {
                            let buf = vecs
                                .next()
                                .ok_or_else(|| io::Error::other("vec buffers missing"))?;
                            let ops = (File::write_at, File::read_at);
                            spawn_rw(file, buf, offsets, write, ops, deadline, rec)
                        }
                        None => {
                            let mut buf = AlignedBuf::new(w.bs, 4096)?;
                            buf.as_mut_slice().copy_from_slice(&w.buffer(i));
                            let ops = (File::write_at, File::read_at);
                            spawn_rw(file, buf, offsets, write, ops, deadline, rec)
                        }
                    };
                    Ok(worker)
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

/// A worker writing (`ops.0`) or reading (`ops.1`) `buf` at the workload's offsets.
fn spawn_rw<B, W, R, FW, FR>(
    file: Rc<File>,
    buf: B,
    mut offsets: Offsets,
    write: bool,
    (w, r): (W, R),
    deadline: Instant,
    rec: Recorder,
) -> ringaio::JoinHandle<io::Result<()>>
where
    B: 'static,
    W: Fn(&File, B, u64) -> FW + 'static,
    R: Fn(&File, B, u64) -> FR + 'static,
    FW: Future<Output = (io::Result<usize>, B)> + 'static,
    FR: Future<Output = (io::Result<usize>, B)> + 'static,
{
    if write {
        spawn_worker(
            buf,
            move |b| w(&file, b, offsets.next_offset()),
            deadline,
            rec,
        )
    } else {
        spawn_worker(
            buf,
            move |b| r(&file, b, offsets.next_offset()),
            deadline,
            rec,
        )
    }
}

/// One queue slot: one operation at a time until the deadline, as a task.
fn spawn_worker<B, F, Fut>(
    buf: B,
    op: F,
    deadline: Instant,
    rec: Recorder,
) -> ringaio::JoinHandle<io::Result<()>>
where
    B: 'static,
    F: FnMut(B) -> Fut + 'static,
    Fut: Future<Output = (io::Result<usize>, B)> + 'static,
{
    ringaio::spawn(worker(buf, op, deadline, rec))
}

/// Runs `op` on the buffer it gets back, again and again, recording each one.
async fn worker<B, F, Fut>(
    mut buf: B,
    mut op: F,
    deadline: Instant,
    rec: Recorder,
) -> io::Result<()>
where
    F: FnMut(B) -> Fut,
    Fut: Future<Output = (io::Result<usize>, B)>,
{
    let mut now = Instant::now();
    while now < deadline {
        let (res, back) = op(buf).await;
        buf = back;
        let n = res?;
        let done = Instant::now();
        rec.record(n as u64, done - now);
        now = done;
    }
    Ok(())
}

/// A NOP in the shape of a read: no bytes, no buffer.
async fn nop() -> (io::Result<usize>, ()) {
    (ringaio::nop().await.map(|()| 0), ())
}
