//! A read future dropped before its completion leaves its buffer with the reactor until the
//! kernel (or the blocking pool) is done with it: never freed early, never leaked. Also when
//! the whole runtime is dropped with the read still in flight.

use std::cell::Cell;
use std::pin::pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{pipe, runtime, wait_until, watchdog, yield_now, CountedBuf, BACKENDS};

/// Polls a read on an empty pipe once, lets the runtime hand it to the kernel, then drops
/// the future. With `write_after`, data is written to the pipe after the drop (the cancel and
/// the data race; either way the buffer must come back exactly once).
fn dropped_mid_read(backend: Backend, write_after: bool) {
    let rt = runtime(backend);
    let (rd, mut wr) = pipe().expect("pipe");
    let file = File::from_std(rd);
    let alive = Arc::new(());
    rt.block_on(async {
        {
            let mut read = pin!(file.read_at(CountedBuf::new(&alive, 64), 0));
            assert!(futures::poll!(read.as_mut()).is_pending(), "empty pipe");
            // One park: the read reaches the kernel (or a pool thread) and waits there.
            ringaio::time::sleep(Duration::from_millis(5))
                .await
                .expect("sleep");
            assert!(futures::poll!(read.as_mut()).is_pending(), "still empty");
            assert_eq!(Arc::strong_count(&alive), 2, "the read holds the buffer");
        }
        assert_eq!(
            Arc::strong_count(&alive),
            2,
            "dropped mid-read: the reactor must keep the buffer until the completion"
        );
        if write_after {
            std::io::Write::write_all(&mut wr, b"late data").expect("write to the pipe");
        }
        wait_until("the reactor to release the buffer", || {
            Arc::strong_count(&alive) == 1
        })
        .await;
        let stats = rt.stats();
        assert_eq!(stats.in_flight, 0, "{stats:?}");
        assert_eq!(stats.slots, 0, "{stats:?}");
    });
    drop(wr);
}

/// Dropped right after the first poll, before the runtime ever parked: the request may not
/// have reached the kernel yet.
fn dropped_before_submission(backend: Backend) {
    let rt = runtime(backend);
    let (rd, _wr) = pipe().expect("pipe");
    let file = File::from_std(rd);
    let alive = Arc::new(());
    rt.block_on(async {
        {
            let mut read = pin!(file.read_at(CountedBuf::new(&alive, 64), 0));
            assert!(futures::poll!(read.as_mut()).is_pending(), "empty pipe");
        }
        wait_until("the reactor to release the buffer", || {
            Arc::strong_count(&alive) == 1
        })
        .await;
    });
    assert_eq!(rt.stats().slots, 0);
}

/// A spawned task waits on an empty pipe; the runtime is dropped with the read in flight.
/// Shutdown cancels it and waits for the completion, then drops the buffer.
fn runtime_dropped_mid_read(backend: Backend) {
    let rt = runtime(backend);
    let (rd, _wr) = pipe().expect("pipe");
    let file = File::from_std(rd);
    let alive = Arc::new(());
    let buf = CountedBuf::new(&alive, 64);
    let task = rt.spawn(async move {
        let (res, buf) = file.read_at(buf, 0).await;
        (res.map_err(|e| e.to_string()), buf.bytes().to_vec())
    });
    rt.block_on(async {
        wait_until("the read to be in flight", || rt.stats().in_flight == 1).await;
    });
    assert!(!task.is_finished());
    assert_eq!(
        Arc::strong_count(&alive),
        2,
        "the task's read holds the buffer"
    );
    drop(rt);
    assert_eq!(
        Arc::strong_count(&alive),
        1,
        "dropping the runtime must end the read and free its buffer"
    );
    let out = futures::executor::block_on(task);
    assert!(out.is_err_and(|e| e.is_cancelled()), "the task was dropped");
}

/// Many reads of one empty pipe, more than the ring takes at once, all dropped together:
/// by aborting their tasks, or by dropping the runtime.
fn many_dropped_at_once(backend: Backend, drop_runtime: bool) {
    const READS: usize = 1_000;
    let rt = runtime(backend);
    let (rd, _wr) = pipe().expect("pipe");
    let file = Rc::new(File::from_std(rd));
    let alive = Arc::new(());
    let started = Rc::new(Cell::new(0usize));
    let tasks: Vec<_> = (0..READS)
        .map(|_| {
            let (file, started) = (file.clone(), started.clone());
            let buf = CountedBuf::new(&alive, 16);
            rt.spawn(async move {
                started.set(started.get() + 1);
                let (res, _buf) = file.read_at(buf, 0).await;
                res.map_err(|e| e.to_string())
            })
        })
        .collect();
    rt.block_on(async {
        // Yields, not sleeps: a timer would queue behind the reads that fill the ring.
        for _ in 0..READS {
            if started.get() == READS {
                break;
            }
            yield_now().await;
        }
        assert_eq!(started.get(), READS, "every task started its read");
        assert_eq!(Arc::strong_count(&alive), READS + 1);
    });
    if drop_runtime {
        drop(rt);
        assert_eq!(
            Arc::strong_count(&alive),
            1,
            "shutdown must end every read and free every buffer"
        );
    } else {
        for task in &tasks {
            task.abort();
        }
        rt.block_on(async {
            wait_until("every buffer to be released", || {
                Arc::strong_count(&alive) == 1
            })
            .await;
            let stats = rt.stats();
            assert_eq!(
                (stats.slots, stats.in_flight, stats.queued),
                (0, 0, 0),
                "{stats:?}"
            );
        });
    }
    for task in tasks {
        let out = futures::executor::block_on(task);
        assert!(
            out.is_err_and(|e| e.is_cancelled()),
            "every task was cancelled"
        );
    }
}

#[test]
fn many_reads_aborted_at_once_release_every_buffer() {
    for backend in BACKENDS {
        watchdog("many-aborted", move || many_dropped_at_once(backend, false));
    }
}

#[test]
fn runtime_dropped_with_many_reads_in_flight_frees_every_buffer() {
    for backend in BACKENDS {
        watchdog("many-runtime-drop", move || {
            many_dropped_at_once(backend, true)
        });
    }
}

#[test]
fn read_dropped_mid_flight_keeps_buffer_until_cancel_completes() {
    for backend in BACKENDS {
        watchdog("drop-mid-read", move || dropped_mid_read(backend, false));
    }
}

#[test]
fn read_dropped_mid_flight_then_data_arrives() {
    for backend in BACKENDS {
        watchdog("drop-mid-read-data", move || {
            dropped_mid_read(backend, true)
        });
    }
}

#[test]
fn read_dropped_before_the_runtime_parks() {
    for backend in BACKENDS {
        watchdog("drop-before-park", move || {
            dropped_before_submission(backend)
        });
    }
}

#[test]
fn runtime_dropped_with_a_read_in_flight_frees_the_buffer() {
    for backend in BACKENDS {
        watchdog("runtime-drop-mid-read", move || {
            runtime_dropped_mid_read(backend)
        });
    }
}
