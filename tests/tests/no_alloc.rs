//! No heap allocation per operation in steady state: after a warm-up, 10,000 `read_at` +
//! `write_at` pairs with one reused buffer, awaited one after the other in `block_on`,
//! allocate nothing, on either backend.
//!
//! A counting global allocator counts every allocation in the process while the flag is on,
//! so the blocking pool's threads count too. That is why this file has no test harness
//! (`harness = false` in Cargo.toml): libtest's own threads would allocate beside it. Set
//! `NO_ALLOC_TRACE=1` to print a backtrace for every counted allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::TempPath;

/// Counts allocations (not frees) made while `COUNTING` is on.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// Print a backtrace for each counted allocation.
static TRACE: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Set while this thread prints a backtrace: its own allocations are not counted.
    static TRACING: Cell<bool> = const { Cell::new(false) };
}

impl Counting {
    fn count(&self) {
        if !COUNTING.load(Ordering::Relaxed) || TRACING.with(Cell::get) {
            return;
        }
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        if TRACE.load(Ordering::Relaxed) {
            TRACING.with(|t| t.set(true));
            eprintln!(
                "allocation on thread {:?}:\n{}",
                std::thread::current().name(),
                std::backtrace::Backtrace::force_capture()
            );
            TRACING.with(|t| t.set(false));
        }
    }
}

// SAFETY: every call is passed to `System` unchanged; counting touches only atomics and a
// const-initialized thread-local (which does not allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: the caller's obligations for `alloc` are passed on as they are.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        // SAFETY: `ptr` came from this allocator, which is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, which is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const NAME: &str = "steady_state_operations_do_not_allocate";
const BLOCK: usize = 4096;
const BLOCKS: u64 = 64;
const WARM_UP: usize = 1_000;
const MEASURED: usize = 10_000;

/// Allocations made by `MEASURED` read + write pairs on `rt`, after a warm-up.
fn allocations(rt: &Runtime) -> usize {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "no-alloc");
    std::fs::write(tmp.path(), vec![7u8; BLOCK * BLOCKS as usize]).expect("std write");
    rt.block_on(async {
        let file = File::options()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .expect("open");
        let mut buf = Vec::with_capacity(BLOCK);
        for i in 0..WARM_UP {
            let pos = (i as u64 % BLOCKS) * BLOCK as u64;
            let (res, b) = file.read_at(buf, pos).await;
            assert_eq!(res.expect("warm-up read"), BLOCK);
            let (res, b) = file.write_at(b, pos).await;
            assert_eq!(res.expect("warm-up write"), BLOCK);
            buf = b;
        }
        ALLOCATIONS.store(0, Ordering::SeqCst);
        COUNTING.store(true, Ordering::SeqCst);
        for i in 0..MEASURED {
            let pos = (i as u64 % BLOCKS) * BLOCK as u64;
            let (res, b) = file.read_at(buf, pos).await;
            let read = res.is_ok_and(|n| n == BLOCK);
            let (res, b) = file.write_at(b, pos).await;
            let wrote = res.is_ok_and(|n| n == BLOCK);
            buf = b;
            if !(read && wrote) {
                COUNTING.store(false, Ordering::SeqCst);
                panic!("operation pair {i} failed or was short");
            }
        }
        COUNTING.store(false, Ordering::SeqCst);
    });
    ALLOCATIONS.load(Ordering::SeqCst)
}

fn steady_state_operations_do_not_allocate() {
    TRACE.store(
        std::env::var_os("NO_ALLOC_TRACE").is_some(),
        Ordering::SeqCst,
    );
    // The counter itself works: it sees a Box.
    ALLOCATIONS.store(0, Ordering::SeqCst);
    COUNTING.store(true, Ordering::SeqCst);
    drop(std::hint::black_box(Box::new(1u64)));
    COUNTING.store(false, Ordering::SeqCst);
    assert_eq!(
        ALLOCATIONS.load(Ordering::SeqCst),
        1,
        "the counter sees allocations"
    );

    let uring = ringaio_tests::runtime(Backend::Uring);
    // The blocking pool starts threads lazily, up to `pool_threads`, and a worker counts as
    // idle only some time after it has posted its completion: a strictly sequential loop
    // now and then finds none idle and starts another thread (a `format!`ed name and a
    // `thread::Builder::spawn`, ~8 allocations; see pool.rs `Pool::submit`). That growth is
    // bounded and not per operation; with one thread the pool is at its full size from the
    // first operation, so steady state is reached within the warm-up.
    let fallback = Runtime::builder()
        .backend(Backend::Fallback)
        .pool_threads(1)
        .build()
        .expect("fallback runtime");
    let mut report = Vec::new();
    for (backend, rt) in [(Backend::Uring, uring), (Backend::Fallback, fallback)] {
        let n = allocations(&rt);
        report.push(format!("{backend:?}: {n} allocations"));
    }
    let all_zero = report.iter().all(|r| r.ends_with(": 0 allocations"));
    assert!(
        all_zero,
        "{MEASURED} read_at + write_at pairs should not allocate: {} \
         (NO_ALLOC_TRACE=1 prints where)",
        report.join(", ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("{NAME}: test");
        return;
    }
    // Honour a name filter (`cargo test -p ringaio-tests some_name`) and `--ignored`; skip
    // the values of libtest options that take one.
    const WITH_VALUE: [&str; 7] = [
        "--test-threads",
        "--skip",
        "--format",
        "--color",
        "--logfile",
        "--shuffle-seed",
        "-Z",
    ];
    let mut filters = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if WITH_VALUE.contains(&arg.as_str()) {
            rest.next();
        } else if !arg.starts_with('-') {
            filters.push(arg);
        }
    }
    let filtered_out = !filters.is_empty() && !filters.iter().any(|f| NAME.contains(f.as_str()));
    if filtered_out || args.iter().any(|a| a == "--ignored") {
        println!("test {NAME} ... filtered out");
        return;
    }
    steady_state_operations_do_not_allocate();
    println!("test {NAME} ... ok");
}
