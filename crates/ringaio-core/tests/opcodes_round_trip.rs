//! Every opcode through a `Context`, each checked for a real outcome against std.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::{pipe, run, Scratch};
use ringaio_core::Timespec;
use ringaio_core::{Event, Iocb, Opcode, Target};

/// The context for a test of `op`, or `None` after printing why the test is skipped.
fn context_for(op: Opcode) -> Option<ringaio_core::Context> {
    if !common::supported(op) {
        return None;
    }
    common::context(8)
}

fn iov(buf: &[u8]) -> libc::iovec {
    libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    }
}

fn iov_mut(buf: &mut [u8]) -> libc::iovec {
    libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    }
}

#[test]
fn pwrite_is_read_back_by_std() {
    let Some(mut ctx) = context_for(Opcode::Pwrite) else {
        return;
    };
    let dir = Scratch::new("pwrite");
    let file = dir.file("f", b"ab");
    let data = b"ring";
    let write = Iocb::pwrite(Target::Fd(file.as_raw_fd()), data.as_ptr(), 4, 2).with_data(1);
    // SAFETY: `data` outlives the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &write) }.res, 4);
    assert_eq!(fs::read(dir.path("f")).unwrap(), b"abring");
}

#[test]
fn pwritev_is_read_back_by_std() {
    let Some(mut ctx) = context_for(Opcode::Pwritev) else {
        return;
    };
    let dir = Scratch::new("pwritev");
    let file = dir.file("f", b"");
    let (a, b, c) = (*b"scat", *b"ter-", *b"gather");
    let iovs = [iov(&a), iov(&b), iov(&c)];
    let write = Iocb::pwritev(Target::Fd(file.as_raw_fd()), iovs.as_ptr(), 3, 1).with_data(2);
    // SAFETY: the iovecs and their buffers outlive the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &write) }.res, 14);
    assert_eq!(fs::read(dir.path("f")).unwrap(), b"\0scatter-gather");
}

#[test]
fn pread_reads_what_std_wrote() {
    let Some(mut ctx) = context_for(Opcode::Pread) else {
        return;
    };
    let dir = Scratch::new("pread");
    let file = dir.file("f", b"written by std");
    let mut buf = [0u8; 64];
    let read = Iocb::pread(Target::Fd(file.as_raw_fd()), buf.as_mut_ptr(), 64, 11).with_data(3);
    // SAFETY: `buf` outlives the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &read) }.res, 3);
    assert_eq!(&buf[..3], b"std");
    assert!(buf[3..].iter().all(|&b| b == 0), "read past the result");
}

#[test]
fn preadv_reads_what_std_wrote() {
    let Some(mut ctx) = context_for(Opcode::Preadv) else {
        return;
    };
    let dir = Scratch::new("preadv");
    let file = dir.file("f", b"hello world");
    let (mut a, mut b) = ([0u8; 5], [0u8; 16]);
    let iovs = [iov_mut(&mut a), iov_mut(&mut b)];
    let read = Iocb::preadv(Target::Fd(file.as_raw_fd()), iovs.as_ptr(), 2, 0).with_data(4);
    // SAFETY: the iovecs and their buffers outlive the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &read) }.res, 11);
    assert_eq!(&a, b"hello");
    assert_eq!(&b[..6], b" world");
}

#[test]
fn fsync_and_fdsync_succeed() {
    let Some(mut ctx) = context_for(Opcode::Fsync) else {
        return;
    };
    let dir = Scratch::new("fsync");
    let mut file = dir.file("f", b"");
    file.write_all(b"durable").unwrap();
    let fd = Target::Fd(file.as_raw_fd());
    for (datasync, data) in [(false, 5), (true, 6)] {
        let sync = Iocb::fsync(fd, datasync).with_data(data);
        // SAFETY: a sync points at no memory.
        let res = unsafe { run(&mut ctx, &sync) }.res;
        assert_eq!(res, 0, "datasync {datasync}");
    }
    // A pipe cannot be synced: the result is the kernel's, not a blanket 0.
    let (r, _w) = pipe();
    let sync = Iocb::fsync(Target::Fd(r.as_raw_fd()), false).with_data(7);
    // SAFETY: a sync points at no memory.
    let res = unsafe { run(&mut ctx, &sync) }.res;
    assert_eq!(res, -i64::from(libc::EINVAL));
}

#[test]
fn poll_on_a_pipe_fires_when_written() {
    let Some(mut ctx) = context_for(Opcode::Poll) else {
        return;
    };
    let (r, w) = pipe();
    let poll = Iocb::poll(Target::Fd(r.as_raw_fd()), libc::POLLIN as u32).with_data(8);
    // SAFETY: a poll points at no memory.
    assert_eq!(unsafe { ctx.submit(&[&poll]) }.unwrap(), 1);
    let mut events = [Event::default(); 1];
    // Nothing was written: the poll must still be pending.
    assert_eq!(
        ctx.get_events(0, &mut events, Some(Duration::ZERO))
            .unwrap(),
        0
    );
    fs::File::from(w).write_all(b"!").unwrap();
    assert_eq!(ctx.get_events(1, &mut events, None).unwrap(), 1);
    assert_eq!(events[0].data, 8);
    assert_eq!(events[0].res, i64::from(libc::POLLIN));
}

#[test]
fn openat_creates_the_file() {
    let Some(mut ctx) = context_for(Opcode::Openat) else {
        return;
    };
    let dir = Scratch::new("openat");
    let path = dir.cpath("new");
    let flags = libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY | libc::O_CLOEXEC;
    let open = Iocb::openat(libc::AT_FDCWD, &path, flags, 0o640).with_data(9);
    // SAFETY: `path` outlives the call, which reaps the event.
    let fd = unsafe { run(&mut ctx, &open) }.res;
    assert!(fd >= 0, "openat: {fd}");
    // SAFETY: the result is a fresh fd that nothing else owns.
    let mut file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd as i32) });
    file.write_all(b"via the ring's fd").unwrap();
    assert_eq!(fs::read(dir.path("new")).unwrap(), b"via the ring's fd");
    let mode = fs::metadata(dir.path("new")).unwrap().permissions().mode();
    assert_eq!(mode & 0o700, 0o600, "mode {mode:o}");
    assert_eq!(mode & 0o777 & !0o640, 0, "mode {mode:o}");

    // O_EXCL again: the file exists now.
    let again = Iocb::openat(libc::AT_FDCWD, &path, flags, 0o640).with_data(10);
    // SAFETY: `path` outlives the call, which reaps the event.
    let res = unsafe { run(&mut ctx, &again) }.res;
    assert_eq!(res, -i64::from(libc::EEXIST));
}

#[test]
fn statx_reports_the_size() {
    let Some(mut ctx) = context_for(Opcode::Statx) else {
        return;
    };
    let dir = Scratch::new("statx");
    fs::write(dir.path("f"), vec![7u8; 1234]).unwrap();
    let path = dir.cpath("f");
    // SAFETY: statx is plain integers; all zeroes is a valid value.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    let stat = Iocb::statx(libc::AT_FDCWD, &path, 0, libc::STATX_SIZE, &mut stx).with_data(11);
    // SAFETY: `path` and `stx` outlive the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &stat) }.res, 0);
    assert_ne!(stx.stx_mask & libc::STATX_SIZE, 0);
    assert_eq!(stx.stx_size, 1234);
}

#[test]
fn fallocate_extends_the_file() {
    let Some(mut ctx) = context_for(Opcode::Fallocate) else {
        return;
    };
    let dir = Scratch::new("fallocate");
    let file = dir.file("f", b"");
    let alloc = Iocb::fallocate(Target::Fd(file.as_raw_fd()), 0, 4096, 8192).with_data(12);
    // SAFETY: fallocate points at no memory.
    let res = unsafe { run(&mut ctx, &alloc) }.res;
    if res == -i64::from(libc::EOPNOTSUPP) {
        common::skip("the temp dir's file system has no fallocate");
        return;
    }
    assert_eq!(res, 0);
    assert_eq!(file.metadata().unwrap().len(), 12288);
}

#[test]
fn ftruncate_sets_the_size() {
    let Some(mut ctx) = context_for(Opcode::Ftruncate) else {
        return;
    };
    let dir = Scratch::new("ftruncate");
    let file = dir.file("f", &[1u8; 100]);
    let fd = Target::Fd(file.as_raw_fd());
    let shrink = Iocb::ftruncate(fd, 10).with_data(19);
    let grow = Iocb::ftruncate(fd, 5000).with_data(20);
    // SAFETY: ftruncate points at no memory.
    assert_eq!(unsafe { run(&mut ctx, &shrink) }.res, 0);
    assert_eq!(fs::read(dir.path("f")).unwrap(), [1u8; 10]);
    // SAFETY: ftruncate points at no memory.
    assert_eq!(unsafe { run(&mut ctx, &grow) }.res, 0);
    assert_eq!(file.metadata().unwrap().len(), 5000);
}

#[test]
fn unlinkat_removes_files_and_directories() {
    let Some(mut ctx) = context_for(Opcode::Unlinkat) else {
        return;
    };
    let dir = Scratch::new("unlinkat");
    fs::write(dir.path("f"), b"x").unwrap();
    fs::create_dir(dir.path("d")).unwrap();
    let (f, d) = (dir.cpath("f"), dir.cpath("d"));
    let file = Iocb::unlinkat(libc::AT_FDCWD, &f, 0).with_data(13);
    let rmdir = Iocb::unlinkat(libc::AT_FDCWD, &d, libc::AT_REMOVEDIR).with_data(14);
    // SAFETY: the paths outlive the calls, which reap the events.
    unsafe {
        assert_eq!(run(&mut ctx, &file).res, 0);
        assert_eq!(run(&mut ctx, &rmdir).res, 0);
    }
    assert!(!dir.path("f").exists());
    assert!(!dir.path("d").exists());
}

#[test]
fn renameat_moves_the_file() {
    let Some(mut ctx) = context_for(Opcode::Renameat) else {
        return;
    };
    let dir = Scratch::new("renameat");
    fs::write(dir.path("old"), b"contents").unwrap();
    let (old, new) = (dir.cpath("old"), dir.cpath("new"));
    let rename = Iocb::renameat(libc::AT_FDCWD, &old, libc::AT_FDCWD, &new, 0).with_data(15);
    // SAFETY: the paths outlive the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &rename) }.res, 0);
    assert!(!dir.path("old").exists());
    assert_eq!(fs::read(dir.path("new")).unwrap(), b"contents");
}

#[test]
fn mkdirat_creates_a_directory() {
    let Some(mut ctx) = context_for(Opcode::Mkdirat) else {
        return;
    };
    let dir = Scratch::new("mkdirat");
    let path = dir.cpath("sub");
    let mkdir = Iocb::mkdirat(libc::AT_FDCWD, &path, 0o755).with_data(16);
    // SAFETY: `path` outlives the call, which reaps the event.
    assert_eq!(unsafe { run(&mut ctx, &mkdir) }.res, 0);
    assert!(fs::metadata(dir.path("sub")).unwrap().is_dir());
}

#[test]
fn close_releases_the_fd() {
    let Some(mut ctx) = context_for(Opcode::Close) else {
        return;
    };
    let (r, w) = pipe();
    let close = Iocb::close(Target::Fd(w.into_raw_fd())).with_data(17);
    // SAFETY: a close points at no memory; the write end's ownership went to the request.
    assert_eq!(unsafe { run(&mut ctx, &close) }.res, 0);
    // The only write end is closed: the read end is at end of file.
    let mut buf = [0u8; 1];
    assert_eq!(fs::File::from(r).read(&mut buf).unwrap(), 0);
}

#[test]
fn noop_completes_with_zero() {
    let Some(mut ctx) = context_for(Opcode::Noop) else {
        return;
    };
    let noop = Iocb::noop().with_data(u64::MAX - 1);
    // SAFETY: a noop points at no memory.
    let event = unsafe { run(&mut ctx, &noop) };
    assert_eq!((event.data, event.res), (u64::MAX - 1, 0));
    assert_eq!(ctx.in_flight(), 0);
}

#[test]
fn timeout_fires_with_etime() {
    let Some(mut ctx) = context_for(Opcode::Timeout) else {
        return;
    };
    let ts = Timespec::from_duration(std::time::Duration::from_millis(1));
    let timeout = Iocb::timeout(&ts).with_data(18);
    // SAFETY: `ts` outlives the call, which reaps the event.
    let res = unsafe { run(&mut ctx, &timeout) }.res;
    assert_eq!(res, -i64::from(libc::ETIME));
}
