//! Wakes from plain std threads reach a parked runtime: the main future of `block_on` and
//! spawned tasks both complete when another thread completes what they wait for.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use futures::channel::oneshot;
use ringaio::Backend;
use ringaio_tests::{runtime, watchdog, BACKENDS};

/// The main future waits on a channel that a std thread fills after a short sleep: the
/// runtime has nothing else to do and parks in the kernel until the wake.
fn main_future_woken(backend: Backend) {
    let rt = runtime(backend);
    let out = rt.block_on(async {
        let (tx, rx) = oneshot::channel();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            tx.send(42u32).expect("receiver alive");
        });
        let got = rx.await.expect("sender sent");
        sender.join().expect("sender thread");
        got
    });
    assert_eq!(out, 42);
}

/// A spawned task waits on the channel while the main future waits on the task's handle.
fn spawned_task_woken(backend: Backend) {
    let rt = runtime(backend);
    let (tx, rx) = oneshot::channel();
    let task = rt.spawn(async move { rx.await.map(|v: u32| v + 1) });
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        tx.send(41).expect("receiver alive");
    });
    let out = rt.block_on(task).expect("task ran");
    assert_eq!(out, Ok(42));
    sender.join().expect("sender thread");
}

/// Many round trips with no sleep: each wake may land before, during or after the park.
fn ping_pong(backend: Backend) {
    const ROUNDS: u32 = 2_000;
    let rt = runtime(backend);
    rt.block_on(async {
        let (to_thread, from_runtime) = std::sync::mpsc::channel::<(u32, oneshot::Sender<u32>)>();
        let echo = thread::spawn(move || {
            for (v, reply) in from_runtime {
                let _ = reply.send(v * 2);
            }
        });
        for i in 0..ROUNDS {
            let (tx, rx) = oneshot::channel();
            to_thread.send((i, tx)).expect("echo thread alive");
            assert_eq!(rx.await, Ok(i * 2));
        }
        drop(to_thread);
        echo.join().expect("echo thread");
    });
}

/// Eight std threads each ping-pong with a spawned task of their own, with no I/O in
/// flight: every wake of a task comes from another thread, often while the runtime is
/// taking the remote queue or parking. Every round trip must complete.
fn tasks_ping_pong_with_threads(backend: Backend) {
    const THREADS: u32 = 8;
    const ROUNDS: u32 = 2_000;
    let rt = runtime(backend);
    rt.block_on(async {
        let mut threads = Vec::new();
        let mut tasks = Vec::new();
        for t in 0..THREADS {
            let (to_task, mut from_thread) = futures::channel::mpsc::unbounded::<u32>();
            let (to_thread, from_task) = std::sync::mpsc::channel::<u32>();
            tasks.push(ringaio::spawn(async move {
                let mut seen = 0u32;
                while let Some(v) = futures::StreamExt::next(&mut from_thread).await {
                    to_thread.send(v + 1).expect("thread alive");
                    seen += 1;
                }
                seen
            }));
            threads.push(thread::spawn(move || {
                for i in 0..ROUNDS {
                    to_task.unbounded_send(t * ROUNDS + i).expect("task alive");
                    let back = from_task.recv().expect("task replies");
                    assert_eq!(back, t * ROUNDS + i + 1);
                }
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task"), ROUNDS);
        }
        for t in threads {
            t.join().expect("thread");
        }
    });
}

/// Pending forever, handing its waker to whoever holds the slot.
struct Stash(Arc<Mutex<Option<Waker>>>);

impl Future for Stash {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.lock().expect("waker slot") = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A std thread keeps a task's waker past the runtime's end, then wakes and drops it: the
/// task is gone, so nothing may run or be dropped on that thread, and nothing may crash.
fn wake_after_runtime_drop(backend: Backend) {
    let rt = runtime(backend);
    let slot = Arc::new(Mutex::new(None::<Waker>));
    let stash = Stash(slot.clone());
    let local = std::rc::Rc::new(5u8);
    let task = rt.spawn(async move {
        stash.await;
        *local
    });
    rt.block_on(async {
        ringaio_tests::wait_until("the task to stash its waker", || {
            slot.lock().expect("waker slot").is_some()
        })
        .await;
    });
    let waker = slot.lock().expect("waker slot").take().expect("stashed");
    drop(rt);
    let late = thread::spawn(move || {
        waker.wake_by_ref();
        waker.wake();
    });
    late.join()
        .expect("waking a dead runtime's task must not panic");
    let out = futures::executor::block_on(task);
    assert!(out.is_err_and(|e| e.is_cancelled()));
}

#[test]
fn waking_after_the_runtime_is_gone_is_harmless() {
    for backend in BACKENDS {
        watchdog("wake-after-drop", move || wake_after_runtime_drop(backend));
    }
}

#[test]
fn std_thread_wakes_the_main_future() {
    for backend in BACKENDS {
        watchdog("main-future-woken", move || main_future_woken(backend));
    }
}

#[test]
fn std_thread_wakes_a_spawned_task() {
    for backend in BACKENDS {
        watchdog("spawned-task-woken", move || spawned_task_woken(backend));
    }
}

#[test]
fn many_cross_thread_wakes() {
    for backend in BACKENDS {
        watchdog("ping-pong", move || ping_pong(backend));
    }
}

#[test]
fn std_threads_ping_pong_with_their_own_tasks() {
    for backend in BACKENDS {
        watchdog("tasks-ping-pong", move || {
            tasks_ping_pong_with_threads(backend)
        });
    }
}
