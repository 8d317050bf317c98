//! The C side of the ABI: the system's `<libaio.h>` against the Rust layout, the shim's
//! exported symbol versions against the system's libaio, and a C libaio program linked
//! with the shim. Each test skips with a reason when `cc`, `libaio.h` (libaio-dev) or
//! `objdump` is missing.

mod common;
use common::*;

use std::collections::BTreeSet;
use std::mem::{offset_of, size_of};
use std::path::{Path, PathBuf};
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether a C compiler and the system's `libaio.h` are there; prints a skip line if not.
fn c_toolchain() -> bool {
    if !have("cc") {
        skip("no C compiler (cc)");
        return false;
    }
    if !Path::new("/usr/include/libaio.h").exists() {
        skip("no /usr/include/libaio.h (apt-get install libaio-dev)");
        return false;
    }
    true
}

fn c_source(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/c")
        .join(name)
}

/// The shim this test run built: `cargo test` leaves the cdylib beside the test binary in
/// `target/<profile>/deps/` (`cargo build` copies it up to `target/<profile>/`).
fn shim() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let deps = exe.parent().expect("target/<profile>/deps");
    let beside = deps.join("libringaio_libaio.so");
    if beside.exists() {
        return beside;
    }
    deps.parent().unwrap_or(deps).join("libringaio_libaio.so")
}

fn compile(dir: &Scratch, source: &str, out: &str, extra: &[&str]) -> PathBuf {
    let bin = dir.path(out);
    let status = Command::new("cc")
        .arg("-O1")
        .arg("-Wall")
        .arg(c_source(source))
        .arg("-o")
        .arg(&bin)
        .args(extra)
        .status()
        .expect("run cc");
    assert!(status.success(), "cc {source} failed");
    bin
}

#[test]
fn layout_matches_the_system_header() {
    if !c_toolchain() {
        return;
    }
    let dir = Scratch::new("layout");
    let bin = compile(&dir, "layout.c", "layout", &[]);
    let out = Command::new(&bin).output().expect("run layout");
    assert!(out.status.success());
    let expected: Vec<(&str, usize)> = vec![
        ("sizeof_iocb", size_of::<Iocb>()),
        ("iocb.data", offset_of!(Iocb, data)),
        ("iocb.key", offset_of!(Iocb, key)),
        ("iocb.aio_rw_flags", offset_of!(Iocb, aio_rw_flags)),
        ("iocb.aio_lio_opcode", offset_of!(Iocb, aio_lio_opcode)),
        ("iocb.aio_reqprio", offset_of!(Iocb, aio_reqprio)),
        ("iocb.aio_fildes", offset_of!(Iocb, aio_fildes)),
        ("iocb.buf", offset_of!(Iocb, buf)),
        ("iocb.nbytes", offset_of!(Iocb, nbytes)),
        ("iocb.offset", offset_of!(Iocb, offset)),
        ("iocb.reserved2", offset_of!(Iocb, reserved2)),
        ("iocb.flags", offset_of!(Iocb, flags)),
        ("iocb.resfd", offset_of!(Iocb, resfd)),
        ("iocb.vec", offset_of!(Iocb, buf)),
        ("iocb.nr", offset_of!(Iocb, nbytes)),
        ("iocb.voffset", offset_of!(Iocb, offset)),
        ("iocb.poll_events", offset_of!(Iocb, buf)),
        ("sizeof_io_event", size_of::<IoEvent>()),
        ("io_event.data", offset_of!(IoEvent, data)),
        ("io_event.obj", offset_of!(IoEvent, obj)),
        ("io_event.res", offset_of!(IoEvent, res)),
        ("io_event.res2", offset_of!(IoEvent, res2)),
        ("IO_CMD_PREAD", IO_CMD_PREAD as usize),
        ("IO_CMD_PWRITE", IO_CMD_PWRITE as usize),
        ("IO_CMD_FSYNC", IO_CMD_FSYNC as usize),
        ("IO_CMD_FDSYNC", IO_CMD_FDSYNC as usize),
        ("IO_CMD_POLL", IO_CMD_POLL as usize),
        ("IO_CMD_NOOP", IO_CMD_NOOP as usize),
        ("IO_CMD_PREADV", IO_CMD_PREADV as usize),
        ("IO_CMD_PWRITEV", IO_CMD_PWRITEV as usize),
    ];
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let got: Vec<(&str, usize)> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(' ').expect("name value");
            (k, v.parse().expect("number"))
        })
        .collect();
    assert_eq!(got, expected);
}

/// `name@VERSION` / `name@@VERSION`-style set of a library's dynamic libaio symbols.
fn exported(lib: &Path) -> BTreeSet<String> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(lib)
        .output()
        .expect("objdump");
    assert!(out.status.success(), "objdump -T {}", lib.display());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(" DF ") && l.contains("LIBAIO_"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // ... DF .text size VERSION name, VERSION in parentheses when hidden (not default).
            let (version, name) = (f[f.len() - 2], f[f.len() - 1]);
            format!("{name} {version}")
        })
        .collect()
}

#[test]
fn exports_libaios_symbol_versions() {
    if !have("objdump") {
        return skip("no objdump (binutils)");
    }
    let system = Path::new("/usr/lib/x86_64-linux-gnu/libaio.so.1");
    let system = if system.exists() {
        system.to_path_buf()
    } else if Path::new("/usr/lib64/libaio.so.1").exists() {
        PathBuf::from("/usr/lib64/libaio.so.1")
    } else {
        return skip("no system libaio.so.1 to compare with (apt-get install libaio1)");
    };
    let shim = shim();
    assert!(shim.exists(), "{} not built", shim.display());
    let ours = exported(&shim);
    assert_eq!(ours, exported(&system));
    assert!(ours.contains("io_getevents (LIBAIO_0.1)"), "{ours:?}");
    assert!(ours.contains("io_pgetevents LIBAIO_0.5"), "{ours:?}");
    let soname = Command::new("objdump")
        .arg("-p")
        .arg(&shim)
        .output()
        .expect("objdump -p");
    assert!(String::from_utf8_lossy(&soname.stdout).contains("SONAME               libaio.so.1"));
}

#[test]
fn c_program_runs_on_the_shim() {
    if !c_toolchain() {
        return;
    }
    if Ctx::new(1).is_none() {
        return;
    }
    let dir = Scratch::new("cprog");
    let shim = shim();
    assert!(shim.exists(), "{} not built", shim.display());
    let libdir = dir.path("lib");
    std::fs::create_dir(&libdir).expect("mkdir lib");
    std::fs::copy(&shim, libdir.join("libaio.so.1")).expect("copy shim");
    std::os::unix::fs::symlink("libaio.so.1", libdir.join("libaio.so")).expect("symlink");
    let libdir_s = libdir.to_str().expect("utf-8 path");
    let bin = compile(&dir, "shim_test.c", "shim_test", &["-L", libdir_s, "-laio"]);
    let out = Command::new(&bin)
        .arg(&dir.0)
        .env("LD_LIBRARY_PATH", libdir_s)
        .output()
        .expect("run shim_test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "shim_test failed:\n{stdout}\n{stderr}"
    );
    let loaded = format!("loaded {libdir_s}/libaio.so.1");
    assert!(stdout.contains(&loaded), "not the shim: {stdout}");
    assert!(stdout.ends_with("ok\n"), "{stdout}");
}
