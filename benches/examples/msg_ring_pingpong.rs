//! Wakes between two runtimes on two threads, by ring message (`IORING_OP_MSG_RING`) against
//! the cross-thread queue and eventfd (`Builder::msg_ring(false)`), interleaved: `PAIRS`
//! pairs of tasks, one on each runtime, hand a turn back and forth, every turn one
//! cross-thread wake. Prints, per run, wakes per second and wakes per CPU-second (the
//! process's user + system time: the figure a shared machine's scheduling moves least).
//!
//! ```sh
//! cargo build -p ringaio-benches --release --example msg_ring_pingpong
//! target/release/examples/msg_ring_pingpong [runs] [turns per pair]
//! ```

use std::future::poll_fn;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use ringaio::Runtime;

const PAIRS: usize = 256;

struct Pair {
    turn: AtomicU32,
    wakers: [Mutex<Option<Waker>>; 2],
}

async fn play(pair: Arc<Pair>, side: u32, turns: u32) {
    loop {
        let turn = poll_fn(|cx| {
            let mut mine = pair.wakers[side as usize].lock().expect("lock");
            if !mine.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *mine = Some(cx.waker().clone());
            }
            drop(mine);
            let turn = pair.turn.load(Ordering::SeqCst);
            if turn >= turns || turn % 2 == side {
                Poll::Ready(turn)
            } else {
                Poll::Pending
            }
        })
        .await;
        if turn >= turns {
            return;
        }
        pair.turn.store(turn + 1, Ordering::SeqCst);
        let other = pair.wakers[1 - side as usize].lock().expect("lock").clone();
        if let Some(waker) = other {
            waker.wake();
        }
    }
}

/// CPU time (user + system) of the whole process so far.
fn cpu_time() -> Duration {
    // SAFETY: `usage` is a live rusage the call fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF covers every thread.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One run; (wakes per second, wakes per CPU-second, messages sent by ring).
fn run(msg_ring: bool, turns: u32) -> (f64, f64, u64) {
    let pairs: Vec<_> = (0..PAIRS)
        .map(|_| {
            Arc::new(Pair {
                turn: AtomicU32::new(0),
                wakers: [Mutex::new(None), Mutex::new(None)],
            })
        })
        .collect();
    let ready = Arc::new(Barrier::new(3));
    let go = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2u32)
        .map(|side| {
            let (pairs, ready, go) = (pairs.clone(), ready.clone(), go.clone());
            std::thread::spawn(move || {
                let rt = Runtime::builder()
                    .msg_ring(msg_ring)
                    .build()
                    .expect("runtime");
                ready.wait();
                go.wait();
                rt.block_on(async move {
                    let tasks: Vec<_> = pairs
                        .into_iter()
                        .map(|p| ringaio::spawn(play(p, side, turns)))
                        .collect();
                    for t in tasks {
                        t.await.expect("task");
                    }
                });
                rt.stats().messages_sent
            })
        })
        .collect();
    ready.wait();
    let (t0, c0) = (Instant::now(), cpu_time());
    go.wait();
    let sent: u64 = threads.into_iter().map(|t| t.join().expect("side")).sum();
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), (cpu_time() - c0).as_secs_f64());
    let wakes = (PAIRS as f64) * f64::from(turns);
    (wakes / secs, wakes / cpu, sent)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let turns: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let mut ratios = Vec::new();
    for i in 0..runs {
        let (ring_rate, ring_cpu, sent) = run(true, turns);
        let (fd_rate, fd_cpu, _) = run(false, turns);
        println!(
            "run {i}: ring {ring_rate:>9.0} wakes/s {ring_cpu:>9.0} wakes/CPU-s ({sent} by ring) \
             | eventfd {fd_rate:>9.0} wakes/s {fd_cpu:>9.0} wakes/CPU-s"
        );
        ratios.push((ring_rate / fd_rate, ring_cpu / fd_cpu));
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[0], v[v.len() - 1])
    };
    let (r, rlo, rhi) = median(ratios.iter().map(|r| r.0).collect());
    let (c, clo, chi) = median(ratios.iter().map(|r| r.1).collect());
    println!("ring / eventfd: wakes/s {r:.2}x ({rlo:.2}-{rhi:.2}), wakes/CPU-s {c:.2}x ({clo:.2}-{chi:.2})");
}
