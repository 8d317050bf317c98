//! A full filesystem (a 1 MiB tmpfs, mounted when running as root): the error names the
//! file, the exit status is 1, and no temporary is left.

mod common;

use std::fs;
use std::path::PathBuf;

use common::{
    assert_fails_with, assert_no_temporaries, listing, pattern, run, write_file, Mount, Scratch,
};

/// A scratch directory with a tmpfs of `size` mounted at its `small`. Fields drop in order:
/// the mount before the directory under it.
struct Full {
    _mount: Mount,
    small: PathBuf,
    scratch: Scratch,
}

/// `Full`, or `None` (the skip printed) where the tmpfs cannot be mounted.
fn full_fs(tag: &str, size: &str) -> Option<Full> {
    let scratch = Scratch::new(tag);
    let small = scratch.join("small");
    match Mount::new("tmpfs", size, &small) {
        Ok(mount) => Some(Full {
            _mount: mount,
            small,
            scratch,
        }),
        Err(reason) => {
            common::skip(reason);
            None
        }
    }
}

#[test]
fn a_file_larger_than_the_filesystem() {
    let Some(full) = full_fs("enospc-file", "size=1m") else {
        return;
    };
    let (scratch, small) = (&full.scratch, &full.small);
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
        listing(small).is_empty(),
        "left behind: {:?}",
        listing(small)
    );
}

#[test]
fn a_tree_that_runs_out_of_space_midway() {
    let Some(full) = full_fs("enospc-tree", "size=1m") else {
        return;
    };
    let (scratch, small) = (&full.scratch, &full.small);
    let src = scratch.join("src");
    fs::create_dir(&src).expect("mkdir");
    for i in 0..40 {
        write_file(&src.join(format!("f{i:02}")), &pattern(64 << 10, i));
    }
    let out = run([std::path::Path::new("-r"), &src, &small.join("copy")]);
    assert_fails_with(&out, "No space left on device");
    assert_no_temporaries(small);
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

/// The source on the small filesystem itself, so that the kernel copies
/// (`copy_file_range`): a small file in the pool's one job, a large one (over 8 MiB) by
/// requests through the runtime. Both fail cleanly and leave only the source.
#[test]
fn in_kernel_copies_that_run_out_of_space() {
    for (size, mount_size) in [(600 << 10, "size=1m"), (9 << 20, "size=12m")] {
        let Some(full) = full_fs("enospc-kernel", mount_size) else {
            return;
        };
        let small = &full.small;
        let src = small.join("src");
        write_file(&src, &pattern(size, 3));
        let dst = small.join("copy");
        let out = run([&src, &dst]);
        let expected = format!(
            "ringaio-cp: error writing '{}': No space left on device",
            dst.display()
        );
        assert_fails_with(&out, &expected);
        assert_eq!(listing(small), [std::path::PathBuf::from("src")], "{size}");
    }
}

/// A FIFO's data spliced into a full filesystem: the error is the write's, and the new
/// file is gone.
#[test]
fn a_fifo_spliced_into_a_full_filesystem() {
    let Some(full) = full_fs("enospc-splice", "size=1m") else {
        return;
    };
    let (scratch, small) = (&full.scratch, &full.small);
    let fifo = scratch.join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return common::skip("mkfifo failed");
    }
    let writer = {
        let fifo = fifo.clone();
        // The copy stops reading at the error: the writer then sees EPIPE, which is fine.
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok(mut f) = fs::File::options().write(true).open(&fifo) {
                let _ = f.write_all(&pattern(3 << 20, 5));
            }
        })
    };
    let dst = small.join("copy");
    let out = run([&fifo, &dst]);
    writer.join().expect("writer");
    let expected = format!(
        "ringaio-cp: error writing '{}': No space left on device",
        dst.display()
    );
    assert_fails_with(&out, &expected);
    assert!(
        listing(small).is_empty(),
        "left behind: {:?}",
        listing(small)
    );
}
