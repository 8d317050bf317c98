//! Sources that are not regular files, compared with GNU cp on twin setups: a FIFO given as a
//! plain source is read; with `-r` it is made anew, not opened (which would wait for a writer
//! forever); trees with FIFOs, device nodes, sockets, symbolic links and hard links, with
//! `-r` and with `-a` (modes, owners, times, links kept).

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::twin::{self, assert_same, compare, nothing, Twin};
use common::write_file;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
}

#[test]
fn a_fifo_source_is_read() {
    let t = Twin {
        name: "src-fifo",
        args: &["-v", "fifo", "dst"],
        user: None,
        watch: &["dst", "fifo"],
        mtimes: false,
    };
    if let Some(why) = twin::missing(&t) {
        return common::skip(why);
    }
    let writer = |dir: &Path| -> Box<dyn FnOnce() -> String> {
        let fifo = dir.join("fifo");
        let (tx, rx) = mpsc::channel();
        let path = fifo.clone();
        thread::spawn(move || {
            let wrote = fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(b"through the pipe\n"));
            let _ = tx.send(wrote.is_ok());
        });
        Box::new(move || match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(true) => "written".into(),
            Ok(false) => "write failed".into(),
            Err(_) => {
                let _ = fs::File::options().read(true).open(&fifo);
                "the copy never opened the FIFO".into()
            }
        })
    };
    let (ours, cp) = compare(&t, |dir| mkfifo(&dir.join("fifo")), writer);
    assert_eq!(
        ours.seen[0].contents.as_deref(),
        Some(&b"through the pipe\n"[..])
    );
    assert_same(t.name, &ours, &cp);
}

#[test]
fn a_fifo_source_is_made_anew_with_r() {
    let t = Twin {
        name: "src-fifo-r",
        args: &["-r", "fifo", "dst"],
        user: None,
        watch: &["dst"],
        mtimes: false,
    };
    if let Some(why) = twin::missing(&t) {
        return common::skip(why);
    }
    let (ours, cp) = compare(&t, |dir| mkfifo(&dir.join("fifo")), nothing);
    assert_eq!(ours.seen[0].kind.0, "fifo");
    assert_same(t.name, &ours, &cp);
}

const TREE: [&str; 12] = [
    "dst",
    "dst/file",
    "dst/setuid",
    "dst/fifo",
    "dst/null",
    "dst/socket",
    "dst/link",
    "dst/dangling",
    "dst/sub",
    "dst/sub/same",
    "dst/sub/other-name",
    "dst/theirs",
];

/// `tree/`: a file, a set-uid file, a FIFO, a character device (root only), a socket, links
/// (one dangling), a subdirectory holding two names of one file, a file owned by nobody;
/// old times everywhere.
fn make_tree(dir: &Path) {
    let tree = dir.join("tree");
    fs::create_dir_all(tree.join("sub")).expect("mkdir");
    write_file(&tree.join("file"), b"plain\n");
    write_file(&tree.join("setuid"), b"#!/bin/true\n");
    fs::set_permissions(tree.join("setuid"), fs::Permissions::from_mode(0o4755)).expect("chmod");
    mkfifo(&tree.join("fifo"));
    if is_root() {
        let made = Command::new("mknod")
            .arg(tree.join("null"))
            .args(["c", "1", "3"])
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mknod");
    }
    drop(std::os::unix::net::UnixListener::bind(tree.join("socket")).expect("bind"));
    symlink("file", tree.join("link")).expect("symlink");
    symlink("nowhere", tree.join("dangling")).expect("symlink");
    write_file(&tree.join("sub/same"), b"linked\n");
    fs::hard_link(tree.join("sub/same"), tree.join("sub/other-name")).expect("link");
    write_file(&tree.join("theirs"), b"nobody's\n");
    if is_root() {
        std::os::unix::fs::lchown(tree.join("theirs"), Some(65534), Some(65534)).expect("chown");
    }
    fs::set_permissions(tree.join("sub"), fs::Permissions::from_mode(0o750)).expect("chmod");
    // Old times on everything (links and the FIFO too), directories last, so that what a
    // copy keeps or sets anew can be compared.
    let touched = Command::new("touch")
        .args(["-h", "-d", "@1234567890"])
        .args([
            "file", "setuid", "fifo", "socket", "link", "dangling", "theirs",
        ])
        .args(["sub/same", "sub", "."])
        .args(is_root().then_some("null"))
        .current_dir(&tree)
        .status();
    assert!(touched.is_ok_and(|s| s.success()), "touch");
}

#[test]
fn trees_with_special_files() {
    for (args, mtimes) in [
        (&["-r", "tree", "dst"][..], false),
        (&["-a", "tree", "dst"], true),
        (&["-rp", "tree", "dst"], true),
    ] {
        let t = Twin {
            name: "src-tree",
            args,
            user: None,
            watch: &TREE,
            mtimes,
        };
        if let Some(why) = twin::missing(&t) {
            return common::skip(why);
        }
        let (ours, cp) = compare(&t, make_tree, nothing);
        assert!(ours.ok, "{args:?}: {}", ours.message);
        assert_same(&format!("{args:?}"), &ours, &cp);
    }
}

#[test]
fn a_tree_onto_an_existing_tree() {
    // Files are written in place; special files and links replaced by new ones, as cp -a does.
    let t = Twin {
        name: "src-tree-again",
        args: &["-a", "tree/.", "dst"],
        user: None,
        watch: &TREE,
        mtimes: true,
    };
    if let Some(why) = twin::missing(&t) {
        return common::skip(why);
    }
    let (ours, cp) = compare(
        &t,
        |dir| {
            make_tree(dir);
            let copied = Command::new("cp")
                .args(["-a", "tree", "dst"])
                .current_dir(dir)
                .status();
            assert!(copied.is_ok_and(|s| s.success()));
            write_file(&dir.join("tree/file"), b"changed\n");
            // A fixed time: the two twins are set up moments apart.
            let f = fs::File::options()
                .write(true)
                .open(dir.join("tree/file"))
                .expect("open");
            f.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_300_000_000))
                .expect("mtime");
        },
        nothing,
    );
    assert_same(t.name, &ours, &cp);
}
