//! Exactly `N` NOPs through one path, for instruction counts under callgrind (reproducible
//! where wall-clock time on a shared machine is not) and a quick time per op:
//!
//! ```sh
//! cargo build -p ringaio-benches --release --example nop_count
//! valgrind --tool=callgrind target/release/examples/nop_count ringaio-join 100000
//! target/release/examples/nop_count raw-tuned 10000000
//! ```
//!
//! Paths: `raw` (the io-uring crate, default ring flags, batches of 32 and one
//! `submit_and_wait(32)`), `raw-tuned` (the same with SINGLE_ISSUER and DEFER_TASKRUN),
//! `raw-nosqarray` (and NO_SQARRAY: ringaio's ring flags), `raw-regring` (and entering
//! through a registered ring fd, as ringaio does), `ringaio-join` (32 `ringaio::nop()` futures joined in one
//! task, as the criterion bench does) and `ringaio-tasks` (32 tasks, each awaiting one NOP at
//! a time, as `ringaio-bench --rw nop` does). `ringaio-read` is `ringaio-tasks` with 4 KiB
//! reads of a 1 MiB cached file into `AlignedBuf`s instead of NOPs (user-space instructions
//! only: callgrind does not count the kernel's); `ringaio-read-vec` the same into `Vec<u8>`s.

use std::time::Instant;

use io_uring::IoUring;

#[path = "../src/nop_paths.rs"]
mod nop_paths;
use nop_paths::{join_unpin, raw_round_trip};

const BATCH: u32 = 32;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "ringaio-join".to_owned());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let batches = n.div_ceil(u64::from(BATCH));
    let start = Instant::now();
    match path.as_str() {
        "raw" => raw(IoUring::new(256).expect("io_uring"), batches),
        "raw-tuned" => raw(tuned_ring(false), batches),
        "raw-nosqarray" => raw(tuned_ring(true), batches),
        "raw-regring" => raw_regring(tuned_ring(true), batches),
        "ringaio-join" => ringaio_join(batches),
        "ringaio-tasks" => ringaio_tasks(batches),
        "ringaio-read" => ringaio_read(batches, false),
        "ringaio-read-vec" => ringaio_read(batches, true),
        other => {
            eprintln!(
                "unknown path {other}: raw, raw-tuned, raw-nosqarray, raw-regring, ringaio-join, \
                 ringaio-tasks, ringaio-read, ringaio-read-vec"
            );
            std::process::exit(2);
        }
    }
    let ops = batches * u64::from(BATCH);
    let per_op = start.elapsed().as_nanos() as f64 / ops as f64;
    println!("{path}: {ops} NOPs, {per_op:.1} ns per op");
}

/// A ring with the flags ringaio sets up: SINGLE_ISSUER, DEFER_TASKRUN, and NO_SQARRAY when
/// `no_sqarray`.
fn tuned_ring(no_sqarray: bool) -> IoUring {
    let mut builder = IoUring::builder();
    builder.setup_single_issuer().setup_defer_taskrun();
    if no_sqarray {
        builder.setup_no_sqarray();
    }
    builder.build(256).expect("io_uring with ringaio's flags")
}

fn raw(mut ring: IoUring, batches: u64) {
    for _ in 0..batches {
        raw_round_trip(&mut ring, BATCH);
    }
}

/// `raw-nosqarray` entering through a registered ring fd (no fd lookup per enter).
fn raw_regring(mut ring: IoUring, batches: u64) {
    let (mut submitter, mut sq, mut cq) = ring.split();
    submitter
        .register_ring_fd()
        .expect("IORING_REGISTER_RING_FDS");
    let nop = io_uring::opcode::Nop::new().build().user_data(0x42);
    for _ in 0..batches {
        for _ in 0..BATCH {
            // SAFETY: a NOP references no memory.
            unsafe { sq.push(&nop) }.expect("room for a batch");
        }
        sq.sync();
        submitter.submit_and_wait(BATCH as usize).expect("enter");
        cq.sync();
        for cqe in &mut cq {
            std::hint::black_box(cqe.result());
        }
    }
}

fn ringaio_join(batches: u64) {
    let rt = ringaio::Runtime::builder()
        .entries(256)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut ops = Vec::with_capacity(BATCH as usize);
        for _ in 0..batches {
            ops.extend((0..BATCH).map(|_| Some(ringaio::nop())));
            join_unpin(&mut ops).await;
            ops.clear();
        }
    });
}

fn ringaio_tasks(batches: u64) {
    let rt = ringaio::Runtime::builder()
        .entries(256)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let tasks: Vec<_> = (0..BATCH)
            .map(|_| {
                ringaio::spawn(async move {
                    for _ in 0..batches {
                        ringaio::nop().await.expect("nop");
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
}

fn ringaio_read(batches: u64, vec: bool) {
    const FILE_BLOCKS: u64 = 256;
    let path = std::env::temp_dir().join(format!("ringaio-nop-count-{}", std::process::id()));
    std::fs::write(&path, vec![7u8; FILE_BLOCKS as usize * 4096]).expect("test file");
    let rt = ringaio::Runtime::builder()
        .entries(256)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let file = std::rc::Rc::new(ringaio::fs::File::open(&path).await.expect("open"));
        let tasks: Vec<_> = (0..u64::from(BATCH))
            .map(|t| {
                let file = file.clone();
                ringaio::spawn(async move {
                    if vec {
                        read_loop(&file, vec![0u8; 4096], t, batches).await;
                    } else {
                        let buf = ringaio::buf::AlignedBuf::new(4096, 4096).expect("buf");
                        read_loop(&file, buf, t, batches).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("task");
        }
    });
    let _ = std::fs::remove_file(path);
}

/// `batches` 4 KiB reads into `buf`, one at a time, at offsets spread by the task number.
async fn read_loop<B: ringaio::buf::IoBufMut>(
    file: &ringaio::fs::File,
    mut buf: B,
    t: u64,
    batches: u64,
) {
    const FILE_BLOCKS: u64 = 256;
    for i in 0..batches {
        let pos = (t * 31 + i * 17) % FILE_BLOCKS * 4096;
        let (res, back) = file.read_at(buf, pos).await;
        assert_eq!(res.expect("read"), 4096);
        buf = back;
    }
}
