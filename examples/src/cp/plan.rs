//! What `SRC... DST` means, as in cp: into DST when it is a directory (which it must be for
//! several sources), else to DST. Each source's failure is reported and the others go on.
//!
//! Paths are classified with std (`lstat` for `-r`, `stat` otherwise): ringaio's `metadata`
//! follows symbolic links and its `Metadata` has no device number, which the same-file check
//! needs. The data itself goes through the ring.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::copy_file::FileJob;
use crate::ctx::Ctx;
use crate::errors::{quote, Failure};
use crate::tasks::Tasks;
use crate::tree;

/// Copies every source, then finishes the directories (modes, times, `--sync`).
pub(crate) async fn run(ctx: Rc<Ctx>, sources: Vec<PathBuf>, target: PathBuf) {
    let into_dir = fs::metadata(&target).is_ok_and(|m| m.is_dir());
    if sources.len() > 1 && !into_dir {
        ctx.error(&Failure::plain(format!(
            "target {} is not a directory",
            quote(&target)
        )));
        return;
    }
    let mut tasks = Tasks::new(ctx.clone());
    for src in &sources {
        let dst = match src.file_name() {
            Some(name) if into_dir => target.join(name),
            _ => target.clone(),
        };
        if let Err(failure) = copy_one(&ctx, &mut tasks, src, dst).await {
            ctx.error(&failure);
        }
    }
    tasks.wait_all().await;
    tree::finish_dirs(&ctx).await;
}

/// Starts copying one source operand.
async fn copy_one(
    ctx: &Rc<Ctx>,
    tasks: &mut Tasks,
    src: &Path,
    dst: PathBuf,
) -> Result<(), Failure> {
    let meta = if ctx.opts.recursive {
        fs::symlink_metadata(src)
    } else {
        fs::metadata(src)
    }
    .map_err(|e| Failure::os(format!("cannot stat {}", quote(src)), e))?;
    if meta.is_dir() {
        if !ctx.opts.recursive {
            let what = format!("-r not specified; omitting directory {}", quote(src));
            return Err(Failure::plain(what));
        }
        return tree::copy_tree(ctx, tasks, src, &dst, &meta).await;
    }
    if meta.file_type().is_symlink() {
        return tree::copy_symlink(src, &dst).await;
    }
    let (dst, replaced) = destination(src, &meta, dst)?;
    tasks
        .spawn(FileJob {
            src: src.to_owned(),
            dst,
            regular: meta.is_file(),
            replaced,
        })
        .await;
    Ok(())
}

/// Where a non-directory `src` goes when copied to `dst`, and the mode of the file it
/// replaces. Writing to a symbolic link writes to the file it points at, as cp does.
///
/// # Errors
/// `dst` is a directory, or the same file as `src`.
pub(crate) fn destination(
    src: &Path,
    src_meta: &fs::Metadata,
    dst: PathBuf,
) -> Result<(PathBuf, Option<u32>), Failure> {
    let existing = match fs::metadata(&dst) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((dst, None)),
        Err(e) => return Err(Failure::os(format!("cannot stat {}", quote(&dst)), e)),
    };
    if existing.is_dir() {
        let what = format!(
            "cannot overwrite directory {} with non-directory",
            quote(&dst)
        );
        return Err(Failure::plain(what));
    }
    if (existing.dev(), existing.ino()) == (src_meta.dev(), src_meta.ino()) {
        let what = format!("{} and {} are the same file", quote(src), quote(&dst));
        return Err(Failure::plain(what));
    }
    let is_link = fs::symlink_metadata(&dst).is_ok_and(|m| m.file_type().is_symlink());
    let dst = if is_link {
        fs::canonicalize(&dst).unwrap_or(dst)
    } else {
        dst
    };
    Ok((dst, Some(existing.permissions().mode())))
}
