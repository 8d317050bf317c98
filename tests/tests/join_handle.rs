//! `JoinHandle`: a panicking task reports the panic and the runtime carries on; an aborted
//! task reports cancellation without waiting for what it slept on; tasks dropped with their
//! runtime report cancellation; `block_on` inside `block_on` panics with a clear message.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use ringaio::{Backend, JoinError, JoinHandle};
use ringaio_tests::{runtime, wait_until, watchdog, BACKENDS};

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<non-string payload>".to_owned())
}

fn panicking_task(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let steady = ringaio::spawn(async {
            for _ in 0..10 {
                ringaio::time::sleep(Duration::from_millis(1))
                    .await
                    .expect("sleep");
            }
            "steady"
        });
        let bad = ringaio::spawn(async {
            ringaio::time::sleep(Duration::from_millis(2))
                .await
                .expect("sleep");
            if true {
                panic!("task boom");
            }
            7u32
        });
        let err: JoinError = bad.await.expect_err("the task panicked");
        assert!(err.is_panic(), "{err:?}");
        assert!(!err.is_cancelled());
        let payload = err.into_panic().expect("payload");
        assert_eq!(panic_text(&*payload), "task boom");
        // The runtime keeps running the other tasks, old and new.
        assert_eq!(steady.await.expect("steady task"), "steady");
        let after = ringaio::spawn(async { 5u32 });
        assert_eq!(after.await.expect("task spawned after the panic"), 5);
    });
    assert_eq!(rt.block_on(async { 9 }), 9, "the runtime is still usable");
}

fn abort_sleeping_task(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let sleeper = ringaio::spawn(async {
            ringaio::time::sleep(Duration::from_secs(60))
                .await
                .expect("sleep");
            "woke up"
        });
        // Let it start and its timer reach the kernel.
        wait_until("the timer to be in flight", || rt.stats().in_flight >= 1).await;
        assert!(!sleeper.is_finished());
        sleeper.abort();
        let err = sleeper.await.expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!err.is_panic());
        // The 60 s timer was cancelled, not left behind.
        wait_until("the cancelled timer to complete", || rt.stats().slots == 0).await;
    });
}

/// The handle moved to a plain std thread, aborted and awaited there while the runtime is
/// parked: the runtime thread drops the task's future and the other thread sees the result.
fn abort_from_another_thread(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let sleeper = ringaio::spawn(async {
            ringaio::time::sleep(Duration::from_secs(60))
                .await
                .expect("sleep");
        });
        wait_until("the timer to be in flight", || rt.stats().in_flight >= 1).await;
        let (tx, rx) = futures::channel::oneshot::channel();
        let aborter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            sleeper.abort();
            let out = futures::executor::block_on(sleeper);
            let _ = tx.send(out.map_err(|e| e.is_cancelled()));
        });
        let out = rx.await.expect("the aborter reports");
        assert_eq!(out, Err(true), "cancelled");
        aborter.join().expect("aborter thread");
        wait_until("the cancelled timer to complete", || rt.stats().slots == 0).await;
    });
}

fn abort_before_first_poll(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let ran = Rc::new(Cell::new(false));
        let flag = ran.clone();
        let task = ringaio::spawn(async move { flag.set(true) });
        task.abort();
        let err: JoinError = task.await.expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        assert!(!ran.get(), "an aborted task never runs");
    });
}

/// Spawned and aborted outside `block_on`, on the runtime's thread: the task never runs.
fn abort_outside_block_on(backend: Backend) {
    let rt = runtime(backend);
    let ran = Rc::new(Cell::new(false));
    let flag = ran.clone();
    let task = rt.spawn(async move { flag.set(true) });
    task.abort();
    let err = rt.block_on(task).expect_err("aborted");
    assert!(err.is_cancelled(), "{err:?}");
    assert!(!ran.get(), "an aborted task never runs");
}

fn runtime_drop_cancels_tasks(backend: Backend) {
    let rt = runtime(backend);
    let sleeper = rt.spawn(async {
        ringaio::time::sleep(Duration::from_secs(60))
            .await
            .expect("sleep");
    });
    let quick = rt.spawn(async { 1 });
    rt.block_on(async {
        wait_until("the timer to be in flight", || rt.stats().in_flight >= 1).await;
    });
    drop(rt);
    let err = futures::executor::block_on(sleeper).expect_err("dropped with the runtime");
    assert!(err.is_cancelled(), "{err:?}");
    // The other task finished during the block_on: its value is kept for the handle.
    assert_eq!(futures::executor::block_on(quick).ok(), Some(1));
}

fn nested_block_on(backend: Backend) {
    let rt = runtime(backend);
    let inner = runtime(backend);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { inner.block_on(async { 1 }) })
    }));
    let payload = caught.expect_err("block_on inside block_on must panic");
    let text = panic_text(&*payload);
    assert!(
        text.contains("block_on"),
        "the message names block_on: {text:?}"
    );

    let caught = catch_unwind(AssertUnwindSafe(|| {
        rt.block_on(async { ringaio::block_on(async { 2 }) })
    }));
    let payload = caught.expect_err("ringaio::block_on inside block_on must panic");
    let text = panic_text(&*payload);
    assert!(
        text.contains("block_on"),
        "the message names block_on: {text:?}"
    );

    // Both runtimes are still usable after the panics unwound through them.
    assert_eq!(rt.block_on(async { 3 }), 3);
    assert_eq!(inner.block_on(async { 4 }), 4);
}

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

/// A task aborts its own handle while it runs, then awaits a NOP: it is not polled again
/// (the code after the await never runs), its future is dropped, its handle reports
/// `Cancelled`, and the NOP's slot is released.
fn abort_self_while_running(backend: Backend) {
    let rt = runtime(backend);
    rt.block_on(async {
        let me: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
        let (after, dropped) = (Rc::new(Cell::new(false)), Rc::new(Cell::new(false)));
        let task = {
            let (me, after, guard) = (me.clone(), after.clone(), DropFlag(dropped.clone()));
            ringaio::spawn(async move {
                let _guard = guard;
                if let Some(handle) = me.borrow().as_ref() {
                    handle.abort();
                }
                ringaio::nop().await.expect("nop");
                after.set(true);
            })
        };
        *me.borrow_mut() = Some(task);
        wait_until("the aborted task to be dropped", || dropped.get()).await;
        assert!(!after.get(), "an aborted task is not polled again");
        let task = me.borrow_mut().take().expect("handle");
        assert!(task.is_finished());
        let err = task.await.expect_err("aborted");
        assert!(err.is_cancelled(), "{err:?}");
        wait_until("the NOP's slot to be released", || rt.stats().slots == 0).await;
    });
}

/// The future of an aborted task spawns a task and wakes another from its `Drop`, while the
/// executor is dropping it: both run, and the token it frees is reused without confusion.
fn spawn_and_wake_from_drop(backend: Backend) {
    struct OnDrop(Option<Box<dyn FnOnce()>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let rt = runtime(backend);
    rt.block_on(async {
        let spawned_ran = Rc::new(Cell::new(false));
        let (tx, rx) = futures::channel::oneshot::channel::<u32>();
        let waiter = ringaio::spawn(async move { rx.await.expect("sent from a drop") + 1 });
        let victim = {
            let ran = spawned_ran.clone();
            let on_drop = OnDrop(Some(Box::new(move || {
                drop(ringaio::spawn(async move { ran.set(true) }));
                tx.send(41).expect("waiter alive");
            })));
            ringaio::spawn(async move {
                let _on_drop = on_drop;
                ringaio::time::sleep(Duration::from_secs(60))
                    .await
                    .expect("sleep");
            })
        };
        wait_until("the victim's timer to be in flight", || {
            rt.stats().in_flight >= 1
        })
        .await;
        victim.abort();
        assert_eq!(waiter.await.expect("waiter"), 42, "woken from the drop");
        wait_until("the task spawned from the drop to run", || {
            spawned_ran.get()
        })
        .await;
        assert!(victim.await.expect_err("aborted").is_cancelled());
        // Tokens freed by the three finished tasks are reused by new ones.
        let again: Vec<_> = (0..4u32)
            .map(|i| ringaio::spawn(async move { i * 2 }))
            .collect();
        let mut sum = 0;
        for t in again {
            sum += t.await.expect("task");
        }
        assert_eq!(sum, 12);
    });
}

#[test]
fn panicking_task_gives_is_panic_and_runtime_carries_on() {
    for backend in BACKENDS {
        watchdog("panicking-task", move || panicking_task(backend));
    }
}

#[test]
fn abort_of_a_sleeping_task_gives_is_cancelled() {
    for backend in BACKENDS {
        watchdog("abort-sleeping", move || abort_sleeping_task(backend));
    }
}

#[test]
fn abort_from_a_std_thread() {
    for backend in BACKENDS {
        watchdog("abort-from-thread", move || {
            abort_from_another_thread(backend)
        });
    }
}

#[test]
fn abort_before_the_task_runs() {
    for backend in BACKENDS {
        watchdog("abort-before-poll", move || {
            abort_before_first_poll(backend)
        });
    }
}

#[test]
fn dropping_the_runtime_cancels_its_tasks() {
    for backend in BACKENDS {
        watchdog("runtime-drop-cancels", move || {
            runtime_drop_cancels_tasks(backend)
        });
    }
}

#[test]
fn block_on_inside_block_on_panics() {
    for backend in BACKENDS {
        watchdog("nested-block-on", move || nested_block_on(backend));
    }
}

#[test]
fn a_task_aborting_itself_is_not_polled_again() {
    for backend in BACKENDS {
        watchdog("abort-self", move || abort_self_while_running(backend));
    }
}

#[test]
fn spawning_and_waking_from_an_aborted_tasks_drop() {
    for backend in BACKENDS {
        watchdog("spawn-from-drop", move || spawn_and_wake_from_drop(backend));
    }
}

#[test]
fn abort_outside_block_on_before_the_task_runs() {
    for backend in BACKENDS {
        watchdog("abort-outside-block-on", move || {
            abort_outside_block_on(backend)
        });
    }
}
