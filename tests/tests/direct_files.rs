//! Direct descriptors (issue 16): a file opened straight into the ring's registered-file
//! table behaves as a plain fd for every `File` operation, on both backends (the fallback
//! opens plain fds); its slot is freed on close and on drop; a full table falls back to
//! plain fds; a dropped runtime and a forked child leave it harmless.

use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::{TempPath, BACKENDS};

fn rt(backend: Backend, direct_files: u32) -> Runtime {
    Runtime::builder()
        .backend(backend)
        // Small, so that `RLIMIT_NOFILE` (the whole table's bound) never cuts the range.
        .fixed_files(16)
        .direct_files(direct_files)
        .build()
        .expect("runtime")
}

async fn open_rw(path: &std::path::Path, direct: bool) -> io::Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .direct(direct)
        .open(path)
        .await
}

/// Every operation on `file`, its outcome written down, so a direct file and a plain one
/// can be compared.
async fn exercise(file: File, path: &std::path::Path) -> Vec<String> {
    let mut log = Vec::new();
    let (n, _) = file.write_at(b"hello direct world".to_vec(), 0).await;
    log.push(format!("write {:?}", n.map_err(|e| e.kind())));
    let (n, buf) = file.read_at(Vec::with_capacity(64), 6).await;
    log.push(format!(
        "read {:?} {:?}",
        n.map_err(|e| e.kind()),
        String::from_utf8_lossy(&buf)
    ));
    let (n, bufs) = file
        .readv_at(vec![Vec::with_capacity(5), Vec::with_capacity(3)], 0)
        .await;
    log.push(format!("readv {:?} {:?}", n.map_err(|e| e.kind()), bufs));
    let (n, _) = file
        .writev_at(vec![b"AB".to_vec(), b"CD".to_vec()], 100)
        .await;
    log.push(format!("writev {:?}", n.map_err(|e| e.kind())));
    log.push(format!(
        "sync_all {:?}",
        file.sync_all().await.map_err(|e| e.kind())
    ));
    log.push(format!(
        "sync_data {:?}",
        file.sync_data().await.map_err(|e| e.kind())
    ));
    log.push(format!(
        "fallocate {:?}",
        file.fallocate(0, 4096, 0).await.map_err(|e| e.kind())
    ));
    log.push(format!(
        "len {:?}",
        file.metadata().await.map(|m| m.len()).map_err(|e| e.kind())
    ));
    log.push(format!(
        "set_len {:?}",
        file.set_len(10).await.map_err(|e| e.kind())
    ));
    log.push(format!(
        "len {:?}",
        file.metadata().await.map(|m| m.len()).map_err(|e| e.kind())
    ));
    log.push(format!(
        "fadvise {:?}",
        file.fadvise(0, 0, libc::POSIX_FADV_SEQUENTIAL)
            .await
            .map_err(|e| e.kind())
    ));
    log.push(format!(
        "sync_range {:?}",
        file.sync_file_range(0, 0, libc::SYNC_FILE_RANGE_WRITE)
            .await
            .map_err(|e| e.kind())
    ));
    let perms = std::fs::Permissions::from_mode(0o600);
    log.push(format!(
        "chmod {:?}",
        file.set_permissions(perms).await.map_err(|e| e.kind())
    ));
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    log.push(format!("mode {mode:o}"));
    log.push(format!("fd valid {}", file.as_raw_fd() >= 0));
    // copy_file_range runs on the pool with real fds: the direct file installs one.
    let copied = file.copy_range_to(0, &file, 200, 4).await;
    log.push(format!("copy_range {:?}", copied.map_err(|e| e.kind())));
    let (n, buf) = file.read_at(Vec::with_capacity(4), 200).await;
    log.push(format!("copied {:?} {:?}", n.map_err(|e| e.kind()), buf));
    let clone = file.try_clone().expect("try_clone");
    let (n, buf) = clone.read_at(Vec::with_capacity(4), 0).await;
    log.push(format!(
        "clone read {:?} {:?}",
        n.map_err(|e| e.kind()),
        buf
    ));
    drop(clone);
    // A close with a read still in flight reports EBUSY, on either kind.
    let pending = file.read_at(Vec::with_capacity(4), 0);
    let busy = {
        let mut pending = Box::pin(pending);
        let _ = futures_lite_poll_once(pending.as_mut()).await;
        let res = file.close().await;
        drop(pending);
        res
    };
    log.push(format!(
        "close while busy {:?}",
        busy.map_err(|e| e.raw_os_error())
    ));
    log
}

/// Polls a future once.
async fn futures_lite_poll_once<F: std::future::Future + Unpin>(mut f: F) -> Option<F::Output> {
    std::future::poll_fn(|cx| {
        std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        })
    })
    .await
}

#[test]
fn direct_and_plain_files_behave_alike() {
    for backend in BACKENDS {
        let rt = rt(backend, 64);
        let mut logs = Vec::new();
        for direct in [false, true] {
            let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-alike");
            let log = rt.block_on(async {
                let file = open_rw(tmp.path(), direct).await.expect("open");
                let expect_direct = direct && rt.backend() == Backend::Uring;
                assert_eq!(file.is_direct(), expect_direct, "{backend:?}");
                exercise(file, tmp.path()).await
            });
            logs.push(log);
        }
        assert_eq!(logs[0], logs[1], "{backend:?}: plain vs direct");
        assert!(
            logs[0].iter().any(|l| l == "read Ok(12) \"direct world\""),
            "{:?}",
            logs[0]
        );
        assert!(logs[0].iter().any(|l| l == "len Ok(10)"), "{:?}", logs[0]);
        assert!(logs[0].iter().any(|l| l == "mode 600"), "{:?}", logs[0]);
        assert!(
            logs[0]
                .iter()
                .any(|l| l == &format!("close while busy Err({:?})", Some(libc::EBUSY))),
            "{:?}",
            logs[0]
        );
    }
}

#[test]
fn close_reports_ok_and_frees_the_slot() {
    let rt = rt(Backend::Uring, 2);
    if rt.backend() != Backend::Uring {
        eprintln!("skipped: io_uring unavailable");
        return;
    }
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-close");
    std::fs::write(tmp.path(), b"x").unwrap();
    rt.block_on(async {
        let probe = open_rw(tmp.path(), true).await.unwrap();
        if !probe.is_direct() {
            eprintln!("skipped: no direct descriptors on this kernel (6.8+ needed)");
            return;
        }
        probe.close().await.unwrap();
        // Two slots, a thousand files: every close and every drop gives its slot back.
        for i in 0..1000 {
            let file = open_rw(tmp.path(), true).await.unwrap();
            assert!(file.is_direct(), "open {i} fell back: a slot leaked");
            if i % 2 == 0 {
                file.close().await.unwrap();
            } else {
                drop(file);
                // The drop's close is on its way: a round trip lets it complete.
                ringaio::nop().await.unwrap();
            }
        }
    });
}

#[test]
fn a_full_table_falls_back_to_plain_fds() {
    let rt = rt(Backend::Uring, 4);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-full");
    std::fs::write(tmp.path(), b"0123456789").unwrap();
    rt.block_on(async {
        let mut files = Vec::new();
        for _ in 0..12 {
            files.push(
                open_rw(tmp.path(), true)
                    .await
                    .expect("open goes on when full"),
            );
        }
        let direct = files.iter().filter(|f| f.is_direct()).count();
        if rt.backend() == Backend::Uring && direct == 0 {
            eprintln!("skipped: no direct descriptors on this kernel (6.8+ needed)");
        } else if rt.backend() == Backend::Uring {
            assert_eq!(direct, 4, "the allocation range holds 4");
        }
        for (i, file) in files.iter().enumerate() {
            let at = i % 7;
            let (n, buf) = file.read_at(Vec::with_capacity(3), at as u64).await;
            assert_eq!(n.unwrap(), 3);
            assert_eq!(buf, &b"0123456789"[at..at + 3]);
        }
    });
}

#[test]
fn a_direct_file_outliving_its_runtime_fails_cleanly() {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-dropped-rt");
    std::fs::write(tmp.path(), b"abc").unwrap();
    let rt1 = rt(Backend::Uring, 8);
    let file = rt1.block_on(open_rw(tmp.path(), true)).unwrap();
    if !file.is_direct() {
        eprintln!("skipped: no direct descriptors here");
        return;
    }
    drop(rt1);
    // No real fd can be had any more, and another runtime's table is not this file's.
    assert_eq!(file.as_raw_fd(), -1);
    let rt2 = rt(Backend::Uring, 8);
    let other = rt2.block_on(open_rw(tmp.path(), true)).unwrap();
    let (res, _) = rt2.block_on(file.read_at(Vec::with_capacity(3), 0));
    assert_eq!(res.unwrap_err().raw_os_error(), Some(libc::EBADF));
    // The other runtime's file, maybe in the same slot number, is untouched.
    let (n, buf) = rt2.block_on(other.read_at(Vec::with_capacity(3), 0));
    assert_eq!(n.unwrap(), 3);
    assert_eq!(buf, b"abc");
    drop(file);
    let (n, _) = rt2.block_on(other.read_at(Vec::with_capacity(3), 0));
    assert_eq!(
        n.unwrap(),
        3,
        "dropping the stale file closed nothing of rt2's"
    );
}

#[test]
fn into_std_of_a_direct_file_gives_a_working_fd() {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-into-std");
    std::fs::write(tmp.path(), b"moved").unwrap();
    let rt = rt(Backend::Uring, 8);
    let std_file = rt.block_on(async {
        let file = open_rw(tmp.path(), true).await.unwrap();
        file.into_std().map_err(|_| ()).expect("nothing in flight")
    });
    drop(rt);
    let mut s = String::new();
    std::io::Read::read_to_string(&mut &std_file, &mut s).unwrap();
    assert_eq!(s, "moved");
}

#[test]
fn a_dropped_direct_open_gives_its_slot_back() {
    let rt = rt(Backend::Uring, 2);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-orphan");
    std::fs::write(tmp.path(), b"x").unwrap();
    rt.block_on(async {
        let probe = open_rw(tmp.path(), true).await.unwrap();
        if !probe.is_direct() {
            eprintln!("skipped: no direct descriptors here (io_uring, Linux 6.8+)");
            return;
        }
        drop(probe);
        // Opens dropped after their submission, before (0 round trips) and after (1-2)
        // their completion came in: the reactor closes the slot nobody took.
        for i in 0..300 {
            let mut open = Box::pin(open_rw(tmp.path(), true));
            let _ = futures_lite_poll_once(open.as_mut()).await;
            for _ in 0..i % 3 {
                ringaio::nop().await.unwrap();
            }
            drop(open);
        }
        for _ in 0..3 {
            ringaio::nop().await.unwrap();
        }
        // Both slots are free again.
        let a = open_rw(tmp.path(), true).await.unwrap();
        let b = open_rw(tmp.path(), true).await.unwrap();
        assert!(
            a.is_direct() && b.is_direct(),
            "a dropped open kept its slot"
        );
    });
}

#[test]
fn operations_the_ring_does_not_run_use_an_installed_fd() {
    let rt = Runtime::builder()
        .backend(Backend::Uring)
        .forbid_opcode(ringaio::Opcode::Ftruncate)
        .forbid_opcode(ringaio::Opcode::Fsync)
        .build()
        .expect("runtime");
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-forbidden");
    rt.block_on(async {
        let file = open_rw(tmp.path(), true).await.unwrap();
        if !file.is_direct() {
            eprintln!("skipped: no direct descriptors here (io_uring, Linux 6.8+)");
            return;
        }
        // Both go to the blocking pool, which has no registered-file table.
        file.set_len(42).await.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), 42);
        let (n, _) = file.write_at(b"ring".to_vec(), 0).await;
        assert_eq!(n.unwrap(), 4, "the ring's own ops still name the slot");
        file.close().await.unwrap();
    });
}
