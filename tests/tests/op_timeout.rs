//! Issue 18: `File::read_at_timeout` / `write_at_timeout` cancel the request when the
//! deadline passes first and hand the buffer back with `TimedOut`, on both backends; in
//! time, they give the usual result.

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, CountedBuf, TempPath, BACKENDS};

fn timeouts(backend: Backend) {
    let rt = runtime(backend);
    let alive = Arc::new(());
    let (reader, writer) = ringaio_tests::pipe().expect("pipe");
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "op-timeout");
    rt.block_on(async {
        let pipe = File::from_std(reader);
        // Nothing to read: the deadline passes and the buffer comes back.
        let buf = CountedBuf::new(&alive, 64);
        let (res, buf) = pipe.read_at_timeout(buf, 0, Duration::from_millis(5)).await;
        let e = res.expect_err("the read cannot finish");
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        assert_eq!(
            Arc::strong_count(&alive),
            2,
            "the buffer is ours again, not the runtime's"
        );
        assert!(buf.bytes().is_empty());
        drop(buf);
        assert_eq!(Arc::strong_count(&alive), 1);

        // With data there in time, the read gives it.
        let file = create_rw(tmp.path()).await.expect("open");
        let (n, _) = file
            .write_at_timeout(b"in time".to_vec(), 0, Duration::from_secs(600))
            .await;
        assert_eq!(n.expect("write in time"), 7);
        let (n, buf) = file
            .read_at_timeout(Vec::with_capacity(16), 0, Duration::from_secs(600))
            .await;
        assert_eq!(n.expect("read in time"), 7);
        assert_eq!(buf, b"in time");

        // A write into a full pipe times out, buffer back.
        let out = File::from_std(writer);
        let full = fill(&out).await;
        let (res, back) = out
            .write_at_timeout(vec![1u8; 4096], 0, Duration::from_millis(5))
            .await;
        let e = res.expect_err("the pipe is full");
        assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
        assert_eq!(back.len(), 4096);
        assert!(full > 0);
    });
}

/// Fills the pipe behind `out` (made non-blocking for the purpose, then blocking again);
/// returns how many bytes it took.
async fn fill(out: &File) -> usize {
    use std::os::fd::AsRawFd;
    let fd = out.as_raw_fd();
    // SAFETY: fcntl on an fd `out` keeps open; no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    // SAFETY: as above.
    unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) };
    let chunk = [0u8; 4096];
    let mut total = 0;
    loop {
        // SAFETY: `chunk` is a live buffer of its length.
        let n = unsafe { libc::write(fd, chunk.as_ptr().cast(), chunk.len()) };
        if n <= 0 {
            break;
        }
        total += n as usize;
    }
    // SAFETY: as above.
    unsafe { libc::fcntl(fd, libc::F_SETFL, flags) };
    total
}

#[test]
fn timed_operations_hand_the_buffer_back() {
    for backend in BACKENDS {
        timeouts(backend);
    }
}
