//! `ringaio::block_on` keeps its runtime on the thread (issue 16): the second call finds the
//! first one's direct file still open and its lent slots back; a panic in the future, a task
//! left behind or a live `Handle` make the next call build a fresh runtime, which behaves.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ringaio::fs::File;
use ringaio_tests::TempPath;

#[test]
fn the_runtime_is_kept_between_calls() {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "reuse");
    std::fs::write(tmp.path(), b"kept").unwrap();
    let file = ringaio::block_on(async {
        File::options()
            .read(true)
            .direct(true)
            .open(tmp.path())
            .await
            .unwrap()
    });
    // A direct file lives in its runtime's ring: it still reads, so the ring is the same.
    let (n, buf) = ringaio::block_on(file.read_at(Vec::with_capacity(8), 0));
    assert_eq!(n.unwrap(), 4);
    assert_eq!(buf, b"kept");
    ringaio::block_on(file.close()).unwrap();
}

#[test]
fn a_panic_or_leftovers_give_a_fresh_runtime() {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "reuse-fresh");
    std::fs::write(tmp.path(), b"fresh").unwrap();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        ringaio::block_on(async { panic!("in the future") })
    }));
    assert!(panicked.is_err());
    // The next call works (on a new runtime).
    assert_eq!(
        ringaio::block_on(ringaio::fs::read(tmp.path())).unwrap(),
        b"fresh"
    );
    // A task left running, or a handle kept: that runtime is not kept. A direct file
    // opened on it then belongs to a dropped ring, and the next runtime refuses it.
    for leftover in ["task", "handle"] {
        let (file, handle) = ringaio::block_on(async {
            let file = File::options()
                .read(true)
                .direct(true)
                .open(tmp.path())
                .await
                .unwrap();
            if leftover == "task" {
                ringaio::spawn(std::future::pending::<()>());
                (file, None)
            } else {
                (file, Some(ringaio::Handle::current()))
            }
        });
        drop(handle);
        let (n, _) = ringaio::block_on(file.read_at(Vec::with_capacity(8), 0));
        if file.is_direct() {
            assert_eq!(
                n.unwrap_err().raw_os_error(),
                Some(libc::EBADF),
                "{leftover}"
            );
        } else {
            assert_eq!(n.unwrap(), 5, "{leftover}");
        }
    }
}

#[test]
fn nested_block_on_still_panics() {
    let nested = catch_unwind(|| ringaio::block_on(async { ringaio::block_on(async { 1 }) }));
    assert!(
        nested.is_err(),
        "a block_on inside a runtime must panic, not deadlock"
    );
    assert_eq!(ringaio::block_on(async { 7 }), 7);
}
