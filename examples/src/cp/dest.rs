//! What is at a destination path already, and what cp does with it: nothing there, a new
//! file; a directory, an error; the source itself, an error; `-n` or an up-to-date `-u`, a
//! skip; anything else is opened and written in place (a symbolic link is followed), unless
//! `--atomic` asks for a new inode or `--preserve=links` finds it linked elsewhere. Blocking:
//! runs on the pool.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::cli::Options;
use crate::errors::{quote, Failure};

/// What to do at the destination.
#[derive(Debug)]
pub(crate) enum Dest {
    /// Nothing there: a new file, through a temporary and a rename.
    New,
    /// `-n`, or `-u` with a destination at least as new as the source.
    Skip,
    /// Open it and write it in place: a regular file truncated (inode, owner, links kept), a
    /// device or FIFO written to.
    InPlace,
    /// Remove it, then make a new file (cp with `--preserve=links` and a multiply-linked
    /// destination: the other names keep the old contents).
    Unlink,
    /// `--atomic`: a new file renamed over the existing one, at this path (a symbolic link's
    /// target).
    Replace { path: PathBuf, mode: u32 },
}

/// Decides what to do with `dst` for the source `src` (described by `src_meta`).
///
/// # Errors
/// `dst` is a directory, a dangling symbolic link, or the same file as `src`; `lstat` failed.
pub(crate) fn classify(
    opts: &Options,
    src: &Path,
    src_meta: &fs::Metadata,
    dst: &Path,
) -> Result<Dest, Failure> {
    let cannot_stat = |e| Failure::os(format!("cannot stat {}", quote(dst)), e);
    let lmeta = match fs::symlink_metadata(dst) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Dest::New),
        Err(e) => return Err(cannot_stat(e)),
    };
    let link = lmeta.file_type().is_symlink();
    let meta = if link {
        match fs::metadata(dst) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let what = format!("not writing through dangling symlink {}", quote(dst));
                return Err(Failure::plain(what));
            }
            Err(e) => return Err(cannot_stat(e)),
        }
    } else {
        lmeta
    };
    if meta.is_dir() {
        let what = format!(
            "cannot overwrite directory {} with non-directory",
            quote(dst)
        );
        return Err(Failure::plain(what));
    }
    if (meta.dev(), meta.ino()) == (src_meta.dev(), src_meta.ino()) {
        let what = format!("{} and {} are the same file", quote(src), quote(dst));
        return Err(Failure::plain(what));
    }
    if opts.no_clobber {
        return Ok(Dest::Skip);
    }
    if opts.update {
        if let (Ok(ours), Ok(theirs)) = (src_meta.modified(), meta.modified()) {
            if theirs >= ours {
                return Ok(Dest::Skip);
            }
        }
    }
    if opts.preserve.links && !link && meta.nlink() > 1 {
        return Ok(Dest::Unlink);
    }
    if opts.atomic && meta.is_file() {
        let path = if link {
            fs::canonicalize(dst).map_err(cannot_stat)?
        } else {
            dst.to_owned()
        };
        return Ok(Dest::Replace {
            path,
            mode: meta.mode() & 0o7777,
        });
    }
    Ok(Dest::InPlace)
}

/// Removes `dst` (for `-f`, `--preserve=links`, and special files made anew).
///
/// # Errors
/// "cannot remove" with `unlink`'s error; a missing file is not an error.
pub(crate) fn unlink(dst: &Path) -> Result<(), Failure> {
    match fs::remove_file(dst) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Failure::os(format!("cannot remove {}", quote(dst)), e)),
    }
}
