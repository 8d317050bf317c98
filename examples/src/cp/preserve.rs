//! Modes and timestamps: `-p` keeps the source's, otherwise cp's rules (the source's mode less
//! the umask for new files, the old mode for replaced ones).
//!
//! ringaio has no `fchmod` or `futimens`, so these go through libc on the open temporary (for
//! files) and std (for directories).

use std::fs::{FileTimes, Permissions};
use std::io;
use std::os::fd::RawFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::errors::{quote, Failure};

/// Access and modification times.
pub(crate) type Times = (SystemTime, SystemTime);

/// The process's umask (read by setting it and setting it back, before any file is made).
pub(crate) fn umask() -> u32 {
    // SAFETY: umask(2) only swaps the process's mask; nothing creates files concurrently yet.
    let old = unsafe { libc::umask(0o022) };
    // SAFETY: as above; this restores the original mask.
    unsafe { libc::umask(old) };
    old
}

/// The mode a copied file ends with.
pub(crate) fn file_mode(src_mode: u32, preserve: bool, replaced: Option<u32>, umask: u32) -> u32 {
    match (preserve, replaced) {
        (true, _) => src_mode & 0o7777,
        (false, Some(old)) => old & 0o7777,
        (false, None) => src_mode & 0o777 & !umask,
    }
}

fn timespec(t: SystemTime) -> libc::timespec {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, i64::from(d.subsec_nanos())),
        Err(before) => {
            let d = before.duration();
            match d.subsec_nanos() {
                0 => (-(d.as_secs() as i64), 0),
                n => (-(d.as_secs() as i64) - 1, 1_000_000_000 - i64::from(n)),
            }
        }
    };
    libc::timespec {
        tv_sec: secs as libc::time_t,
        tv_nsec: nanos as libc::c_long,
    }
}

/// Sets the mode, and the times if given, of the open file `fd` (`dst` names it in errors).
///
/// # Errors
/// "failed to preserve ..." with `fchmod`'s or `futimens`'s error.
pub(crate) fn apply_to_fd(
    fd: RawFd,
    mode: u32,
    times: Option<Times>,
    dst: &Path,
) -> Result<(), Failure> {
    // SAFETY: fchmod reads no memory; `fd` is open for the duration of the call.
    if unsafe { libc::fchmod(fd, mode as libc::mode_t) } != 0 {
        let what = format!("failed to preserve permissions for {}", quote(dst));
        return Err(Failure::os(what, io::Error::last_os_error()));
    }
    if let Some((atime, mtime)) = times {
        let ts = [timespec(atime), timespec(mtime)];
        // SAFETY: `ts` is an array of two timespecs, as futimens reads; `fd` is open.
        if unsafe { libc::futimens(fd, ts.as_ptr()) } != 0 {
            let what = format!("failed to preserve times for {}", quote(dst));
            return Err(Failure::os(what, io::Error::last_os_error()));
        }
    }
    Ok(())
}

/// A directory whose mode and times are set after its contents are copied (writing into a
/// directory changes its times, and a read-only mode would stop the copy).
#[derive(Debug)]
pub(crate) struct DirFixup {
    pub(crate) path: PathBuf,
    pub(crate) mode: Option<u32>,
    pub(crate) times: Option<Times>,
}

impl DirFixup {
    /// Applies the fixup, through std.
    ///
    /// # Errors
    /// "failed to preserve ..." with the OS error.
    pub(crate) fn apply(&self) -> Result<(), Failure> {
        let fail = |what: &str, e| Failure::os(format!("{what} {}", quote(&self.path)), e);
        let dir = std::fs::File::open(&self.path)
            .map_err(|e| fail("failed to preserve attributes for", e))?;
        if let Some((atime, mtime)) = self.times {
            let times = FileTimes::new().set_accessed(atime).set_modified(mtime);
            dir.set_times(times)
                .map_err(|e| fail("failed to preserve times for", e))?;
        }
        if let Some(mode) = self.mode {
            dir.set_permissions(Permissions::from_mode(mode))
                .map_err(|e| fail("failed to preserve permissions for", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn modes_follow_cp() {
        assert_eq!(file_mode(0o104755, true, None, 0o022), 0o4755);
        assert_eq!(file_mode(0o100777, false, None, 0o022), 0o755);
        assert_eq!(file_mode(0o104755, false, None, 0o022), 0o755, "no setuid");
        assert_eq!(file_mode(0o100644, false, Some(0o100600), 0o022), 0o600);
    }

    #[test]
    fn timespecs_before_and_after_the_epoch() {
        let after = UNIX_EPOCH + Duration::new(5, 7);
        let ts = timespec(after);
        assert_eq!((ts.tv_sec, ts.tv_nsec), (5, 7));
        let before = UNIX_EPOCH - Duration::new(1, 250_000_000);
        let ts = timespec(before);
        assert_eq!((ts.tv_sec, ts.tv_nsec), (-2, 750_000_000));
    }
}
