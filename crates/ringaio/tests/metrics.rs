//! Issue 18, runtime metrics: `Runtime::metrics` and `ringaio::metrics` count a known
//! sequence of file operations exactly, on both backends.

use std::io::Write;

use ringaio::fs::File;
use ringaio::{Backend, Opcode, Runtime};

fn runtime(backend: Backend) -> Option<Runtime> {
    let rt = Runtime::builder()
        .backend(backend)
        .build()
        .expect("runtime");
    if rt.backend() != backend {
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {backend:?} asked for, {:?} given ({})",
            rt.backend(),
            rt.fallback_reason().unwrap_or("no reason given")
        );
        return None;
    }
    Some(rt)
}

fn counts(backend: Backend) {
    let Some(rt) = runtime(backend) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "ringaio-metrics-{}-{backend:?}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("f");
    assert!(
        ringaio::metrics().is_none(),
        "no runtime on this thread yet"
    );
    let before = rt.metrics();
    assert_eq!(before.submitted, 0, "{before:?}");
    let inside = rt.block_on(async {
        // Five requests: open, write, fsync, read, close.
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .await
            .expect("open");
        let (n, _) = file.write_at(b"metrics".to_vec(), 0).await;
        assert_eq!(n.expect("write"), 7);
        file.sync_all().await.expect("fsync");
        let (n, buf) = file.read_at(Vec::with_capacity(16), 0).await;
        assert_eq!(n.expect("read"), 7);
        assert_eq!(&buf[..], b"metrics");
        let inside = ringaio::metrics().expect("inside the runtime");
        file.close().await.expect("close");
        inside
    });
    // Seen from inside, before the close: four requests in and out, none in flight.
    assert_eq!((inside.submitted, inside.completed), (4, 4), "{inside:?}");
    assert_eq!(inside.in_flight, 0, "{inside:?}");
    let m = rt.metrics();
    assert_eq!(m.backend, backend);
    assert_eq!(m.submitted, 5, "{m:?}");
    assert_eq!(m.completed, 5, "{m:?}");
    assert_eq!(m.in_flight, 0, "{m:?}");
    assert!(m.in_flight_by_opcode.is_empty(), "{m:?}");
    assert_eq!(m.in_flight_of(Opcode::Pread), 0, "{m:?}");
    assert_eq!(m.via_ring + m.via_pool, 5, "{m:?}");
    assert_eq!((m.queued, m.cq_room_waits, m.sq_full), (0, 0, 0), "{m:?}");
    assert_eq!(m.cq_overflow, 0, "{m:?}");
    match backend {
        Backend::Uring => assert!(m.submit_syscalls >= 1, "{m:?}"),
        Backend::Fallback => {
            assert_eq!((m.via_ring, m.via_pool), (0, 5), "{m:?}");
            assert_eq!(m.submit_syscalls, 0, "{m:?}");
            // Every result comes back from a pool thread: the runtime parked for it.
            assert!(m.parks >= 1, "{m:?}");
        }
    }
    drop(rt);
    std::fs::remove_dir_all(&dir).expect("remove temp dir");
}

#[test]
fn file_ops_on_the_ring_count_exactly() {
    counts(Backend::Uring);
}

#[test]
fn file_ops_on_the_pool_count_exactly() {
    counts(Backend::Fallback);
}
