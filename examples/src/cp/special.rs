//! Everything that is neither a regular file nor a directory, copied as itself (`-r`, `-a`,
//! `-P`): a symbolic link as a link to the same target, a FIFO, device node or socket made
//! anew with the same type (and device number). What is at the destination is removed
//! first, as cp does. Blocking: runs on the pool.

use std::fs;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use crate::copy_file::Copied;
use crate::ctx::Settings;
use crate::dest;
use crate::errors::{quote, Failure};
use crate::preserve::Attrs;
use crate::sys;

/// Copies `src` (described by `meta`, from `lstat`) to `dst`. `fresh`: `dst`'s directory was
/// just made.
///
/// # Errors
/// Reading a link, making the node, removing what was there, or setting its attributes.
pub(crate) fn copy_node(
    settings: &Settings,
    src: &Path,
    meta: &fs::Metadata,
    dst: &Path,
    fresh: bool,
) -> Result<Copied, Failure> {
    let opts = &settings.opts;
    if !fresh {
        match fs::symlink_metadata(dst) {
            Ok(there) => {
                if there.is_dir() {
                    let what = format!(
                        "cannot overwrite directory {} with non-directory",
                        quote(dst)
                    );
                    return Err(Failure::plain(what));
                }
                if (there.dev(), there.ino()) == (meta.dev(), meta.ino()) {
                    let what = format!("{} and {} are the same file", quote(src), quote(dst));
                    return Err(Failure::plain(what));
                }
                if opts.no_clobber {
                    return Ok(Copied::Skipped);
                }
                if opts.update {
                    if let (Ok(ours), Ok(theirs)) = (meta.modified(), there.modified()) {
                        if theirs >= ours {
                            return Ok(Copied::Skipped);
                        }
                    }
                }
                dest::unlink(dst)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Failure::os(format!("cannot stat {}", quote(dst)), e)),
        }
    }
    let kind = meta.file_type();
    let link = kind.is_symlink();
    if link {
        let target = fs::read_link(src)
            .map_err(|e| Failure::os(format!("cannot read symbolic link {}", quote(src)), e))?;
        std::os::unix::fs::symlink(&target, dst)
            .map_err(|e| Failure::os(format!("cannot create symbolic link {}", quote(dst)), e))?;
    } else if kind.is_fifo() {
        sys::mkfifo(dst, meta.mode() & 0o777)
            .map_err(|e| Failure::os(format!("cannot create fifo {}", quote(dst)), e))?;
    } else {
        // Character and block devices, sockets: the type bits travel in the mode.
        let mode = meta.mode() & (libc::S_IFMT | 0o777);
        sys::mknod(dst, mode, meta.rdev())
            .map_err(|e| Failure::os(format!("cannot create special file {}", quote(dst)), e))?;
    }
    let attrs = Attrs::of(meta, opts.preserve, settings.root);
    if attrs.any() {
        attrs.apply_to_path(dst, link)?;
    }
    Ok(Copied::Done)
}

/// Whether a `-r` copy makes `kind` anew rather than reading it.
pub(crate) fn is_node(kind: fs::FileType) -> bool {
    kind.is_symlink()
        || kind.is_fifo()
        || kind.is_char_device()
        || kind.is_block_device()
        || kind.is_socket()
}
