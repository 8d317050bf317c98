//! `File::copy_range_to` (copy_file_range on the blocking pool) and `File::splice_to`
//! (IORING_OP_SPLICE), on whichever backend `RINGAIO_BACKEND` picks: the data arrives, the
//! counts are right, the end of the input is 0, and misuse gets the kernel's errors.

use std::fs;
use std::os::fd::{FromRawFd, OwnedFd};

use ringaio::fs::File;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ringaio-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 just opened both fds, and nothing else owns them.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    (
        File::from_std(fs::File::from(r)),
        File::from_std(fs::File::from(w)),
    )
}

#[test]
fn copy_range_copies_in_the_kernel() {
    let dir = scratch("copy-range");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(dir.join("src"), &data).expect("write");
    ringaio::block_on(async {
        let src = File::open(dir.join("src")).await.expect("open");
        let dst = File::create(dir.join("dst")).await.expect("create");
        let mut pos = 0u64;
        loop {
            let n = src
                .copy_range_to(pos, &dst, pos + 10, 65536)
                .await
                .expect("copy_file_range");
            if n == 0 {
                break;
            }
            pos += n as u64;
        }
        assert_eq!(pos, data.len() as u64);
        let err = dst
            .copy_range_to(0, &src, 0, 10)
            .await
            .expect_err("into a read-only file");
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
        src.close().await.expect("close");
        dst.close().await.expect("close");
    });
    let copied = fs::read(dir.join("dst")).expect("read");
    assert_eq!(&copied[..10], &[0; 10]);
    assert!(copied[10..] == data[..], "contents differ");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn splice_moves_a_file_through_a_pipe() {
    let dir = scratch("splice");
    fs::write(dir.join("src"), b"through the pipe and back").expect("write");
    ringaio::block_on(async {
        let src = File::open(dir.join("src")).await.expect("open");
        let dst = File::create(dir.join("dst")).await.expect("create");
        let (r, w) = pipe();
        let into_pipe = src
            .splice_to(Some(8), &w, None, 100)
            .await
            .expect("splice in");
        assert_eq!(into_pipe, 17);
        let out_of_pipe = r
            .splice_to(None, &dst, Some(0), 100)
            .await
            .expect("splice out");
        assert_eq!(out_of_pipe, 17);
        let err = src
            .splice_to(Some(0), &dst, Some(0), 10)
            .await
            .expect_err("no pipe at either end");
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        w.close().await.expect("close");
        let end = r
            .splice_to(None, &dst, Some(17), 100)
            .await
            .expect("at the end");
        assert_eq!(end, 0, "the pipe is closed and empty");
        for f in [src, dst, r] {
            f.close().await.expect("close");
        }
    });
    assert_eq!(
        fs::read(dir.join("dst")).expect("read"),
        b"the pipe and back"
    );
    let _ = fs::remove_dir_all(&dir);
}
