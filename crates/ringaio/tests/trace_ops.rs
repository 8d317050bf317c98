//! Issue 18, the `trace-ops` feature: every operation reports its submission and its end as
//! `tracing` events (opcode, fd, len, result, latency), on both backends; an operation
//! dropped before its end reports that instead.
//! Run with `cargo test -p ringaio --features trace-ops --test trace_ops`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ringaio::{Backend, Runtime};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Every `ringaio::op` event, as `message opcode=... result=...` lines.
#[derive(Clone, Default)]
struct Events(Arc<Mutex<Vec<String>>>);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "ringaio::op" {
            let mut line = Line(String::new());
            event.record(&mut line);
            self.0.lock().expect("events").push(line.0);
        }
    }
}

fn traced(backend: Backend) {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(events.clone());
    let path =
        std::env::temp_dir().join(format!("ringaio-trace-{backend:?}-{}", std::process::id()));
    std::fs::write(&path, b"traced!").expect("std write");
    tracing::subscriber::with_default(subscriber, || {
        let rt = Runtime::builder()
            .backend(backend)
            .build()
            .expect("runtime");
        rt.block_on(async {
            let file = ringaio::fs::File::open(&path).await.expect("open");
            let (n, _) = file.read_at(Vec::with_capacity(64), 0).await;
            assert_eq!(n.expect("read"), 7);
            let slow = ringaio::time::sleep(Duration::from_secs(600));
            let _ = ringaio::time::timeout(Duration::from_millis(1), slow).await;
        });
    });
    std::fs::remove_file(&path).expect("cleanup");
    let lines = events.0.lock().expect("events").clone();
    let has = |needle: &[&str]| lines.iter().any(|l| needle.iter().all(|n| l.contains(n)));
    assert!(has(&["submitted", "opcode=Openat"]), "{lines:#?}");
    assert!(
        has(&["completed", "opcode=Openat", "latency_ns="]),
        "{lines:#?}"
    );
    assert!(has(&["submitted", "opcode=Pread", "len=64"]), "{lines:#?}");
    assert!(
        has(&["completed", "opcode=Pread", "result=7"]),
        "{lines:#?}"
    );
    assert!(
        has(&["abandoned", "opcode=Timeout"]),
        "the dropped sleep: {lines:#?}"
    );
}

#[test]
fn operations_are_traced_on_both_backends() {
    for backend in [Backend::Uring, Backend::Fallback] {
        traced(backend);
    }
}
