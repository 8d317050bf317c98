//! NOP round trip per operation through the raw io-uring crate: push N NOPs, one
//! `submit_and_wait(N)`, reap N, for N = 1, 32 and 128. One criterion iteration is one
//! NOP, so the reported time is the cost of one operation at that batch size.
//!
//! Run: `cargo bench -p ringaio-benches --bench nop`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use io_uring::{opcode, IoUring};

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
            b.iter_custom(|iters| per_op(iters, batch, || round_trip(&mut ring, batch)));
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

/// Pushes `batch` NOPs, submits them with one syscall that waits for all, reaps them.
fn round_trip(ring: &mut IoUring, batch: u32) {
    let nop = opcode::Nop::new().build().user_data(0x42);
    {
        let mut sq = ring.submission();
        for _ in 0..batch {
            // SAFETY: a NOP references no memory.
            unsafe { sq.push(&nop) }.expect("the ring has room for a whole batch");
        }
    }
    ring.submit_and_wait(batch as usize)
        .expect("submit_and_wait");
    let mut reaped = 0;
    while reaped < batch {
        for cqe in ring.completion() {
            black_box(cqe.result());
            reaped += 1;
        }
    }
}

// ringaio_nop: the same measurement through `ringaio::nop().await` goes here, behind
// `#[cfg(feature = "ringaio-engine")]`, once the runtime exists: build one
// `ringaio::Runtime`, and for each batch size pass `per_op` a closure that runs
// `rt.block_on(...)` over `batch` `ringaio::nop()` futures joined together (so that all
// `batch` are in flight at once), then add `ringaio_nop` to `criterion_group!` below.

criterion_group!(benches, uring_nop);
criterion_main!(benches);
