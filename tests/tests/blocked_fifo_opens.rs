//! Opens that block (a FIFO with no writer) must not take the pool from file I/O: 16 of them
//! (the pool's default thread count), each timed out by its caller, used to keep every pool
//! thread in `open(2)` for good, and every later file operation on the fallback waited behind
//! them. A timed-out open must also free its thread (and its slot).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ringaio::fs::File;
use ringaio::time::timeout;
use ringaio::{Backend, Opcode, Runtime};
use ringaio_tests::{wait_until, watchdog, BACKENDS};

/// More blocked opens than the pool has threads (16 by default).
const OPENS: usize = 24;

/// A directory of its own, removed with everything in it on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("ringaio-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: `c` is a live NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn opens_time_out(backend: Backend) {
    // io_uring opens a FIFO without waiting for its other end (it tries O_NONBLOCK first):
    // opens go to the pool on both backends.
    let rt = Runtime::builder()
        .backend(backend)
        .forbid_opcode(Opcode::Openat)
        .build()
        .expect("runtime");
    let dir = TempDir::new(&format!("fifo-opens-{backend:?}"));
    let fifo = dir.0.join("fifo");
    mkfifo(&fifo);
    let regular = dir.0.join("regular");
    std::fs::write(&regular, b"still served").expect("std write");
    rt.block_on(async {
        let opens = (0..OPENS).map(|_| timeout(Duration::from_millis(50), File::open(&fifo)));
        for out in futures::future::join_all(opens).await {
            assert!(
                out.is_err(),
                "nobody writes to the FIFO: the open times out: {:?}",
                out.map(|r| r.map(|_| ()))
            );
        }
        // File I/O goes on: an open, a read, a close.
        let file = File::open(&regular).await.expect("open a regular file");
        let (res, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        assert_eq!(res.expect("read"), 12);
        assert_eq!(&buf[..], b"still served");
        file.close().await.expect("close");
        // The timed-out opens ended (their slots are freed only then), so their threads are
        // free again.
        wait_until("the timed-out opens to end", || rt.stats().slots == 0).await;
    });
}

#[test]
fn timed_out_fifo_opens_do_not_starve_file_io() {
    for backend in BACKENDS {
        watchdog(&format!("fifo-opens-{backend:?}"), move || {
            opens_time_out(backend)
        });
    }
}
