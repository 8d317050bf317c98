//! Wakes between runtimes on two threads: the wakes go through the target's queue and the
//! notification that ends its park travels as an `IORING_OP_MSG_RING` message from the
//! waking runtime's ring (a CQE on the parked one). A storm of 1,000,000 wakes loses none
//! (every pair of tasks needs every wake to finish), on io_uring, on the fallback, mixed,
//! and with messages off on one side (as on a kernel without `MSG_RING`): then no message
//! goes by ring, and the eventfd wakes the parked runtime.

use std::future::poll_fn;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Poll, Waker};
use std::thread;

use ringaio::{Backend, Runtime, Stats};
use ringaio_tests::{runtime, say, watchdog};

/// Pairs of tasks, one on each runtime, that hand a turn back and forth.
const PAIRS: usize = 1000;
/// Turns each pair plays: every turn is one cross-thread wake.
const TURNS: u32 = 1000;

/// Whose turn it is (`turn % 2` is the side) and each side's waker.
struct Pair {
    turn: AtomicU32,
    wakers: [Mutex<Option<Waker>>; 2],
}

/// Side `side` of `pair`: waits for its turn, passes it on and wakes the other side, until
/// `TURNS` turns have been played.
async fn play(pair: Arc<Pair>, side: u32) -> u32 {
    let mut mine = 0;
    loop {
        let turn = poll_fn(|cx| {
            // Registered before the check: a wake after the check finds the waker.
            *pair.wakers[side as usize].lock().expect("lock") = Some(cx.waker().clone());
            let turn = pair.turn.load(Ordering::SeqCst);
            if turn >= TURNS || turn % 2 == side {
                Poll::Ready(turn)
            } else {
                Poll::Pending
            }
        })
        .await;
        if turn >= TURNS {
            return mine;
        }
        pair.turn.store(turn + 1, Ordering::SeqCst);
        mine += 1;
        let other = pair.wakers[1 - side as usize].lock().expect("lock").clone();
        if let Some(waker) = other {
            waker.wake();
        }
    }
}

/// Runs side `side` of every pair on a runtime of its own on this thread; the turns it
/// played and its runtime's counters.
fn side(setup: Setup, pairs: Vec<Arc<Pair>>, side: u32, start: Arc<Barrier>) -> (u32, Stats) {
    let (backend, msg_ring) = setup;
    let rt = if msg_ring {
        runtime(backend)
    } else {
        Runtime::builder()
            .backend(backend)
            .msg_ring(false)
            .build()
            .expect("runtime")
    };
    start.wait();
    let played = rt.block_on(async move {
        let tasks: Vec<_> = pairs
            .into_iter()
            .map(|pair| ringaio::spawn(play(pair, side)))
            .collect();
        let mut played = 0;
        for task in tasks {
            played += task.await.expect("task");
        }
        played
    });
    (played, rt.stats())
}

/// A side's backend, and whether its runtime may use ring messages.
type Setup = (Backend, bool);

/// Plays the storm on runtimes set up as `backends`; the runtimes' counters.
fn storm(backends: [Setup; 2]) -> [Stats; 2] {
    watchdog("msg_ring_storm", move || {
        let pairs: Vec<_> = (0..PAIRS)
            .map(|_| {
                Arc::new(Pair {
                    turn: AtomicU32::new(0),
                    wakers: [Mutex::new(None), Mutex::new(None)],
                })
            })
            .collect();
        let start = Arc::new(Barrier::new(2));
        let threads: Vec<_> = (0..2u32)
            .map(|s| {
                let (pairs, start) = (pairs.clone(), start.clone());
                let backend = backends[s as usize];
                thread::spawn(move || side(backend, pairs, s, start))
            })
            .collect();
        let out: Vec<_> = threads
            .into_iter()
            .map(|t| t.join().expect("side thread"))
            .collect();
        let played: u32 = out.iter().map(|o| o.0).sum();
        assert_eq!(played as usize, PAIRS * TURNS as usize, "every turn played");
        for pair in &pairs {
            assert_eq!(pair.turn.load(Ordering::SeqCst), TURNS);
        }
        [out[0].1, out[1].1]
    })
}

fn uses_ring(stats: &Stats) -> bool {
    stats.messages_sent > 0
}

#[test]
fn a_million_wakes_notified_by_ring_lose_none() {
    let [a, b] = storm([(Backend::Uring, true), (Backend::Uring, true)]);
    say!(
        "messages sent {} / {}, received {} / {}, refused {} / {}",
        a.messages_sent,
        b.messages_sent,
        a.messages_received,
        b.messages_received,
        a.messages_refused,
        b.messages_refused
    );
    if !uses_ring(&a) && !uses_ring(&b) {
        say!("skipped: MSG_RING checks: no message went by ring (no io_uring, or no IORING_OP_MSG_RING)");
        return;
    }
    // Every message sent was received by the other ring or refused and delivered slowly.
    assert_eq!(
        a.messages_sent,
        b.messages_received + a.messages_refused,
        "a -> b"
    );
    assert_eq!(
        b.messages_sent,
        a.messages_received + b.messages_refused,
        "b -> a"
    );
}

#[test]
fn a_million_wakes_on_the_fallback_lose_none() {
    let [a, b] = storm([(Backend::Fallback, true), (Backend::Fallback, true)]);
    assert_eq!(a.messages_sent + b.messages_sent, 0, "no ring, no message");
}

/// One side without a ring: neither side sends by ring (the ring side's target has no
/// mailbox), and the queue and the eventfd deliver every wake.
#[test]
fn a_million_wakes_between_a_ring_and_the_fallback_lose_none() {
    let [a, b] = storm([(Backend::Uring, true), (Backend::Fallback, true)]);
    assert_eq!(
        a.messages_sent + b.messages_sent,
        0,
        "fallback side has no mailbox"
    );
    assert_eq!(a.messages_received + b.messages_received, 0);
}

/// One side with messages off (what a kernel without `MSG_RING` gives): it neither sends
/// nor receives by ring, so neither does the other side.
#[test]
fn a_million_wakes_with_messages_off_on_one_side_lose_none() {
    let [a, b] = storm([(Backend::Uring, true), (Backend::Uring, false)]);
    assert_eq!(
        a.messages_sent + b.messages_sent,
        0,
        "side b takes no message"
    );
    assert_eq!(a.messages_received + b.messages_received, 0);
}

/// Spawns from one pool thread onto the other (their notification goes by ring) and the
/// join wakes coming back (by ring too): all 20,000 complete, on both backends.
#[test]
fn spawns_between_pool_threads_by_ring_lose_none() {
    const SPAWNS: usize = 20_000;
    for backend in ringaio_tests::BACKENDS {
        watchdog("spawns_between_pool_threads", move || {
            let pool = ringaio_tests::pool(backend, 2);
            let other = pool.handle(1).expect("thread 1").clone();
            let sum = pool.spawn_on(0, move || async move {
                let mut handles = Vec::with_capacity(SPAWNS);
                for i in 0..SPAWNS {
                    handles.push(other.spawn(move || async move { i }));
                }
                let mut sum = 0;
                for handle in handles {
                    sum += handle.await.expect("spawned task");
                }
                sum
            });
            let sum = futures::executor::block_on(sum).expect("task");
            assert_eq!(sum, SPAWNS * (SPAWNS - 1) / 2);
            pool.shutdown().expect("shutdown");
        });
    }
}
