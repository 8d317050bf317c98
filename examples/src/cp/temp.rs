//! Temporary names beside each destination, and the registry a signal handler empties.
//!
//! A new file (or any file, with `--atomic`) is written to `.NAME.ringaio-cp.PID.N.tmp` in the
//! destination's directory and renamed to `NAME` when complete; inside a directory the run has
//! just made, the file is made at `NAME` directly and registered the same way. Every such path
//! is in [`REGISTRY`] from just before it is created until it is renamed (kept) or removed, so
//! [`remove_all_and_exit`] (the SIGINT/SIGTERM path) can remove every temporary the process
//! has, including one being created at that moment.

use std::collections::HashSet;
use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest part of the destination's name kept in the temporary name, so that the
/// temporary name stays under `NAME_MAX` (255 bytes).
const NAME_KEPT: usize = 200;

/// How long the signal path waits for creations in flight before removing what it knows.
const CREATION_WAIT: Duration = Duration::from_secs(2);

/// The temporaries of this process.
#[derive(Debug, Default)]
struct Registry {
    /// Paths that exist, or are being created, and must not outlive the process.
    paths: HashSet<PathBuf>,
    /// Creations in flight: registered, but the `open` has not completed.
    creating: usize,
    /// The process is exiting: no new temporaries.
    closed: bool,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

/// Numbers the temporaries of this process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `.ringaio-cp.PID.`, made once (`getpid` is a system call).
static INFIX: LazyLock<String> = LazyLock::new(|| format!(".ringaio-cp.{}.", std::process::id()));

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere while holding the lock leaves the set consistent: use it anyway.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// `.NAME.ringaio-cp.PID.N.tmp` in `dst`'s directory.
pub(crate) fn temp_path(dst: &Path) -> PathBuf {
    let name = dst.file_name().map_or(&b"out"[..], |n| n.as_bytes());
    let mut temp = Vec::with_capacity(NAME_KEPT + 48);
    temp.push(b'.');
    temp.extend_from_slice(&name[..name.len().min(NAME_KEPT)]);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    temp.extend_from_slice(INFIX.as_bytes());
    temp.extend_from_slice(format!("{n}.tmp").as_bytes());
    let temp = PathBuf::from(OsString::from_vec(temp));
    match dst.parent() {
        Some(dir) => dir.join(temp),
        None => temp,
    }
}

/// Registers `path` before it is created. Fails once the process is exiting.
fn begin(path: &Path) -> io::Result<()> {
    let mut registry = registry();
    if registry.closed {
        return Err(io::Error::from_raw_os_error(libc::EINTR));
    }
    registry.paths.insert(path.to_owned());
    registry.creating += 1;
    Ok(())
}

/// Ends a creation; forgets `path` if it was not created.
fn end(path: &Path, created: bool) {
    let mut registry = registry();
    registry.creating -= 1;
    if !created {
        registry.paths.remove(path);
    }
}

fn forget(path: &Path) {
    registry().paths.remove(path);
}

/// A temporary file or link: removed when dropped unless committed.
#[derive(Debug)]
pub(crate) struct Temp {
    path: PathBuf,
    armed: bool,
}

impl Temp {
    /// Creates `dst` itself as a new file (`O_EXCL`), registered like a temporary: removed if
    /// the copy fails or the process is interrupted, kept by [`Temp::commit`] without a
    /// rename. For directories the run has just made. Blocking.
    ///
    /// # Errors
    /// The open's error; `Interrupted` when the process is exiting.
    pub(crate) fn create_final(dst: &Path, mode: u32) -> io::Result<(Temp, std::fs::File)> {
        Temp::create_at(dst.to_owned(), mode)
    }

    /// Creates a new temporary file for `dst`, read-write, with `mode` (less the umask).
    /// Blocking: called on the pool.
    ///
    /// # Errors
    /// The open's error; `Interrupted` when the process is exiting.
    pub(crate) fn create(dst: &Path, mode: u32) -> io::Result<(Temp, std::fs::File)> {
        Temp::create_at(temp_path(dst), mode)
    }

    fn create_at(path: PathBuf, mode: u32) -> io::Result<(Temp, std::fs::File)> {
        use std::os::unix::fs::OpenOptionsExt;
        begin(&path)?;
        let opened = std::fs::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path);
        end(&path, opened.is_ok());
        let file = opened?;
        Ok((Temp { path, armed: true }, file))
    }

    /// Where the temporary is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary to `dst`, replacing what is there. Blocking.
    ///
    /// # Errors
    /// The rename's error; the temporary is then removed.
    pub(crate) fn commit(mut self, dst: &Path) -> io::Result<()> {
        if self.path != dst {
            std::fs::rename(&self.path, dst)?;
        }
        self.armed = false;
        forget(&self.path);
        Ok(())
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
            forget(&self.path);
        }
    }
}

/// Closes the registry, waits (briefly) for creations in flight, removes every temporary,
/// then exits with `code`, the registry still locked so that none can appear meanwhile.
pub(crate) fn remove_all_and_exit(code: i32) -> ! {
    registry().closed = true;
    let deadline = Instant::now() + CREATION_WAIT;
    let mut registry = loop {
        let registry = registry();
        if registry.creating == 0 || Instant::now() >= deadline {
            break registry;
        }
        drop(registry);
        std::thread::sleep(Duration::from_millis(1));
    };
    for path in registry.paths.drain() {
        let _ = std::fs::remove_file(&path);
    }
    std::process::exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_sit_beside_the_destination() {
        let temp = temp_path(Path::new("dir/sub/file.txt"));
        assert_eq!(temp.parent(), Some(Path::new("dir/sub")));
        let name = temp
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let prefix = format!(".file.txt.ringaio-cp.{}.", std::process::id());
        assert!(name.starts_with(&prefix), "{name}");
        assert!(name.ends_with(".tmp"), "{name}");
        assert_ne!(temp, temp_path(Path::new("dir/sub/file.txt")), "unique");
    }

    #[test]
    fn long_names_stay_under_name_max() {
        let long = "x".repeat(255);
        let temp = temp_path(Path::new(&long));
        assert!(temp.as_os_str().len() <= 255, "{}", temp.as_os_str().len());
    }

    #[test]
    fn registration_tracks_creation() {
        let path = Path::new("/nonexistent/registry-test");
        begin(path).expect("open registry");
        assert!(registry().paths.contains(path));
        end(path, false);
        assert!(!registry().paths.contains(path));
    }
}
