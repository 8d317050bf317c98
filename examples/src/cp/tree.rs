//! `-r`: walks a tree depth-first, making each directory before anything goes in it, handing
//! its files to the copy tasks, and copying symbolic links as links. Directory modes and times
//! are set at the end, deepest first, once their contents are in.
//!
//! The walk lists directories with `std::fs::read_dir` (ringaio has no `getdents`); making
//! directories, copying, renaming and syncing go through the ring.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ringaio::fs::File;

use crate::copy_file::{dir_of, FileJob};
use crate::ctx::Ctx;
use crate::errors::{quote, Failure};
use crate::plan;
use crate::preserve::DirFixup;
use crate::tasks::Tasks;
use crate::temp::Temp;

/// Copies the directory `src` (described by `meta`) to `dst`, merging into `dst` if it is a
/// directory already. Failures inside the tree are reported as they happen and the walk goes
/// on; the error returned is one that stops the whole tree.
///
/// # Errors
/// `dst` is not a directory, or lies inside `src`; `dst` cannot be made.
pub(crate) async fn copy_tree(
    ctx: &Rc<Ctx>,
    tasks: &mut Tasks,
    src: &Path,
    dst: &Path,
    meta: &fs::Metadata,
) -> Result<(), Failure> {
    check_not_inside(src, dst)?;
    let fresh = make_dir(ctx, src, dst, meta).await?;
    let mut stack = vec![(src.to_owned(), dst.to_owned(), fresh)];
    while let Some((dir, to, fresh)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                ctx.error(&Failure::os(format!("cannot access {}", quote(&dir)), e));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    ctx.error(&Failure::os(format!("cannot access {}", quote(&dir)), e));
                    break;
                }
            };
            let (from, into) = (entry.path(), to.join(entry.file_name()));
            if let Err(failure) =
                copy_entry(ctx, tasks, &entry, &from, &into, fresh, &mut stack).await
            {
                ctx.error(&failure);
            }
        }
    }
    Ok(())
}

/// One directory entry: a subdirectory is made and queued, a file handed to the tasks.
async fn copy_entry(
    ctx: &Rc<Ctx>,
    tasks: &mut Tasks,
    entry: &fs::DirEntry,
    from: &Path,
    into: &Path,
    parent_fresh: bool,
    stack: &mut Vec<(PathBuf, PathBuf, bool)>,
) -> Result<(), Failure> {
    let stat_failed = |e| Failure::os(format!("cannot stat {}", quote(from)), e);
    let kind = entry.file_type().map_err(stat_failed)?;
    if kind.is_dir() {
        let meta = fs::symlink_metadata(from).map_err(stat_failed)?;
        let fresh = make_dir(ctx, from, into, &meta).await?;
        stack.push((from.to_owned(), into.to_owned(), fresh));
    } else if kind.is_symlink() {
        copy_symlink(from, into).await?;
    } else if kind.is_file() {
        // In a directory just made there is nothing to replace or collide with.
        let (dst, replaced) = if parent_fresh {
            (into.to_owned(), None)
        } else {
            let meta = fs::symlink_metadata(from).map_err(stat_failed)?;
            plan::destination(from, &meta, into.to_owned())?
        };
        let job = FileJob {
            src: from.to_owned(),
            dst,
            regular: true,
            replaced,
        };
        tasks.spawn(job).await;
    } else {
        let what = format!("cannot copy special file {}: not supported", quote(from));
        return Err(Failure::plain(what));
    }
    Ok(())
}

/// cp's "cannot copy a directory into itself" check.
fn check_not_inside(src: &Path, dst: &Path) -> Result<(), Failure> {
    let Ok(src_real) = fs::canonicalize(src) else {
        return Ok(());
    };
    let dst_real = match (fs::canonicalize(dst), dst.file_name()) {
        (Ok(real), _) => real,
        (Err(_), Some(name)) => match fs::canonicalize(dir_of(dst)) {
            Ok(parent) => parent.join(name),
            Err(_) => return Ok(()),
        },
        (Err(_), None) => return Ok(()),
    };
    if dst_real.starts_with(&src_real) {
        let what = format!(
            "cannot copy a directory, {}, into itself, {}",
            quote(src),
            quote(dst)
        );
        return Err(Failure::plain(what));
    }
    Ok(())
}

/// Makes `dst` for the directory `src`; returns whether it is new (else it existed and is
/// merged into). Records the mode and times it gets at the end.
async fn make_dir(ctx: &Ctx, src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<bool, Failure> {
    let fresh = match ringaio::fs::create_dir(dst).await {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if !fs::metadata(dst).is_ok_and(|m| m.is_dir()) {
                let what = format!(
                    "cannot overwrite non-directory {} with directory {}",
                    quote(dst),
                    quote(src)
                );
                return Err(Failure::plain(what));
            }
            false
        }
        Err(e) => {
            let what = format!("cannot create directory {}", quote(dst));
            return Err(Failure::os(what, e));
        }
    };
    let src_mode = meta.permissions().mode();
    let mode = if ctx.opts.preserve {
        Some(src_mode & 0o7777)
    } else {
        fresh.then_some(src_mode & 0o777 & !ctx.umask)
    };
    let times = match (ctx.opts.preserve, meta.accessed(), meta.modified()) {
        (true, Ok(atime), Ok(mtime)) => Some((atime, mtime)),
        _ => None,
    };
    if mode.is_some() || times.is_some() {
        ctx.dir_fixups.borrow_mut().push(DirFixup {
            path: dst.to_owned(),
            mode,
            times,
        });
    }
    if ctx.opts.sync && fresh {
        ctx.dirs_to_sync.borrow_mut().insert(dir_of(dst));
    }
    Ok(fresh)
}

/// Copies the symbolic link `src` as a link (through a temporary name, like files).
///
/// # Errors
/// Reading the link, or making the new one, failed; `dst` is a directory.
pub(crate) async fn copy_symlink(src: &Path, dst: &Path) -> Result<(), Failure> {
    let target = fs::read_link(src)
        .map_err(|e| Failure::os(format!("cannot read symbolic link {}", quote(src)), e))?;
    if fs::symlink_metadata(dst).is_ok_and(|m| m.is_dir()) {
        let what = format!(
            "cannot overwrite directory {} with non-directory",
            quote(dst)
        );
        return Err(Failure::plain(what));
    }
    let failed = |e| Failure::os(format!("cannot create symbolic link {}", quote(dst)), e);
    let temp = Temp::symlink(&target, dst).map_err(failed)?;
    temp.commit(dst).await.map_err(failed)
}

/// After every copy: directory modes and times (deepest first), then `--sync`'s directory
/// fsyncs.
pub(crate) async fn finish_dirs(ctx: &Ctx) {
    let fixups = std::mem::take(&mut *ctx.dir_fixups.borrow_mut());
    for fixup in fixups.iter().rev() {
        if let Err(failure) = fixup.apply() {
            ctx.error(&failure);
        }
    }
    let dirs = std::mem::take(&mut *ctx.dirs_to_sync.borrow_mut());
    for dir in dirs {
        if let Err(e) = sync_dir(&dir).await {
            ctx.error(&Failure::os(format!("error syncing {}", quote(&dir)), e));
        }
    }
}

async fn sync_dir(dir: &Path) -> io::Result<()> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .await?;
    file.sync_all().await?;
    file.close().await
}
