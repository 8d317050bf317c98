//! 1,000 tasks reading in a loop, aborted from 4 threads: once a handle reports `Cancelled`,
//! its task does no further read. They used to report `Cancelled` at once and keep reading
//! (~20,000 more reads in the next 300 ms): the aborts sat in the cross-thread queue, which
//! the busy executor never read.

use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ringaio::{Backend, JoinHandle};
use ringaio_tests::{create_rw, runtime, wait_until, watchdog, yield_now, TempPath, BACKENDS};

const TASKS: usize = 1000;
const THREADS: usize = 4;

fn aborted_readers_stop(backend: Backend) {
    let rt = runtime(backend);
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "abort-threads");
    rt.block_on(async {
        let file = Rc::new(create_rw(path.path()).await.expect("create"));
        let (res, _) = file.write_all_at(vec![7u8; 4096], 0).await;
        res.expect("write");
        let reads: Arc<Vec<AtomicUsize>> =
            Arc::new((0..TASKS).map(|_| AtomicUsize::new(0)).collect());
        let mut handles: Vec<(usize, JoinHandle<()>)> = (0..TASKS)
            .map(|i| {
                let (file, reads) = (file.clone(), reads.clone());
                let handle = ringaio::spawn(async move {
                    let mut buf = Vec::with_capacity(64);
                    loop {
                        let (res, back) = file.read_at(buf, (i % 64) as u64 * 64).await;
                        res.expect("read");
                        buf = back;
                        buf.clear();
                        reads[i].fetch_add(1, Ordering::SeqCst);
                    }
                });
                (i, handle)
            })
            .collect();
        wait_until("every task to have read", || {
            reads.iter().all(|r| r.load(Ordering::SeqCst) > 0)
        })
        .await;
        // Four threads abort a quarter each and hand the handles back.
        let mut threads = Vec::new();
        while !handles.is_empty() {
            let share: Vec<_> = handles.drain(..TASKS / THREADS).collect();
            let (tx, rx) = futures::channel::oneshot::channel();
            let thread = std::thread::spawn(move || {
                for (_, handle) in &share {
                    handle.abort();
                }
                let _ = tx.send(share);
            });
            threads.push((thread, rx));
        }
        let mut after_cancel = Vec::new();
        for (thread, rx) in threads {
            let share = rx
                .await
                .expect("the aborting thread hands the handles back");
            thread.join().expect("aborting thread");
            for (i, handle) in share {
                let err = handle.await.expect_err("aborted");
                assert!(err.is_cancelled(), "{err:?}");
                after_cancel.push((i, reads[i].load(Ordering::SeqCst)));
            }
        }
        // Let the runtime run on for a while: any task still alive would read.
        for _ in 0..1000 {
            yield_now().await;
        }
        ringaio::time::sleep(Duration::from_millis(50))
            .await
            .expect("sleep");
        let further: usize = after_cancel
            .iter()
            .map(|&(i, n)| reads[i].load(Ordering::SeqCst) - n)
            .sum();
        assert_eq!(further, 0, "reads by tasks that had reported Cancelled");
        assert_eq!(after_cancel.len(), TASKS);
        drop(file);
        wait_until("every read's slot to be released", || rt.stats().slots == 0).await;
    });
}

#[test]
fn tasks_aborted_from_threads_stop_before_they_report_cancelled() {
    for backend in BACKENDS {
        watchdog("abort-from-threads", move || aborted_readers_stop(backend));
    }
}
