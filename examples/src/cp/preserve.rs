//! Modes, owners and timestamps: `--preserve` keeps the source's; otherwise cp's rules (a new
//! file gets the source's mode less the umask, given at creation; an existing one keeps its
//! own). Everything here blocks and runs on the pool.

use std::fs::{self, FileTimes, Permissions};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::cli::Preserve;
use crate::errors::{quote, Failure};
use crate::sys;

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

/// The mode a new file is created with: the source's permission bits, which the kernel
/// narrows by the umask (cp's rule), or owner-only until `--preserve=mode` sets the rest.
pub(crate) fn create_mode(src_mode: u32, preserve: Preserve) -> u32 {
    if preserve.mode {
        0o600
    } else {
        src_mode & 0o777
    }
}

/// The times of `meta`.
pub(crate) fn times_of(meta: &fs::Metadata) -> Option<Times> {
    Some((meta.accessed().ok()?, meta.modified().ok()?))
}

pub(crate) fn timespec(t: SystemTime) -> libc::timespec {
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

/// What to set on a copy, from its source's metadata and the options.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attrs {
    pub(crate) mode: Option<u32>,
    pub(crate) owner: Option<(u32, u32)>,
    pub(crate) times: Option<Times>,
    /// A failed `chown` is an error (root), not silently skipped (others, as cp).
    pub(crate) root: bool,
}

impl Attrs {
    pub(crate) fn of(meta: &fs::Metadata, preserve: Preserve, root: bool) -> Attrs {
        Attrs {
            mode: preserve.mode.then_some(meta.mode() & 0o7777),
            owner: preserve.ownership.then_some((meta.uid(), meta.gid())),
            times: if preserve.timestamps {
                times_of(meta)
            } else {
                None
            },
            root,
        }
    }

    /// Whether there is anything to set.
    pub(crate) fn any(&self) -> bool {
        self.mode.is_some() || self.owner.is_some() || self.times.is_some()
    }

    /// Sets them on the open file (owner, then mode, then times), naming `dst` in errors.
    ///
    /// # Errors
    /// "failed to preserve ..." with the OS error.
    pub(crate) fn apply_to_file(&self, file: &fs::File, dst: &Path) -> Result<(), Failure> {
        let mut mode = self.mode;
        if let Some((uid, gid)) = self.owner {
            let chown = |uid, gid| std::os::unix::fs::fchown(file, uid, gid);
            if let Err(e) = self.owned(chown(Some(uid), Some(gid)), || chown(None, Some(gid))) {
                return Err(failed("ownership", dst, e));
            }
            if !self.root {
                // Not the source's owner, perhaps: no set-id bits for someone else's program.
                mode = mode.map(|m| m & !0o6000);
            }
        }
        if let Some(mode) = mode {
            file.set_permissions(Permissions::from_mode(mode))
                .map_err(|e| failed("permissions", dst, e))?;
        }
        if let Some((atime, mtime)) = self.times {
            let times = FileTimes::new().set_accessed(atime).set_modified(mtime);
            file.set_times(times).map_err(|e| failed("times", dst, e))?;
        }
        Ok(())
    }

    /// Sets them on `path` itself (a symbolic link is not followed, and gets no mode).
    ///
    /// # Errors
    /// "failed to preserve ..." with the OS error.
    pub(crate) fn apply_to_path(&self, path: &Path, link: bool) -> Result<(), Failure> {
        if let Some((uid, gid)) = self.owner {
            let chown = |uid, gid| std::os::unix::fs::lchown(path, uid, gid);
            if let Err(e) = self.owned(chown(Some(uid), Some(gid)), || chown(None, Some(gid))) {
                return Err(failed("ownership", path, e));
            }
        }
        if let (Some(mode), false) = (self.mode, link) {
            fs::set_permissions(path, Permissions::from_mode(mode))
                .map_err(|e| failed("permissions", path, e))?;
        }
        if let Some(times) = self.times {
            sys::set_link_times(path, times).map_err(|e| failed("times", path, e))?;
        }
        Ok(())
    }

    /// cp's rule for `chown`: a user who may not give a file away keeps it, and tries the
    /// group alone; only root's failures are errors.
    fn owned(
        &self,
        tried: io::Result<()>,
        group_only: impl FnOnce() -> io::Result<()>,
    ) -> io::Result<()> {
        match tried {
            Err(e)
                if !self.root && matches!(e.raw_os_error(), Some(libc::EPERM | libc::EINVAL)) =>
            {
                let _ = group_only();
                Ok(())
            }
            other => other,
        }
    }
}

fn failed(what: &str, dst: &Path, e: io::Error) -> Failure {
    Failure::os(format!("failed to preserve {what} for {}", quote(dst)), e)
}

/// A directory whose mode, owner and times are set after its contents are copied (writing
/// into a directory changes its times, and a read-only mode would stop the copy).
#[derive(Debug)]
pub(crate) struct DirFixup {
    pub(crate) path: PathBuf,
    pub(crate) attrs: Attrs,
}

impl DirFixup {
    /// Applies the fixup.
    ///
    /// # Errors
    /// "failed to preserve ..." with the OS error.
    pub(crate) fn apply(&self) -> Result<(), Failure> {
        self.attrs.apply_to_path(&self.path, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn new_files_get_the_source_mode_less_set_id_bits() {
        let keep = Preserve {
            mode: true,
            ..Preserve::default()
        };
        assert_eq!(create_mode(0o104755, Preserve::default()), 0o755);
        assert_eq!(create_mode(0o100644, keep), 0o600, "until fchmod");
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
