//! One buffer larger than the kernel's per-request limit (`MAX_RW_COUNT`, just under 2 GiB):
//! `write_at`/`read_at` transfer a prefix, `write_all_at`/`read_exact_at` split the request
//! and move every byte. Heavy (2 GiB of file, 2 GiB of memory per backend, one backend at a
//! time): skipped with a reason when the machine has less than 6 GiB of disk or memory free.

use std::path::Path;
use std::sync::Mutex;

use ringaio::Backend;
use ringaio_core::MAX_RW_COUNT;
use ringaio_tests::{runtime, TempPath};

const GIB: u64 = 1 << 30;
/// 2 GiB + 8 KiB: over `MAX_RW_COUNT` by a little more than 8 KiB.
const LEN: usize = (2 * GIB as usize) + 8 * 1024;
/// Disk and memory each must have this much free.
const NEED: u64 = 6 * GIB;

/// One backend at a time: two at once would need twice the memory and disk.
static HEAVY: Mutex<()> = Mutex::new(());

/// Free bytes for unprivileged users on the filesystem holding `dir`.
fn free_disk(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: statvfs is plain integers; all zeroes is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a live out pointer.
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st.f_bavail * st.f_frsize)
}

/// `MemAvailable` from /proc/meminfo, in bytes.
fn free_memory() -> std::io::Result<u64> {
    let info = std::fs::read_to_string("/proc/meminfo")?;
    info.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .ok_or_else(|| std::io::Error::other("no MemAvailable line"))
}

/// Why the machine cannot run this test, if it cannot.
fn lacks_room(dir: &Path) -> Option<String> {
    match (free_disk(dir), free_memory()) {
        (Ok(disk), _) if disk < NEED => Some(format!(
            "{} has {} MiB free, the test needs {} MiB",
            dir.display(),
            disk >> 20,
            NEED >> 20
        )),
        (_, Ok(mem)) if mem < NEED => Some(format!(
            "{} MiB of memory available, the test needs {} MiB",
            mem >> 20,
            NEED >> 20
        )),
        (Err(e), _) => Some(format!("cannot read free disk space: {e}")),
        (_, Err(e)) => Some(format!("cannot read free memory: {e}")),
        _ => None,
    }
}

/// Marked positions: both ends, page edges, and both sides of the split at `MAX_RW_COUNT`.
fn marks() -> Vec<usize> {
    let max = MAX_RW_COUNT as usize;
    let two = 2 * GIB as usize;
    let marks = vec![
        0,
        1,
        4095,
        4096,
        max - 4097,
        max - 1,
        max,
        max + 1,
        max + 2048,
        two - 1,
        two,
        LEN - 4097,
        LEN - 2,
        LEN - 1,
    ];
    assert!(marks.windows(2).all(|w| w[0] < w[1]), "distinct, in order");
    marks
}

fn mark(i: usize) -> u8 {
    (i as u8).wrapping_mul(37) | 0x80
}

fn large_round_trip(backend: Backend) {
    let _one_at_a_time = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(dir).expect("target tmp dir");
    if let Some(reason) = lacks_room(dir) {
        ringaio_tests::say!("skipped: {reason}");
        return;
    }
    let tmp = TempPath::new(dir, "large-io");
    let rt = runtime(backend);
    let mut data = vec![0u8; LEN];
    let marks = marks();
    for (i, &at) in marks.iter().enumerate() {
        data[at] = mark(i);
    }
    let before = rt.stats();
    let data = rt.block_on(async {
        let file = ringaio_tests::create_rw(tmp.path()).await.expect("open");

        // One request moves at most MAX_RW_COUNT bytes: a prefix, as a short write.
        let (res, data) = file.write_at(data, 0).await;
        assert_eq!(
            res.expect("write_at"),
            MAX_RW_COUNT as usize,
            "write_at's prefix"
        );

        let (res, data) = file.write_all_at(data, 0).await;
        res.expect("write_all_at of more than 2 GiB");
        assert_eq!(file.metadata().await.expect("metadata").len(), LEN as u64);

        let (res, back) = file.read_exact_at(vec![0u8; LEN], 0).await;
        res.expect("read_exact_at of more than 2 GiB");
        assert_eq!(back.len(), LEN);
        for (i, &at) in marks.iter().enumerate() {
            assert_eq!(back[at], mark(i), "marked byte {i} at {at}");
        }
        assert!(back == data, "bytes read back differ from those written");

        let (res, back) = file.read_at(back, 0).await;
        assert_eq!(
            res.expect("read_at"),
            MAX_RW_COUNT as usize,
            "read_at's prefix"
        );
        drop(back);
        data
    });
    let after = rt.stats();
    let requests = (after.via_ring + after.via_pool) - (before.via_ring + before.via_pool);
    // open, write_at, write_all_at (2+), statx, read_exact_at (2+), read_at.
    assert!(
        requests >= 8,
        "the large transfers were split: {before:?} -> {after:?}"
    );
    drop(rt);
    let meta = std::fs::metadata(tmp.path()).expect("std metadata");
    assert_eq!(meta.len(), LEN as u64, "file length seen by std");
    let mut tail = vec![0u8; 8192];
    let std_file = std::fs::File::open(tmp.path()).expect("std open");
    std::os::unix::fs::FileExt::read_exact_at(&std_file, &mut tail, (LEN - 8192) as u64)
        .expect("std read of the tail");
    assert!(
        tail == data[LEN - 8192..],
        "std sees the tail past the split"
    );
    drop(tmp);
}

#[test]
fn uring_more_than_2_gib_in_one_buffer() {
    large_round_trip(Backend::Uring);
}

#[test]
fn fallback_more_than_2_gib_in_one_buffer() {
    large_round_trip(Backend::Fallback);
}
