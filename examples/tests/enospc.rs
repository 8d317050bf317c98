//! A full filesystem (a 1 MiB tmpfs, mounted when running as root): the error names the
//! file, the exit status is 1, and no temporary is left.

mod common;

use std::fs;

use common::{
    assert_fails_with, assert_no_temporaries, listing, pattern, run, write_file, Mount, Scratch,
};

#[test]
fn a_file_larger_than_the_filesystem() {
    let scratch = Scratch::new("enospc-file");
    let small = scratch.join("small");
    let _mount = match Mount::new("tmpfs", "size=1m", &small) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    let src = scratch.join("big");
    write_file(&src, &pattern(4 << 20, 9));
    let dst = small.join("big");
    let out = run([&src, &dst]);
    let expected = format!(
        "ringaio-cp: error writing '{}': No space left on device",
        dst.display()
    );
    assert_fails_with(&out, &expected);
    assert!(
        listing(&small).is_empty(),
        "left behind: {:?}",
        listing(&small)
    );
}

#[test]
fn a_tree_that_runs_out_of_space_midway() {
    let scratch = Scratch::new("enospc-tree");
    let small = scratch.join("small");
    let _mount = match Mount::new("tmpfs", "size=1m", &small) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    let src = scratch.join("src");
    fs::create_dir(&src).expect("mkdir");
    for i in 0..40 {
        write_file(&src.join(format!("f{i:02}")), &pattern(64 << 10, i));
    }
    let out = run([std::path::Path::new("-r"), &src, &small.join("copy")]);
    assert_fails_with(&out, "No space left on device");
    assert_no_temporaries(&small);
    // What did get copied is whole.
    for rel in listing(&small.join("copy")) {
        let copied = fs::read(small.join("copy").join(&rel)).expect("read copy");
        assert_eq!(
            copied,
            fs::read(src.join(&rel)).expect("read source"),
            "{}",
            rel.display()
        );
    }
}
