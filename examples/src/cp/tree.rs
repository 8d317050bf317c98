//! `-r`: walks a tree depth-first, making each directory before anything goes in it and
//! handing its entries to the copy tasks: files are copied, symbolic links, FIFOs, devices
//! and sockets made anew, and with `--preserve=links` files linked more than once in the
//! source are linked the same way in the copy. Directory modes, owners and times are set at
//! the end, deepest first, once their contents are in.
//!
//! Directories are listed on the pool (`getdents` has no ring operation); they are made, and
//! synced, through the ring.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ringaio::fs::File;

use crate::blocking;
use crate::copy_file::{dir_of, FileJob};
use crate::ctx::Ctx;
use crate::dest;
use crate::errors::{quote, Failure};
use crate::preserve::{Attrs, DirFixup};
use crate::special;
use crate::tasks::{Tasks, Work};

/// A directory entry, as listed on the pool.
#[derive(Debug)]
struct Entry {
    name: OsString,
    kind: fs::FileType,
    /// `lstat`, for what needs more than the type: directories, links and special files,
    /// and files when hard links are kept.
    meta: Option<io::Result<fs::Metadata>>,
}

/// Lists `dir`, with `lstat` where [`Entry::meta`] says. Blocking.
fn list(dir: &Path, files_too: bool) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let meta = (!kind.is_file() || files_too).then(|| fs::symlink_metadata(entry.path()));
        out.push(Entry {
            name: entry.file_name(),
            kind,
            meta,
        });
    }
    Ok(out)
}

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
    let (s, d) = (src.to_owned(), dst.to_owned());
    blocking::run(move || check_not_inside(&s, &d))
        .await
        .map_err(|e| Failure::os("cannot run a blocking call", e))??;
    let fresh = make_dir(ctx, src, dst, meta).await?;
    let files_too = ctx.opts.preserve.links;
    let mut stack = vec![(src.to_owned(), dst.to_owned(), fresh)];
    while let Some((dir, to, fresh)) = stack.pop() {
        let listing = dir.clone();
        let entries = blocking::run(move || list(&listing, files_too)).await;
        let entries = match entries.and_then(|listed| listed) {
            Ok(entries) => entries,
            Err(e) => {
                ctx.error(&Failure::os(format!("cannot access {}", quote(&dir)), e));
                continue;
            }
        };
        for entry in entries {
            let (from, into) = (dir.join(&entry.name), to.join(&entry.name));
            if let Err(failure) = copy_entry(ctx, tasks, entry, from, into, fresh, &mut stack).await
            {
                ctx.error(&failure);
            }
        }
    }
    Ok(())
}

/// One directory entry: a subdirectory is made and queued, anything else handed to the
/// tasks (or, a second name of a file already copied, linked at the end).
async fn copy_entry(
    ctx: &Rc<Ctx>,
    tasks: &mut Tasks,
    entry: Entry,
    from: PathBuf,
    into: PathBuf,
    fresh: bool,
    stack: &mut Vec<(PathBuf, PathBuf, bool)>,
) -> Result<(), Failure> {
    let meta = match entry.meta {
        Some(Ok(meta)) => Some(meta),
        Some(Err(e)) => return Err(Failure::os(format!("cannot stat {}", quote(&from)), e)),
        None => None,
    };
    if entry.kind.is_dir() {
        let meta = meta.ok_or_else(|| Failure::plain("directory without metadata"))?;
        let made = make_dir(ctx, &from, &into, &meta).await?;
        stack.push((from, into, made));
        return Ok(());
    }
    if let Some(meta) = &meta {
        if ctx.opts.preserve.links && !meta.is_dir() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            let mut first = ctx.first_copies.borrow_mut();
            if let Some(copy) = first.get(&key) {
                ctx.links.borrow_mut().push((copy.clone(), into));
                return Ok(());
            }
            first.insert(key, into.clone());
        }
    }
    let job = FileJob {
        src: from,
        dst: into,
        fresh,
    };
    match meta {
        Some(meta) if special::is_node(entry.kind) => {
            let work = Work::Node {
                src: job.src,
                meta,
                dst: job.dst,
                fresh,
            };
            tasks.spawn(work).await;
        }
        _ if entry.kind.is_file() => tasks.spawn_regular(job).await,
        _ => tasks.spawn(Work::File(job)).await,
    }
    Ok(())
}

/// cp's "cannot copy a directory into itself" check. Blocking.
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
/// merged into). Records the mode, owner and times it gets at the end.
async fn make_dir(ctx: &Ctx, src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<bool, Failure> {
    let fresh = match ringaio::fs::create_dir(dst).await {
        Ok(()) => true,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let at = dst.to_owned();
            let is_dir = blocking::run(move || fs::metadata(at).is_ok_and(|m| m.is_dir()))
                .await
                .unwrap_or(false);
            if !is_dir {
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
    if fresh {
        ctx.say(&format!("{} -> {}", quote(src), quote(dst)));
    }
    let mut attrs = Attrs::of(meta, ctx.opts.preserve, ctx.settings.root);
    if attrs.mode.is_none() && fresh {
        attrs.mode = Some(meta.mode() & 0o777 & !ctx.settings.umask);
    }
    if attrs.any() {
        ctx.dir_fixups.borrow_mut().push(DirFixup {
            path: dst.to_owned(),
            attrs,
        });
    }
    if ctx.opts.sync && fresh {
        ctx.dirs_to_sync.borrow_mut().insert(dir_of(dst));
    }
    Ok(fresh)
}

/// After every copy: the hard links (`--preserve=links`), directory modes, owners and times
/// (deepest first), then `--sync`'s directory fsyncs.
pub(crate) async fn finish_dirs(ctx: &Ctx) {
    let links = std::mem::take(&mut *ctx.links.borrow_mut());
    let fixups = std::mem::take(&mut *ctx.dir_fixups.borrow_mut());
    let failures = blocking::run(move || {
        let mut failures = Vec::new();
        for (copy, name) in links {
            let linked = dest::unlink(&name).and_then(|()| {
                fs::hard_link(&copy, &name).map_err(|e| {
                    let what = format!(
                        "cannot create hard link {} to {}",
                        quote(&name),
                        quote(&copy)
                    );
                    Failure::os(what, e)
                })
            });
            failures.extend(linked.err());
        }
        for fixup in fixups.iter().rev() {
            failures.extend(fixup.apply().err());
        }
        failures
    })
    .await;
    match failures {
        Ok(failures) => failures.iter().for_each(|f| ctx.error(f)),
        Err(e) => ctx.error(&Failure::os("cannot run a blocking call", e)),
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
