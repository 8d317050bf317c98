//! A direct file's real fd is installed with a ring request that the caller waits for. With
//! more pipe reads pending than the ring's in-flight budget (reads that never finish), that
//! install must not queue behind them: before the fix `as_fd` hung here for good.

use std::os::fd::{AsFd, AsRawFd};
use std::rc::Rc;

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::{idle_reads, pipe, watchdog, TempPath};

const IDLE_READS: usize = 2_000;

fn install_past_idle_reads() {
    let rt = Runtime::builder()
        .backend(Backend::Uring)
        .build()
        .expect("runtime");
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-fd-idle-reads");
    std::fs::write(tmp.path(), b"installed").unwrap();
    let (rd, _wr) = pipe().expect("pipe");
    let pipe_file = Rc::new(File::from_std(rd));
    rt.block_on(async {
        let file = File::options()
            .read(true)
            .direct(true)
            .open(tmp.path())
            .await
            .unwrap();
        if !file.is_direct() {
            eprintln!("skipped: no direct descriptors here (io_uring, Linux 6.8+)");
            return;
        }
        // Opened first: an open would itself queue behind the reads.
        idle_reads(&rt, &pipe_file, IDLE_READS).await;
        let stats = rt.stats();
        assert!(stats.queued > 0, "the budget is full: {stats:?}");
        let fd = file.as_fd().as_raw_fd();
        assert!(fd >= 0);
        // The installed fd reads the file (a plain pread, off the ring).
        let mut buf = [0u8; 16];
        // SAFETY: `fd` is open for as long as `file`, and `buf` is a live local buffer.
        let n = unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        assert_eq!(&buf[..n as usize], b"installed");
        // (Not `close().await`: a close waits in the queue behind the reads like any request;
        // the runtime's shutdown cancels the reads and closes the slot.)
    });
}

#[test]
fn as_fd_of_a_direct_file_with_the_budget_full_of_idle_reads() {
    watchdog("direct-fd-idle-reads", install_past_idle_reads);
}
