//! Timers must not queue behind I/O that never completes: with 2,000 pipe reads pending (a
//! server with 2,000 idle connections, more than the ring's in-flight budget), 200
//! concurrent 50 ms timeouts all fire. Before the fix only 64 of them did (the timer
//! reserve); the rest waited in the user-space queue behind reads that never finish.

use std::rc::Rc;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{idle_reads, pipe, runtime, watchdog, BACKENDS};

const IDLE_READS: usize = 2_000;
const TIMERS: usize = 200;

fn timers_fire(backend: Backend) {
    let rt = runtime(backend);
    let (rd, _wr) = pipe().expect("pipe");
    let file = Rc::new(File::from_std(rd));
    rt.block_on(async {
        idle_reads(&rt, &file, IDLE_READS).await;
        let timeouts = (0..TIMERS).map(|_| {
            ringaio::time::timeout(Duration::from_millis(50), futures::future::pending::<()>())
        });
        let fired = futures::future::join_all(timeouts)
            .await
            .iter()
            .filter(|out| out.is_err())
            .count();
        assert_eq!(fired, TIMERS);
    });
}

#[test]
fn timers_fire_with_more_idle_reads_than_the_budget() {
    for backend in BACKENDS {
        watchdog(&format!("timers-idle-reads-{backend:?}"), move || {
            timers_fire(backend)
        });
    }
}
