//! Single files of the sizes that matter to a block pipeline: empty, one byte, around a page,
//! just over a block, and many blocks; with default and with tiny blocks.

mod common;

use std::fs;

use common::{
    assert_no_temporaries, assert_ok, assert_same_contents, pattern, run, write_file, Scratch,
};

const MIB: usize = 1 << 20;
const SIZES: [usize; 6] = [0, 1, 4095, 4096, MIB + 1, 64 * MIB];

fn copy_and_compare(scratch: &Scratch, size: usize, extra: &[&str]) {
    let src = scratch.join(&format!("src-{size}"));
    let dst = scratch.join(&format!("dst-{size}"));
    write_file(&src, &pattern(size, size as u64));
    let mut args: Vec<&std::ffi::OsStr> = extra.iter().map(|a| a.as_ref()).collect();
    args.push(src.as_os_str());
    args.push(dst.as_os_str());
    assert_ok(&run(&args));
    assert_same_contents(&src, &dst);
}

#[test]
fn every_size_with_the_defaults() {
    let scratch = Scratch::new("sizes");
    for size in SIZES {
        copy_and_compare(&scratch, size, &[]);
    }
    assert_no_temporaries(scratch.path());
}

#[test]
fn other_block_sizes_and_queue_depths() {
    let scratch = Scratch::new("block-sizes");
    let settings: [&[&str]; 3] = [
        &["--block-size", "1m", "--queue-depth", "8"],
        &["--block-size", "4k", "--queue-depth", "3"],
        &["--block-size", "1000", "--queue-depth", "1"],
    ];
    for size in [0, 1, 4095, 4096, MIB + 1, 3 * MIB + 12345] {
        for args in settings {
            copy_and_compare(&scratch, size, args);
        }
    }
    assert_no_temporaries(scratch.path());
}

#[test]
fn into_an_existing_directory() {
    let scratch = Scratch::new("into-dir");
    let src = scratch.join("file");
    write_file(&src, &pattern(10_000, 1));
    fs::create_dir(scratch.join("dir")).expect("mkdir");
    assert_ok(&run([src.as_os_str(), scratch.join("dir").as_os_str()]));
    assert_same_contents(&src, &scratch.join("dir/file"));
}

#[test]
fn several_sources_into_a_directory() {
    let scratch = Scratch::new("several");
    fs::create_dir(scratch.join("dir")).expect("mkdir");
    let names = ["a", "b", "c"];
    for (i, name) in names.iter().enumerate() {
        write_file(&scratch.join(name), &pattern(5000 * (i + 1), i as u64));
    }
    let mut args: Vec<_> = names.iter().map(|n| scratch.join(n)).collect();
    args.push(scratch.join("dir"));
    assert_ok(&run(&args));
    for name in names {
        assert_same_contents(&scratch.join(name), &scratch.join("dir").join(name));
    }
}

#[test]
fn replacing_a_file_keeps_its_mode_without_p() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("replace");
    let (src, dst) = (scratch.join("src"), scratch.join("dst"));
    write_file(&src, &pattern(1234, 7));
    write_file(&dst, b"old contents, longer than nothing at all");
    fs::set_permissions(&dst, fs::Permissions::from_mode(0o640)).expect("chmod");
    fs::set_permissions(&src, fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_ok(&run([&src, &dst]));
    assert_same_contents(&src, &dst);
    let mode = fs::metadata(&dst).expect("stat").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640);
    assert_no_temporaries(scratch.path());
}

#[test]
fn a_pipe_is_read_to_its_end() {
    let scratch = Scratch::new("pipe");
    let fifo = scratch.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        common::skip("mkfifo failed");
        return;
    }
    let data = pattern(300_000, 3);
    let writer = {
        let (fifo, data) = (fifo.clone(), data.clone());
        std::thread::spawn(move || write_file(&fifo, &data))
    };
    let dst = scratch.join("out");
    assert_ok(&run([&fifo, &dst]));
    writer.join().expect("writer");
    assert_eq!(fs::read(&dst).expect("read copy"), data);
}
