//! Runs ringaio-cp and GNU cp on twin setups (the same files made twice, in sibling
//! directories) and describes what each left, so a test can compare the two outcomes.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::{Scratch, BIN};

/// Which program ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    Ours,
    Cp,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Ours => "ours",
            Tool::Cp => "cp",
        }
    }
}

/// One path after the run.
#[derive(Debug, PartialEq, Eq)]
pub struct Seen {
    pub path: String,
    /// `lstat`'s type, and the type `stat` sees through a link.
    pub kind: (String, String),
    /// Whether `lstat`'s inode is the one before the run, and `stat`'s.
    pub inode_kept: (bool, bool),
    pub mode: u32,
    pub owner: (u32, u32),
    pub nlink: u64,
    pub rdev: u64,
    pub link_target: Option<String>,
    /// A regular file's contents (following links).
    pub contents: Option<Vec<u8>>,
    /// Seconds of the modification time, when the test asks for it.
    pub mtime: Option<i64>,
}

/// What a run did: its exit status, its message without the program's name, and the paths.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub ok: bool,
    /// What it printed on stdout (`-v`).
    pub said: String,
    pub message: String,
    pub seen: Vec<Seen>,
    /// Whatever else the test observed (a FIFO reader's bytes).
    pub extra: String,
}

fn kind(t: fs::FileType) -> String {
    let k = if t.is_symlink() {
        "link"
    } else if t.is_dir() {
        "dir"
    } else if t.is_file() {
        "file"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_char_device() {
        "char"
    } else if t.is_block_device() {
        "block"
    } else if t.is_socket() {
        "socket"
    } else {
        "?"
    };
    k.to_owned()
}

fn inodes(dir: &Path, watch: &[&str]) -> Vec<(Option<u64>, Option<u64>)> {
    watch
        .iter()
        .map(|rel| {
            let p = dir.join(rel);
            (
                fs::symlink_metadata(&p).ok().map(|m| m.ino()),
                fs::metadata(&p).ok().map(|m| m.ino()),
            )
        })
        .collect()
}

fn hold(dir: &Path, watch: &[&str]) -> Vec<fs::File> {
    let open = |rel: &&str, flags| {
        fs::File::options()
            .read(true)
            .custom_flags(libc::O_PATH | flags)
            .open(dir.join(rel))
            .ok()
    };
    watch
        .iter()
        .flat_map(|rel| [open(rel, libc::O_NOFOLLOW), open(rel, 0)])
        .flatten()
        .collect()
}

/// Describes `rel` under `dir`, against the inodes seen before the run.
fn see(dir: &Path, rel: &str, before: (Option<u64>, Option<u64>), mtimes: bool) -> Seen {
    let p = dir.join(rel);
    let l = fs::symlink_metadata(&p).ok();
    let s = fs::metadata(&p).ok();
    Seen {
        path: rel.to_owned(),
        kind: (
            l.as_ref().map_or("none".into(), |m| kind(m.file_type())),
            s.as_ref().map_or("none".into(), |m| kind(m.file_type())),
        ),
        inode_kept: (
            l.as_ref().map(|m| m.ino()) == before.0 && before.0.is_some(),
            s.as_ref().map(|m| m.ino()) == before.1 && before.1.is_some(),
        ),
        mode: l.as_ref().map_or(0, |m| m.mode() & 0o7777),
        owner: l.as_ref().map_or((0, 0), |m| (m.uid(), m.gid())),
        nlink: l.as_ref().map_or(0, |m| m.nlink()),
        rdev: l.as_ref().map_or(0, |m| m.rdev()),
        link_target: fs::read_link(&p)
            .ok()
            .map(|t| t.to_string_lossy().into_owned()),
        contents: s
            .as_ref()
            .filter(|m| m.is_file())
            .and_then(|_| fs::read(&p).ok()),
        mtime: if mtimes {
            l.as_ref().map(|m| m.mtime())
        } else {
            None
        },
    }
}

/// A twin comparison: how to set each side up, what to run, what to look at.
pub struct Twin<'a> {
    pub name: &'a str,
    /// Arguments, relative to the twin's directory (the program runs there).
    pub args: &'a [&'a str],
    /// Run as this user (through `setpriv`), or as ourselves.
    pub user: Option<&'a str>,
    /// Paths (relative) to describe after the run.
    pub watch: &'a [&'a str],
    pub mtimes: bool,
}

/// Why the twin cannot run here, if it cannot.
pub fn missing(twin: &Twin<'_>) -> Option<String> {
    let needs = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !needs("cp", &["--version"]) {
        return Some("GNU cp is not installed".into());
    }
    if let Some(user) = twin.user {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return Some(format!("running as {user} needs root"));
        }
        if !needs("setpriv", &["--reuid", user, "--clear-groups", "true"]) {
            return Some(format!("setpriv cannot run commands as {user}"));
        }
    }
    None
}

fn run_in(tool: Tool, dir: &Path, args: &[&str], user: Option<&str>) -> Output {
    let program = match tool {
        Tool::Ours => BIN,
        Tool::Cp => "cp",
    };
    let mut cmd = match user {
        Some(user) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={user}"),
                &format!("--regid={user}"),
                "--clear-groups",
                "--",
            ]);
            c.arg(program);
            c
        }
        None => Command::new(program),
    };
    cmd.args(args)
        .current_dir(dir)
        .env("LC_ALL", "C")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("run a copy");
    // A bound on hangs (a FIFO opened that should not have been), not a timed assertion.
    let pid = child.id();
    let (tx, rx) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        if rx.recv_timeout(HANG).is_err() {
            // SAFETY: kill has no memory effects; `pid` is our child, not yet reaped.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
    });
    let out = child.wait_with_output().expect("wait for a copy");
    let _ = tx.send(());
    let _ = watchdog.join();
    out
}

/// How long a copy may run before it is taken to hang and killed.
const HANG: Duration = Duration::from_secs(60);

/// The message without `cp: ` / `ringaio-cp: `, without warnings, and without `-v`'s note
/// that io_uring is not used (on the fallback backend), which cp has no counterpart for.
fn message(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.contains("warning:") && !l.contains("io_uring is not used"))
        .map(|l| {
            l.strip_prefix("ringaio-cp: ")
                .or_else(|| l.strip_prefix("cp: "))
                .unwrap_or(l)
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sets up a twin directory for each program with `setup`, runs it there, and describes the
/// `watch`ed paths. `during` starts before the run (a FIFO's reader) and its result is the
/// outcome's `extra`. Returns (ours, cp's).
pub fn compare(
    twin: &Twin<'_>,
    setup: impl Fn(&Path),
    during: impl Fn(&Path) -> Box<dyn FnOnce() -> String>,
) -> (Outcome, Outcome) {
    let scratch = Scratch::new(twin.name);
    let mut outcomes = Vec::new();
    for tool in [Tool::Ours, Tool::Cp] {
        let dir = scratch.join(tool.name());
        fs::create_dir(&dir).expect("mkdir twin");
        setup(&dir);
        let before = inodes(&dir, twin.watch);
        // Held open, a removed inode cannot be reused for a new file during the run (which
        // would look like "kept").
        let _held = hold(&dir, twin.watch);
        let collect = during(&dir);
        let out = run_in(tool, &dir, twin.args, twin.user);
        let extra = collect();
        let seen = twin
            .watch
            .iter()
            .zip(before)
            .map(|(rel, b)| see(&dir, rel, b, twin.mtimes))
            .collect();
        outcomes.push(Outcome {
            ok: out.status.success(),
            said: String::from_utf8_lossy(&out.stdout).into_owned(),
            message: message(&out),
            seen,
            extra,
        });
    }
    let cp = outcomes.pop().expect("cp's outcome");
    let ours = outcomes.pop().expect("our outcome");
    (ours, cp)
}

/// No observation during the run.
pub fn nothing(_: &Path) -> Box<dyn FnOnce() -> String> {
    Box::new(String::new)
}

/// Asserts the two outcomes are the same, printing both.
pub fn assert_same(name: &str, ours: &Outcome, cp: &Outcome) {
    assert_eq!(
        ours, cp,
        "{name}: ringaio-cp (left) and GNU cp (right) differ"
    );
}
