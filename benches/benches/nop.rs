//! NOP round trip per operation through the raw io-uring crate: push N NOPs, one
//! `submit_and_wait(N)`, reap N, for N = 1, 32 and 128. One criterion iteration is one
//! NOP, so the reported time is the cost of one operation at that batch size.
//!
//! Run: `cargo bench -p ringaio-benches --bench nop`.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use io_uring::IoUring;

#[cfg_attr(not(feature = "ringaio-engine"), allow(dead_code))]
#[path = "../src/nop_paths.rs"]
mod nop_paths;
#[cfg(feature = "ringaio-engine")]
use nop_paths::join_unpin;
use nop_paths::raw_round_trip;

const BATCHES: [u32; 3] = [1, 32, 128];

/// Raw io-uring: the floor any runtime on top of it is measured against.
fn uring_nop(c: &mut Criterion) {
    let mut group = c.benchmark_group("nop");
    for batch in BATCHES {
        let Ok(mut ring) = IoUring::new(256) else {
            eprintln!("skipping nop/uring: io_uring_setup failed (no io_uring here?)");
            return;
        };
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("uring", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| per_op(iters, batch, || raw_round_trip(&mut ring, batch)));
        });
    }
    group.finish();
}

/// Runs `batch_fn` (which does `batch` operations) often enough for `iters` operations,
/// and returns the time those `iters` operations took.
fn per_op(iters: u64, batch: u32, mut batch_fn: impl FnMut()) -> Duration {
    let batches = iters.div_ceil(u64::from(batch)).max(1);
    let start = Instant::now();
    for _ in 0..batches {
        batch_fn();
    }
    let done = batches * u64::from(batch);
    start.elapsed().mul_f64(iters as f64 / done as f64)
}

/// The same round trip through the whole ringaio stack: `batch` `ringaio::nop()` futures
/// joined in one task (all in flight at once), one runtime tick to submit them with one
/// `io_uring_enter`, their completions reaped into slots and the task woken.
#[cfg(feature = "ringaio-engine")]
fn ringaio_nop(c: &mut Criterion) {
    let mut group = c.benchmark_group("nop");
    let rt = match ringaio::Runtime::builder().entries(256).build() {
        Ok(rt) if rt.backend() == ringaio::Backend::Uring => rt,
        _ => {
            eprintln!("skipping nop/ringaio: no io_uring here");
            return;
        }
    };
    for batch in BATCHES {
        group.throughput(Throughput::Elements(1));
        group.bench_with_input(BenchmarkId::new("ringaio", batch), &batch, |b, &batch| {
            b.iter_custom(|iters| {
                let batches = iters.div_ceil(u64::from(batch)).max(1);
                let start = Instant::now();
                rt.block_on(async {
                    let mut ops = Vec::with_capacity(batch as usize);
                    for _ in 0..batches {
                        ops.extend((0..batch).map(|_| Some(ringaio::nop())));
                        join_unpin(&mut ops).await;
                        ops.clear();
                    }
                });
                let done = batches * u64::from(batch);
                start.elapsed().mul_f64(iters as f64 / done as f64)
            });
        });
    }
    group.finish();
}

#[cfg(not(feature = "ringaio-engine"))]
fn ringaio_nop(_: &mut Criterion) {}

criterion_group!(benches, uring_nop, ringaio_nop);
criterion_main!(benches);
