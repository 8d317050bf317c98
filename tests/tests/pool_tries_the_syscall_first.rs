//! A read or write on a pipe tries its syscall before waiting for readiness, as the ring
//! does: a zero-length read of an empty pipe and a zero-length write to a full pipe return 0
//! at once, and a write to a pipe's read end (or a read from its write end) fails with EBADF
//! instead of waiting for a readiness that never comes.
//!
//! Before the fix the fallback waited on the poller first, and each of these hung.

use std::os::fd::AsRawFd;

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{pipe, runtime, watchdog, BACKENDS};

/// Fills the pipe behind `wr` (left blocking afterwards): a further write would block.
fn fill(wr: &std::fs::File) {
    let fd = wr.as_raw_fd();
    let set_flags = |flags: libc::c_int| {
        // SAFETY: F_SETFL takes plain integers.
        assert_eq!(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) }, 0);
    };
    // SAFETY: F_GETFL takes plain integers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    set_flags(flags | libc::O_NONBLOCK);
    let chunk = [7u8; 4096];
    loop {
        // SAFETY: writes from a live 4 KiB array.
        let n = unsafe { libc::write(fd, chunk.as_ptr().cast(), chunk.len()) };
        if n < 0 {
            assert_eq!(
                std::io::Error::last_os_error().raw_os_error(),
                Some(libc::EAGAIN)
            );
            break;
        }
    }
    set_flags(flags);
}

fn edges(backend: Backend) {
    let rt = runtime(backend);
    let (rd, wr) = pipe().expect("pipe");
    let (rd2, wr2) = pipe().expect("pipe");
    fill(&wr2);
    let (rd, wr) = (File::from_std(rd), File::from_std(wr));
    let wr2 = File::from_std(wr2);
    rt.block_on(async {
        // Completes at once rather than waiting for data; a read into no room is
        // `InvalidInput`, not an `Ok(0)` that reads as the end (issue 18).
        let (res, _) = rd.read_at(Vec::new(), 0).await;
        let err = res.expect_err("zero-length read of an empty pipe");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");

        let (res, _) = wr2.write_at(Vec::new(), 0).await;
        assert_eq!(res.expect("zero-length write to a full pipe"), 0);

        let (res, _) = rd.write_at(b"x".to_vec(), 0).await;
        let err = res.expect_err("a write to the read end");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err}");

        let (res, _) = wr.read_at(Vec::with_capacity(8), 0).await;
        let err = res.expect_err("a read from the write end");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF), "{err}");

        // The ordinary case still waits for data and gets it.
        let read = rd.read_at(Vec::with_capacity(8), 0);
        let write = async {
            let (res, _) = wr.write_at(b"late".to_vec(), 0).await;
            res
        };
        let ((res, buf), written) = futures::join!(read, write);
        assert_eq!(written.expect("write"), 4);
        assert_eq!(res.expect("read"), 4);
        assert_eq!(&buf[..], b"late");
    });
    drop(rd2);
}

#[test]
fn pipe_edge_cases_complete_on_both_backends() {
    for backend in BACKENDS {
        watchdog(&format!("pipe-edges-{backend:?}"), move || edges(backend));
    }
}
