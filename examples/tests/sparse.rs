//! Sparse files stay sparse (issue 17): holes are found with `SEEK_DATA` / `SEEK_HOLE` and
//! not written, `--sparse=always` also leaves out blocks of zeros, `--sparse=never` writes
//! everything; a copy's block count is compared with GNU cp's on the same file. Also across
//! filesystems (where the io_uring pipeline copies), and `--reflink` against cp's.

mod common;

use std::fs;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;
use std::process::Command;

use common::{assert_ok, pattern, run, Mount, Scratch};

const MIB: u64 = 1 << 20;

/// A file of `len` bytes with `data` MiB of data at its middle, the rest holes (and, with
/// `zeros`, 8 MiB of written zeros before the data).
fn sparse_file(path: &Path, len: u64, data: usize, zeros: bool) {
    let file = fs::File::create(path).expect("create");
    file.set_len(len).expect("truncate");
    let mid = len / 2;
    file.write_all_at(&pattern(data << 20, 17), mid)
        .expect("write data");
    if zeros {
        file.write_all_at(&vec![0; 8 << 20], mid - 8 * MIB)
            .expect("write zeros");
    }
    file.sync_all().expect("sync");
}

fn blocks(path: &Path) -> u64 {
    fs::metadata(path).expect("stat").blocks()
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    Command::new("cmp")
        .args([a, b])
        .status()
        .is_ok_and(|s| s.success())
}

/// Copies `src` to `dst` with GNU cp and `args`; `None` if cp is missing.
fn with_cp(args: &[&str], src: &Path, dst: &Path) -> Option<u64> {
    let ok = Command::new("cp")
        .args(args)
        .arg(src)
        .arg(dst)
        .status()
        .ok()?
        .success();
    assert!(ok, "cp {args:?} failed");
    Some(blocks(dst))
}

#[test]
fn a_gigabyte_with_a_megabyte_of_data_keeps_its_blocks() {
    let scratch = Scratch::new("sparse-1g");
    let (src, dst, theirs) = (scratch.join("src"), scratch.join("dst"), scratch.join("cp"));
    sparse_file(&src, 1 << 30, 1, false);
    assert_ok(&run([&src, &dst]));
    assert_eq!(fs::metadata(&dst).expect("stat").len(), 1 << 30);
    assert!(same_bytes(&src, &dst), "contents differ");
    assert_eq!(
        blocks(&dst),
        blocks(&src),
        "blocks of the copy and the source"
    );
    if let Some(cp_blocks) = with_cp(&[], &src, &theirs) {
        assert_eq!(blocks(&dst), cp_blocks, "blocks of ours and cp's copy");
    }
}

#[test]
fn sparse_never_and_always() {
    let scratch = Scratch::new("sparse-modes");
    let src = scratch.join("src");
    sparse_file(&src, 64 * MIB, 1, true);
    for (mode, cp_mode) in [("never", "--sparse=never"), ("always", "--sparse=always")] {
        let dst = scratch.join(mode);
        let arg = format!("--sparse={mode}");
        assert_ok(&run([Path::new(&arg), &src, &dst]));
        assert!(same_bytes(&src, &dst), "{mode}: contents differ");
        let theirs = scratch.join(&format!("cp-{mode}"));
        let ours = blocks(&dst);
        match mode {
            "never" => assert!(ours >= 64 * MIB / 512, "never: only {ours} blocks"),
            _ => assert!(
                ours < blocks(&src),
                "always: {ours} blocks, source {}",
                blocks(&src)
            ),
        }
        if let Some(cp_blocks) = with_cp(&[cp_mode], &src, &theirs) {
            assert_eq!(ours, cp_blocks, "{mode}: blocks of ours and cp's copy");
        }
    }
}

#[test]
fn sparse_across_filesystems_through_the_ring() {
    let scratch = Scratch::new("sparse-tmpfs");
    let dir = scratch.join("mnt");
    let _mount = match Mount::new("tmpfs", "size=128m", &dir) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    let src = scratch.join("src");
    sparse_file(&src, 256 * MIB, 2, false);
    for args in [&[][..], &["--direct"], &["--verify"]] {
        let dst = dir.join("dst");
        let mut argv: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_ref()).collect();
        argv.extend([src.as_os_str(), dst.as_os_str()]);
        assert_ok(&run(&argv));
        assert!(same_bytes(&src, &dst), "{args:?}: contents differ");
        // 256 MiB would not fit: the holes were not written.
        assert!(
            blocks(&dst) <= 2 * blocks(&src),
            "{args:?}: {} blocks",
            blocks(&dst)
        );
        fs::remove_file(&dst).expect("rm");
    }
}

#[test]
fn reflink_as_cp_does_it() {
    let scratch = Scratch::new("reflink");
    let src = scratch.join("src");
    fs::write(&src, pattern(300_000, 3)).expect("write");
    for when in ["always", "auto", "never"] {
        let arg = format!("--reflink={when}");
        let ours = run([
            Path::new(&arg),
            &src,
            &scratch.join(&format!("ours-{when}")),
        ]);
        let theirs = Command::new("cp")
            .arg(&arg)
            .arg(&src)
            .arg(scratch.join(&format!("cp-{when}")))
            .output();
        let Ok(theirs) = theirs else {
            return common::skip("GNU cp is not installed");
        };
        assert_eq!(
            ours.status.success(),
            theirs.status.success(),
            "{arg}: ours {:?}, cp {:?}",
            String::from_utf8_lossy(&ours.stderr),
            String::from_utf8_lossy(&theirs.stderr)
        );
        if ours.status.success() {
            assert!(same_bytes(&src, &scratch.join(&format!("ours-{when}"))));
        } else {
            common::skip(format!(
                "{arg}: this filesystem cannot clone (cp fails too)"
            ));
        }
    }
}

/// More data than one pool job copies (over 8 MiB, in several extents): the runtime's
/// `copy_file_range` workers each take a consecutive part of the extents, through a source
/// descriptor of their own, and the holes stay holes.
#[test]
fn several_extents_of_data_split_between_the_workers() {
    let scratch = Scratch::new("sparse-parts");
    let (src, dst) = (scratch.join("src"), scratch.join("dst"));
    let file = fs::File::create(&src).expect("create");
    file.set_len(300 * MIB).expect("truncate");
    for (i, at) in [3, 50, 51, 120, 200, 290].into_iter().enumerate() {
        file.write_all_at(&pattern(7 << 20 | 4_097, i as u64), at * MIB)
            .expect("write data");
    }
    file.sync_all().expect("sync");
    drop(file);
    assert_ok(&run([&src, &dst]));
    assert_eq!(fs::metadata(&dst).expect("stat").len(), 300 * MIB);
    assert!(same_bytes(&src, &dst), "contents differ");
    // Allow a few blocks of difference for extent boundaries rounded to the filesystem's
    // block; the 200-odd MiB of holes must not be filled.
    let (ours, theirs) = (blocks(&dst), blocks(&src));
    assert!(ours <= theirs + 64, "copy {ours} blocks, source {theirs}");
}
