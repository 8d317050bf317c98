//! FIFOs and devices at either end, and regular files across filesystems that refuse
//! `copy_file_range` (`EXDEV`), are streamed with `splice` (`IORING_OP_SPLICE`), on both
//! backends: the bytes arrive whole, and on the fallback backend (where the runtime's pool
//! makes the system calls, so `strace` sees them) they move by `splice`, not read/write.
//! FIFOs and device nodes are made inside the test's own directories only.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;

use common::{assert_no_temporaries, assert_ok, pattern, write_file, Mount, Scratch, BIN};

const BACKENDS: [&str; 2] = ["uring", "fallback"];

fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn mkfifo(path: &Path) -> bool {
    let made = Command::new("mkfifo").arg(path).status();
    made.is_ok_and(|s| s.success())
}

fn run_on(backend: &str, src: &Path, dst: &Path) -> Output {
    Command::new(BIN)
        .env("RINGAIO_BACKEND", backend)
        .arg(src)
        .arg(dst)
        .output()
        .expect("run ringaio-cp")
}

/// Writes `data` into the FIFO at `path` from another thread.
fn feed(path: &Path, data: Vec<u8>) -> thread::JoinHandle<()> {
    let path = path.to_owned();
    thread::spawn(move || write_file(&path, &data))
}

/// Reads the FIFO at `path` to its end from another thread.
fn drain(path: &Path) -> thread::JoinHandle<Vec<u8>> {
    let path = path.to_owned();
    thread::spawn(move || {
        let mut out = Vec::new();
        fs::File::open(&path)
            .and_then(|mut f| f.read_to_end(&mut out))
            .expect("read the fifo");
        out
    })
}

#[test]
fn a_fifo_source_is_spliced_into_a_new_file() {
    for backend in BACKENDS {
        let scratch = Scratch::new("splice-from-fifo");
        let fifo = scratch.join("fifo");
        if !mkfifo(&fifo) {
            return common::skip("mkfifo failed");
        }
        // Several pipefuls and a partial one.
        let data = pattern(3 << 20 | 12_345, 7);
        let writer = feed(&fifo, data.clone());
        let dst = scratch.join("out");
        assert_ok(&run_on(backend, &fifo, &dst));
        writer.join().expect("writer");
        assert!(fs::read(&dst).expect("read copy") == data, "{backend}");
    }
}

#[test]
fn a_file_is_spliced_into_a_fifo_destination() {
    for backend in BACKENDS {
        let scratch = Scratch::new("splice-to-fifo");
        let fifo = scratch.join("fifo");
        if !mkfifo(&fifo) {
            return common::skip("mkfifo failed");
        }
        let src = scratch.join("src");
        let data = pattern(2 << 20 | 777, 8);
        write_file(&src, &data);
        let reader = drain(&fifo);
        assert_ok(&run_on(backend, &src, &fifo));
        let got = reader.join().expect("reader");
        assert_eq!(got.len(), data.len(), "{backend}");
        assert!(got == data, "{backend}");
        assert!(
            fs::symlink_metadata(&fifo)
                .expect("stat")
                .file_type()
                .is_fifo(),
            "the FIFO was replaced"
        );
    }
}

#[test]
fn a_fifo_into_a_fifo() {
    for backend in BACKENDS {
        let scratch = Scratch::new("splice-fifo-fifo");
        let (from, to) = (scratch.join("from"), scratch.join("to"));
        if !mkfifo(&from) || !mkfifo(&to) {
            return common::skip("mkfifo failed");
        }
        let data = pattern(1 << 20 | 3, 9);
        let writer = feed(&from, data.clone());
        let reader = drain(&to);
        assert_ok(&run_on(backend, &from, &to));
        writer.join().expect("writer");
        assert!(reader.join().expect("reader") == data, "{backend}");
    }
}

#[test]
fn device_nodes_at_either_end() {
    if !is_root() {
        return common::skip("mknod needs root");
    }
    for backend in BACKENDS {
        let scratch = Scratch::new("splice-device");
        // The null device's numbers, at nodes of our own: read, it is empty (through our own
        // pipe into the new file); written, it takes everything (straight from the FIFO).
        let null = scratch.join("null");
        let made = Command::new("mknod")
            .arg(&null)
            .args(["c", "1", "3"])
            .status();
        assert!(made.is_ok_and(|s| s.success()), "mknod");
        let dst = scratch.join("empty");
        write_file(&dst, b"old contents");
        assert_ok(&run_on(backend, &null, &dst));
        assert_eq!(fs::read(&dst).expect("read"), b"", "{backend}");

        let fifo = scratch.join("fifo");
        assert!(mkfifo(&fifo), "mkfifo");
        let writer = feed(&fifo, pattern(500_000, 1));
        assert_ok(&run_on(backend, &fifo, &null));
        writer.join().expect("writer");
        let meta = fs::symlink_metadata(&null).expect("stat");
        assert!(
            meta.file_type().is_char_device(),
            "the device node was replaced"
        );
    }
}

/// The fallback backend runs `IORING_OP_SPLICE` as `splice(2)` on its pool: the copy of a
/// FIFO's data is made of splices, not reads and writes of the data.
#[test]
fn the_fallback_backend_shows_the_splices() {
    let scratch = Scratch::new("splice-strace");
    let fifo = scratch.join("fifo");
    if !mkfifo(&fifo) {
        return common::skip("mkfifo failed");
    }
    let log = scratch.join("strace.log");
    let data = pattern(1 << 20, 4);
    let writer = feed(&fifo, data.clone());
    let dst = scratch.join("out");
    let traced = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=splice,read,pread64,write,pwrite64",
            "-o",
        ])
        .arg(&log)
        .arg(BIN)
        .arg(&fifo)
        .arg(&dst)
        .env("RINGAIO_BACKEND", "fallback")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output();
    let Ok(traced) = traced else {
        // Let the writer finish, then say why.
        let _ = fs::read(&fifo);
        let _ = writer.join();
        return common::skip("strace is not installed");
    };
    writer.join().expect("writer");
    if !traced.status.success() && fs::metadata(&dst).is_err() {
        return common::skip(format!(
            "strace could not trace: {}",
            String::from_utf8_lossy(&traced.stderr)
        ));
    }
    assert!(fs::read(&dst).expect("read copy") == data);
    let log = fs::read_to_string(&log).expect("read strace log");
    let splices = log.lines().filter(|l| l.contains("splice(")).count();
    assert!(splices > 0, "no splice in:\n{log}");
    // No read or write of 64 KiB or more: the data did not pass through user space.
    let big_rw = log.lines().filter(|l| {
        (l.contains("read(") || l.contains("write("))
            && l.rsplit(" = ")
                .next()
                .and_then(|n| n.trim().parse::<u64>().ok())
                >= Some(65_536)
    });
    assert_eq!(big_rw.count(), 0, "data through user space:\n{log}");
}

/// From a tmpfs mounted for the test to the scratch directory's filesystem (the kernel
/// refuses `copy_file_range` between different filesystem types): a small file (sent with
/// `sendfile` in the pool's one job) and a large one (spliced by the runtime); whole, on both
/// backends, and in the kernel (strace on the fallback backend).
#[test]
fn across_filesystems_in_the_kernel() {
    let scratch = Scratch::new("splice-xdev");
    let mnt = scratch.join("tmpfs");
    let _mount = match Mount::new("tmpfs", "size=64m", &mnt) {
        Ok(m) => m,
        Err(reason) => return common::skip(reason),
    };
    for (name, len) in [("small", 300_001), ("large", 20 << 20 | 5)] {
        let src = mnt.join(name);
        let data = pattern(len, len as u64);
        write_file(&src, &data);
        for backend in BACKENDS {
            let dst = scratch.join(&format!("{name}-{backend}"));
            assert_ok(&run_on(backend, &src, &dst));
            assert!(
                fs::read(&dst).expect("read copy") == data,
                "{name} {backend}"
            );
        }
        let log = scratch.join(&format!("{name}.strace"));
        let dst = scratch.join(&format!("{name}-traced"));
        let traced = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                "trace=splice,copy_file_range,sendfile",
                "-o",
            ])
            .arg(&log)
            .arg(BIN)
            .arg(&src)
            .arg(&dst)
            .env("RINGAIO_BACKEND", "fallback")
            .output();
        match traced {
            Ok(out) if out.status.success() => {
                assert!(fs::read(&dst).expect("read copy") == data, "{name} traced");
                let log = fs::read_to_string(&log).expect("read strace log");
                assert!(
                    log.contains("EXDEV"),
                    "copy_file_range was not refused:\n{log}"
                );
                // A small file in the pool's one job (sendfile, the whole of it at once);
                // a large one through the runtime.
                let call = if len < 8 << 20 {
                    "sendfile("
                } else {
                    "splice("
                };
                assert!(log.contains(call), "no {call}:\n{log}");
            }
            _ => common::skip("strace could not run"),
        }
    }
    assert_no_temporaries(scratch.path());
}
