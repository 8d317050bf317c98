//! Every kind of existing destination, each compared with what GNU cp does on a twin setup
//! (issue 17): the exit status, the message, and for each path its type, whether its inode
//! (and its link target's) is the one from before, its mode, owner, link count and contents.
//! Device nodes, FIFOs and sockets are made inside the test's own directories only.

mod common;

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::twin::{self, assert_same, compare, nothing, Twin};
use common::write_file;

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).expect("chown");
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `src` with new contents, mode 0644.
fn source(dir: &Path) {
    write_file(&dir.join("src"), b"the new contents\n");
    chmod(&dir.join("src"), 0o644);
}

fn check(t: &Twin<'_>, setup: impl Fn(&Path)) {
    if let Some(why) = twin::missing(t) {
        return common::skip(format!("{}: {why}", t.name));
    }
    let (ours, cp) = compare(t, setup, nothing);
    assert_same(t.name, &ours, &cp);
}

fn mknod(path: &Path, kind: &str, major: u32, minor: u32) -> bool {
    Command::new("mknod")
        .arg(path)
        .args([kind, &major.to_string(), &minor.to_string()])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_character_device_is_written_to_not_replaced() {
    if !is_root() {
        return common::skip("mknod needs root");
    }
    for args in [
        &["src", "dst"][..],
        &["-f", "src", "dst"],
        &["-a", "src", "dst"],
    ] {
        let t = Twin {
            name: "dest-chardev",
            args,
            user: None,
            watch: &["dst"],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            // The null device's numbers, at a node of our own.
            assert!(mknod(&dir.join("dst"), "c", 1, 3), "mknod");
            chmod(&dir.join("dst"), 0o666);
        });
    }
}

#[test]
fn a_fifo_is_written_to_its_reader() {
    let t = Twin {
        name: "dest-fifo",
        args: &["src", "dst"],
        user: None,
        watch: &["dst"],
        mtimes: false,
    };
    if let Some(why) = twin::missing(&t) {
        return common::skip(why);
    }
    let setup = |dir: &Path| {
        source(dir);
        let made = Command::new("mkfifo").arg(dir.join("dst")).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    };
    let reader = |dir: &Path| -> Box<dyn FnOnce() -> String> {
        let fifo = dir.join("dst");
        let (tx, rx) = mpsc::channel();
        let path = fifo.clone();
        thread::spawn(move || {
            let _ = tx.send(fs::read(&path).map(|b| String::from_utf8_lossy(&b).into_owned()));
        });
        Box::new(move || match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(text)) => format!("reader got {text:?}"),
            Ok(Err(e)) => format!("reader failed: {e}"),
            Err(_) => {
                // Release the reader (a writer that closes at once), then say it hung.
                let _ = fs::File::options().write(true).open(&fifo);
                "reader got nothing: the copy never opened the FIFO".into()
            }
        })
    };
    let (ours, cp) = compare(&t, setup, reader);
    assert!(ours.extra.contains("the new contents"), "{}", ours.extra);
    assert_same(t.name, &ours, &cp);
}

#[test]
fn a_socket_is_not_replaced() {
    let t = Twin {
        name: "dest-socket",
        args: &["src", "dst"],
        user: None,
        watch: &["dst"],
        mtimes: false,
    };
    check(&t, |dir| {
        source(dir);
        let listener = std::os::unix::net::UnixListener::bind(dir.join("dst")).expect("bind");
        drop(listener);
    });
}

#[test]
fn a_symbolic_link_is_followed() {
    for (name, target) in [("dest-symlink", "target"), ("dest-dangling", "nowhere")] {
        let t = Twin {
            name,
            args: &["src", "dst"],
            user: None,
            watch: &["dst", target],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            if target == "target" {
                write_file(&dir.join("target"), b"old old old old old old\n");
                chmod(&dir.join("target"), 0o600);
            }
            symlink(target, dir.join("dst")).expect("symlink");
        });
    }
}

#[test]
fn a_hard_linked_file_keeps_its_inode_and_owner() {
    for args in [
        &["src", "dst"][..],
        &["-p", "src", "dst"],
        &["-a", "src", "dst"],
    ] {
        let t = Twin {
            name: "dest-hardlink",
            args,
            user: None,
            watch: &["dst", "other"],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            write_file(&dir.join("dst"), b"old old old old old old old old\n");
            chmod(&dir.join("dst"), 0o640);
            fs::hard_link(dir.join("dst"), dir.join("other")).expect("link");
            if is_root() {
                chown(&dir.join("dst"), NOBODY, NOBODY);
            }
        });
    }
}

#[test]
fn a_read_only_file() {
    // As root, cp opens it anyway; as another user, it fails (and -f removes and replaces).
    let cases: [(&[&str], Option<&str>); 3] = [
        (&["src", "dir/dst"], None),
        (&["src", "dir/dst"], Some("nobody")),
        (&["-f", "src", "dir/dst"], Some("nobody")),
    ];
    for (args, user) in cases {
        let t = Twin {
            name: "dest-readonly",
            args,
            user,
            watch: &["dir/dst"],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            fs::create_dir(dir.join("dir")).expect("mkdir");
            write_file(&dir.join("dir/dst"), b"old\n");
            chmod(&dir.join("dir/dst"), 0o444);
            if user.is_some() {
                chmod(dir, 0o755);
                chown(&dir.join("dir"), NOBODY, NOBODY);
            }
        });
    }
}

#[test]
fn a_sticky_directory_as_another_user() {
    // Root's file (no write permission for nobody), nobody's own file, and a new file, in a
    // sticky world-writable directory; and nobody's file in a directory nobody cannot write.
    for (dst, args) in [
        ("sticky/roots", &["src", "sticky/roots"][..]),
        ("sticky/roots", &["-f", "src", "sticky/roots"]),
        ("sticky/mine", &["src", "sticky/mine"]),
        ("sticky/new", &["src", "sticky/new"]),
        ("locked/mine", &["src", "locked/mine"]),
    ] {
        let t = Twin {
            name: "dest-sticky",
            args,
            user: Some("nobody"),
            watch: &[dst],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            chmod(dir, 0o755);
            fs::create_dir(dir.join("sticky")).expect("mkdir");
            chmod(&dir.join("sticky"), 0o1777);
            write_file(&dir.join("sticky/roots"), b"root's\n");
            chmod(&dir.join("sticky/roots"), 0o644);
            write_file(&dir.join("sticky/mine"), b"nobody's\n");
            chown(&dir.join("sticky/mine"), NOBODY, NOBODY);
            fs::create_dir(dir.join("locked")).expect("mkdir");
            write_file(&dir.join("locked/mine"), b"nobody's\n");
            chown(&dir.join("locked/mine"), NOBODY, NOBODY);
            chmod(&dir.join("locked"), 0o555);
        });
    }
}

#[test]
fn directories_and_the_source_itself_are_refused() {
    for (name, args) in [
        ("dest-dir", &["-T", "src", "dir"][..]),
        ("dest-same", &["src", "src"]),
        ("dest-same-link", &["src", "alias"]),
    ] {
        let t = Twin {
            name,
            args,
            user: None,
            watch: &["src", "dir"],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            fs::create_dir(dir.join("dir")).expect("mkdir");
            symlink("src", dir.join("alias")).expect("symlink");
        });
    }
}

#[test]
fn no_clobber_update_and_targets() {
    let cases: [&[&str]; 6] = [
        &["-n", "src", "dst"],
        &["-u", "src", "dst"],
        &["-u", "old", "dst"],
        &["-t", "dir", "src", "old"],
        &["-T", "src", "dst"],
        &["src", "old", "dst"],
    ];
    for args in cases {
        let t = Twin {
            name: "dest-flags",
            args,
            user: None,
            watch: &["dst", "dir/src", "dir/old"],
            mtimes: false,
        };
        check(&t, |dir| {
            source(dir);
            write_file(&dir.join("dst"), b"dst\n");
            write_file(&dir.join("old"), b"old\n");
            let file = fs::File::options()
                .write(true)
                .open(dir.join("old"))
                .expect("open");
            file.set_modified(std::time::UNIX_EPOCH + Duration::from_secs(1_000_000))
                .expect("mtime");
            fs::create_dir(dir.join("dir")).expect("mkdir");
        });
    }
}
