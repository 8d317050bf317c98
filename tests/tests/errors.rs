//! Bad input and bad state give `io::Error`s, never panics: a closed fd, a file opened for
//! the other direction, empty buffers, offsets past `i64::MAX`, NUL bytes in paths, missing
//! files, and operations with no runtime on the thread.

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::Duration;

use ringaio::fs::{self, File};
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath, BACKENDS};

/// An fd number that no file can have: the soft `RLIMIT_NOFILE` (the kernel hands out fds
/// below it only), so no other test thread can open it meanwhile.
fn never_open_fd() -> i32 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into a live rlimit.
    let r = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(r, 0, "getrlimit: {}", std::io::Error::last_os_error());
    i32::try_from(lim.rlim_cur).unwrap_or(i32::MAX - 1)
}

fn bad_fd(backend: Backend) {
    let rt = runtime(backend);
    let fd = never_open_fd();
    // SAFETY: nothing else owns `fd` (no file can have it); it is never closed through this
    // handle: the ringaio File is forgotten below, not dropped.
    let std_file = unsafe { std::fs::File::from_raw_fd(fd) };
    let file = File::from_std(std_file);
    rt.block_on(async {
        let (res, buf) = file.read_at(Vec::with_capacity(16), 0).await;
        let e = res.expect_err("read of a closed fd");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}");
        assert_eq!(buf.capacity(), 16, "the buffer comes back");
        let (res, _) = file.write_at(b"x".to_vec(), 0).await;
        assert_eq!(res.expect_err("write").raw_os_error(), Some(libc::EBADF));
        let (res, _) = file.read_exact_at(vec![0u8; 16], 0).await;
        assert_eq!(
            res.expect_err("read_exact").raw_os_error(),
            Some(libc::EBADF)
        );
        let (res, _) = file.write_all_at(b"x".to_vec(), 0).await;
        assert_eq!(
            res.expect_err("write_all").raw_os_error(),
            Some(libc::EBADF)
        );
        let e = file.sync_all().await.expect_err("fsync");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}");
        let e = file.metadata().await.expect_err("statx");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}");
    });
    // Dropping would close an fd this test does not own.
    std::mem::forget(file);
}

fn wrong_direction(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-direction");
    std::fs::write(tmp.path(), b"some bytes").expect("std write");
    rt.block_on(async {
        let write_only = File::options()
            .write(true)
            .open(tmp.path())
            .await
            .expect("open write-only");
        let (res, _) = write_only.read_at(Vec::with_capacity(4), 0).await;
        let e = res.expect_err("read of a write-only file");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}");
        let (res, _) = write_only.read_exact_at(vec![0u8; 4], 0).await;
        assert_eq!(
            res.expect_err("read_exact").raw_os_error(),
            Some(libc::EBADF)
        );

        let read_only = File::open(tmp.path()).await.expect("open read-only");
        let (res, _) = read_only.write_at(b"nope".to_vec(), 0).await;
        let e = res.expect_err("write to a read-only file");
        assert_eq!(e.raw_os_error(), Some(libc::EBADF), "{e}");
        let e = read_only
            .set_len(0)
            .await
            .expect_err("truncate a read-only file");
        assert!(
            matches!(e.raw_os_error(), Some(libc::EBADF | libc::EINVAL)),
            "{e}"
        );
    });
    assert_eq!(std::fs::read(tmp.path()).expect("std read"), b"some bytes");
}

fn empty_buffers(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-empty");
    std::fs::write(tmp.path(), b"0123456789").expect("std write");
    rt.block_on(async {
        let file = File::options()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .expect("open");
        // A read into no room is an error, not an Ok(0) that reads as the end of the file.
        let (res, buf) = file.read_at(Vec::new(), 0).await;
        let e = res.expect_err("zero-capacity read");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(buf.is_empty());
        let (res, _) = file.readv_at(vec![Vec::<u8>::new()], 0).await;
        let e = res.expect_err("zero-capacity vectored read");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let (res, _) = file.read_exact_at(Vec::new(), 3).await;
        res.expect("zero-length read_exact");
        let (res, _) = file.write_at(Vec::new(), 0).await;
        assert_eq!(res.expect("zero-length write"), 0);
        let (res, _) = file.write_all_at(Vec::new(), 0).await;
        res.expect("zero-length write_all");
        let (res, _) = file.read_at(Vec::with_capacity(8), 1 << 40).await;
        assert_eq!(res.expect("read far past the end"), 0);
        let (res, _) = file.read_exact_at(vec![0u8; 8], 8).await;
        let e = res.expect_err("read_exact across the end");
        assert_eq!(e.kind(), ErrorKind::UnexpectedEof, "{e}");
    });
    assert_eq!(std::fs::read(tmp.path()).expect("std read"), b"0123456789");
}

fn huge_offsets(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-offset");
    std::fs::write(tmp.path(), b"abc").expect("std write");
    rt.block_on(async {
        let file = File::options()
            .read(true)
            .write(true)
            .open(tmp.path())
            .await
            .expect("open");
        for pos in [u64::MAX, i64::MAX as u64 + 1] {
            let (res, buf) = file.read_at(Vec::with_capacity(8), pos).await;
            let e = res.expect_err("read at a huge offset");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "read_at({pos}): {e}");
            assert_eq!(buf.capacity(), 8, "the buffer comes back");
            let (res, _) = file.write_at(b"x".to_vec(), pos).await;
            let e = res.expect_err("write at a huge offset");
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "write_at({pos}): {e}");
            let (res, _) = file.read_exact_at(vec![0u8; 8], pos).await;
            let e = res.expect_err("read_exact at a huge offset");
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidInput,
                "read_exact_at({pos}): {e}"
            );
            let (res, _) = file.write_all_at(b"x".to_vec(), pos).await;
            let e = res.expect_err("write_all at a huge offset");
            assert_eq!(
                e.kind(),
                ErrorKind::InvalidInput,
                "write_all_at({pos}): {e}"
            );
        }
        // Offset plus length overflowing i64 in the middle of a write_all.
        let (res, _) = file.write_all_at(vec![1u8; 16], i64::MAX as u64 - 4).await;
        let e = res.expect_err("write_all running past i64::MAX");
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput | ErrorKind::FileTooLarge),
            "{e}"
        );
        let e = file.set_len(u64::MAX).await.expect_err("set_len(u64::MAX)");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = file
            .fallocate(u64::MAX, 1, 0)
            .await
            .expect_err("fallocate at u64::MAX");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    });
    assert_eq!(std::fs::read(tmp.path()).expect("std read"), b"abc");
}

fn bad_paths(backend: Backend) {
    let rt = runtime(backend);
    let dir = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-missing");
    let missing = dir.path().join("no-such-file");
    rt.block_on(async {
        let e = File::open("nul\0byte").await.expect_err("NUL in a path");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = File::create("nul\0byte").await.expect_err("NUL in a path");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = fs::metadata("a\0b").await.expect_err("NUL in a path");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = fs::remove_file("a\0b").await.expect_err("NUL in a path");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = fs::rename("a\0b", "c").await.expect_err("NUL in a path");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

        let e = File::open(&missing).await.expect_err("missing file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = fs::metadata(&missing).await.expect_err("missing file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        let e = fs::remove_file(&missing).await.expect_err("missing file");
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");

        let e = File::options()
            .open(dir.path())
            .await
            .expect_err("no access mode");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = File::options()
            .read(true)
            .create(true)
            .open(dir.path())
            .await
            .expect_err("create without write");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    });
}

fn no_runtime(backend: Backend) {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-no-runtime");
    let file = {
        let rt = runtime(backend);
        rt.block_on(async {
            let file = File::create(tmp.path()).await.expect("create");
            let (res, _) = file.write_all_at(b"kept".to_vec(), 0).await;
            res.expect("write");
            file
        })
    };
    // The runtime is gone and none runs on this thread: every operation must fail cleanly.
    let (res, buf) = futures::executor::block_on(file.read_at(Vec::with_capacity(4), 0));
    let e = res.expect_err("read with no runtime");
    assert_eq!(e.kind(), ErrorKind::Other, "{e}");
    assert!(
        e.to_string().contains("runtime"),
        "the message says why: {e}"
    );
    assert_eq!(buf.capacity(), 4, "the buffer comes back");
    let (res, buf) = futures::executor::block_on(file.write_all_at(b"lost".to_vec(), 0));
    assert!(res.is_err());
    assert_eq!(buf, b"lost");
    assert!(futures::executor::block_on(file.sync_all()).is_err());
    assert!(futures::executor::block_on(file.metadata()).is_err());
    assert!(futures::executor::block_on(File::open(tmp.path())).is_err());
    assert!(futures::executor::block_on(fs::metadata(tmp.path())).is_err());
    assert!(futures::executor::block_on(ringaio::nop()).is_err());
    let sleep = ringaio::time::sleep(Duration::from_millis(1));
    assert!(futures::executor::block_on(sleep).is_err());
    // A timeout with no timer still runs its future.
    let out =
        futures::executor::block_on(ringaio::time::timeout(Duration::from_millis(1), async {
            3
        }));
    assert_eq!(out, Ok(3));
    drop(file);

    // The file opened on the first runtime works on the next one.
    let rt = runtime(backend);
    rt.block_on(async {
        let file = File::open(tmp.path()).await.expect("reopen");
        let (res, buf) = file.read_at(Vec::with_capacity(8), 0).await;
        assert_eq!(res.expect("read"), 4);
        assert_eq!(buf, b"kept", "the failed write wrote nothing");
    });
}

/// The (device, inode) behind `fd`, if it is open.
fn identity(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: stat is plain integers; all zeroes is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a live out pointer; fstat of a closed fd just fails.
    (unsafe { libc::fstat(fd, &mut st) } == 0).then_some((st.st_dev, st.st_ino))
}

/// `File::close` with no runtime reports an error, and must not leak the fd on the way.
fn close_without_runtime(backend: Backend) {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "errors-close");
    let rt = runtime(backend);
    let file = rt.block_on(File::create(tmp.path())).expect("create");
    drop(rt);
    let fd = file.as_raw_fd();
    let ours = identity(fd).expect("the file is open");
    assert!(
        futures::executor::block_on(file.close()).is_err(),
        "no runtime to close on"
    );
    // Another test thread may get the fd number back, but never for this file.
    assert_ne!(
        identity(fd),
        Some(ours),
        "fd {fd} still refers to the file after close() failed: leaked"
    );
}

#[test]
fn close_outside_a_runtime_does_not_leak_the_fd() {
    for backend in BACKENDS {
        close_without_runtime(backend);
    }
}

#[test]
fn closed_fd_gives_ebadf() {
    for backend in BACKENDS {
        bad_fd(backend);
    }
}

#[test]
fn wrong_access_mode_gives_ebadf() {
    for backend in BACKENDS {
        wrong_direction(backend);
    }
}

#[test]
fn zero_length_buffers_are_fine() {
    for backend in BACKENDS {
        empty_buffers(backend);
    }
}

#[test]
fn offsets_past_i64_max_are_invalid_input() {
    for backend in BACKENDS {
        huge_offsets(backend);
    }
}

#[test]
fn nul_bytes_and_missing_files() {
    for backend in BACKENDS {
        bad_paths(backend);
    }
}

#[test]
fn operations_outside_a_runtime_fail_cleanly() {
    for backend in BACKENDS {
        no_runtime(backend);
    }
}
