//! Failures read like cp's, exit with status 1, go on with the other sources, and leave
//! nothing behind.

mod common;

use std::fs;
use std::path::Path;

use common::{
    assert_fails_with, assert_no_temporaries, listing, pattern, run, stderr, write_file, Scratch,
};

#[test]
fn missing_source() {
    let scratch = Scratch::new("err-missing");
    let missing = scratch.join("nope");
    let out = run([&missing, &scratch.join("dst")]);
    let expected = format!(
        "ringaio-cp: cannot stat '{}': No such file or directory",
        missing.display()
    );
    assert_fails_with(&out, &expected);
    assert!(listing(scratch.path()).is_empty());
}

#[test]
fn missing_destination_directory() {
    let scratch = Scratch::new("err-nodir");
    let src = scratch.join("src");
    write_file(&src, &pattern(100_000, 1));
    let dst = scratch.join("nodir/dst");
    let out = run([&src, &dst]);
    let expected = format!(
        "ringaio-cp: cannot create regular file '{}': No such file or directory",
        dst.display()
    );
    assert_fails_with(&out, &expected);
    assert_eq!(listing(scratch.path()), vec![Path::new("src").to_owned()]);
}

#[test]
fn a_directory_without_r() {
    let scratch = Scratch::new("err-dir");
    let dir = scratch.join("d");
    fs::create_dir(&dir).expect("mkdir");
    let out = run([&dir, &scratch.join("e")]);
    let expected = format!(
        "ringaio-cp: -r not specified; omitting directory '{}'",
        dir.display()
    );
    assert_fails_with(&out, &expected);
    assert!(!scratch.join("e").exists());
}

#[test]
fn other_sources_are_still_copied() {
    let scratch = Scratch::new("err-continue");
    let dst = scratch.join("dst");
    fs::create_dir(&dst).expect("mkdir");
    write_file(&scratch.join("good"), b"good");
    fs::create_dir(scratch.join("dir")).expect("mkdir");
    let out = run([
        &scratch.join("missing"),
        &scratch.join("dir"),
        &scratch.join("good"),
        &dst,
    ]);
    assert_fails_with(&out, "cannot stat");
    assert!(stderr(&out).contains("omitting directory"));
    assert_eq!(fs::read(dst.join("good")).expect("copied"), b"good");
    assert_no_temporaries(&dst);
}

// cp 9 words it "target 'c': No such file or directory".
#[test]
fn several_sources_need_a_directory() {
    let scratch = Scratch::new("err-target");
    write_file(&scratch.join("a"), b"a");
    write_file(&scratch.join("b"), b"b");
    let out = run([&scratch.join("a"), &scratch.join("b"), &scratch.join("c")]);
    assert_fails_with(&out, "No such file or directory");
    assert!(!scratch.join("c").exists());
}

#[test]
fn a_file_onto_itself() {
    let scratch = Scratch::new("err-same");
    let a = scratch.join("a");
    write_file(&a, b"data");
    let out = run([&a, &a]);
    assert_fails_with(&out, "are the same file");
    assert_eq!(fs::read(&a).expect("read"), b"data");
    assert_no_temporaries(scratch.path());
}

#[test]
fn usage_errors_exit_1() {
    let out = run::<[&str; 0], &str>([]);
    assert_fails_with(&out, "missing file operand");
    let out = run(["only-one"]);
    assert_fails_with(&out, "missing destination file operand after 'only-one'");
    let out = run(["--block-size", "12q", "a", "b"]);
    assert_fails_with(&out, "invalid size '12q'");
    let out = run(["--direct", "--block-size", "1000", "a", "b"]);
    assert_fails_with(&out, "multiple of 4096");
}
