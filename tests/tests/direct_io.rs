//! `O_DIRECT` round trip with `AlignedBuf`: aligned writes and reads bypass the page cache
//! and give back the same bytes. Skipped, with the reason, where the filesystem refuses
//! `O_DIRECT` (tmpfs, some overlays).

use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;

use ringaio::buf::AlignedBuf;
use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, Rng, TempPath};

/// Alignment that suits every device's logical block size.
const ALIGN: usize = 4096;
const LEN: usize = 256 * 1024;

/// Whether std can do one aligned `O_DIRECT` write at `path`; the reason if not.
fn probe(path: &Path) -> Result<(), String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(libc::O_DIRECT)
        .open(path);
    let file = match file {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
            return Err(format!("the filesystem refuses O_DIRECT opens: {e}"))
        }
        Err(e) => panic!("probe open {}: {e}", path.display()),
    };
    let buf = AlignedBuf::new(ALIGN, ALIGN).expect("aligned buffer");
    match file.write_at(buf.as_slice(), 0) {
        Ok(_) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Err(format!(
            "the filesystem refuses aligned O_DIRECT writes: {e}"
        )),
        Err(e) => panic!("probe write {}: {e}", path.display()),
    }
}

fn direct_round_trip(backend: Backend) {
    // In the target directory, not /tmp, which is often tmpfs.
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-io");
    if let Err(reason) = probe(tmp.path()) {
        ringaio_tests::say!("skipped: {reason}");
        return;
    }
    let rt = runtime(backend);
    let mut rng = Rng::new(0xd1ec7);
    rt.block_on(async {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(libc::O_DIRECT)
            .open(tmp.path())
            .await
            .expect("ringaio opens with O_DIRECT where std could");

        let mut out = AlignedBuf::new(LEN, ALIGN).expect("aligned buffer");
        assert_eq!(
            out.as_slice().as_ptr() as usize % ALIGN,
            0,
            "aligned address"
        );
        rng.fill(out.as_mut_slice());
        let (res, out) = file.write_all_at(out, 0).await;
        res.expect("aligned O_DIRECT write");
        // A second extent at an aligned offset past a hole.
        let mut tail = AlignedBuf::new(ALIGN * 2, ALIGN).expect("aligned buffer");
        rng.fill(tail.as_mut_slice());
        let tail_at = (LEN + 4 * ALIGN) as u64;
        let (res, tail) = file.write_all_at(tail, tail_at).await;
        res.expect("aligned O_DIRECT write past a hole");
        file.sync_all().await.expect("fsync");

        let back = AlignedBuf::new(LEN, ALIGN).expect("aligned buffer");
        let (res, back) = file.read_exact_at(back, 0).await;
        res.expect("aligned O_DIRECT read");
        assert!(back.as_slice() == out.as_slice(), "first extent differs");

        let hole = AlignedBuf::new(ALIGN * 6, ALIGN).expect("aligned buffer");
        let (res, hole) = file.read_exact_at(hole, LEN as u64).await;
        res.expect("aligned O_DIRECT read over the hole");
        assert!(hole.as_slice()[..4 * ALIGN].iter().all(|b| *b == 0));
        assert!(
            hole.as_slice()[4 * ALIGN..] == *tail.as_slice(),
            "second extent"
        );

        let (res, end) = file
            .read_at(
                AlignedBuf::new(ALIGN, ALIGN).expect("buf"),
                tail_at + 2 * ALIGN as u64,
            )
            .await;
        assert_eq!(res.expect("aligned read at end of file"), 0);
        assert_eq!(end.align(), ALIGN);
        let meta = file.metadata().await.expect("metadata");
        assert_eq!(meta.len(), tail_at + 2 * ALIGN as u64);
    });
    let on_disk = std::fs::read(tmp.path()).expect("std read");
    assert_eq!(on_disk.len(), LEN + 6 * ALIGN);
}

#[test]
fn uring_direct_io_round_trip() {
    direct_round_trip(Backend::Uring);
}

#[test]
fn fallback_direct_io_round_trip() {
    direct_round_trip(Backend::Fallback);
}

#[test]
fn unaligned_length_is_an_error_not_a_panic() {
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "direct-io-unaligned");
    if let Err(reason) = probe(tmp.path()) {
        ringaio_tests::say!("skipped: {reason}");
        return;
    }
    for backend in [Backend::Uring, Backend::Fallback] {
        let rt = runtime(backend);
        rt.block_on(async {
            let file = File::options()
                .read(true)
                .write(true)
                .custom_flags(libc::O_DIRECT)
                .open(tmp.path())
                .await
                .expect("open");
            let mut buf = AlignedBuf::new(ALIGN, ALIGN).expect("buf");
            buf.truncate(100);
            let (res, buf) = file.write_at(buf, 0).await;
            match res {
                Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
                // Some filesystems fall back to buffered I/O for unaligned requests.
                Ok(n) => eprintln!("note: {backend:?}: unaligned O_DIRECT write accepted ({n} B)"),
            }
            assert_eq!(buf.as_slice().len(), 100, "the buffer comes back");
        });
    }
}
