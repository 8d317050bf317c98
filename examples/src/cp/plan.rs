//! What `SRC... DST` means, as in cp: into DST when it is a directory (which it must be for
//! several sources, or with `-t`), else to DST (always, with `-T`). Each source's failure is
//! reported and the others go on.
//!
//! The operands are looked at on the pool, all at once: `lstat` with `-r`/`-P` (a link among
//! them is copied as a link), `stat` otherwise.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::blocking;
use crate::cli::Target;
use crate::copy_file::FileJob;
use crate::ctx::Ctx;
use crate::errors::{quote, Failure};
use crate::special;
use crate::tasks::{Tasks, Work};
use crate::tree;

/// Copies every source, then finishes the directories (links, modes, times, `--sync`).
pub(crate) async fn run(ctx: Rc<Ctx>, sources: Vec<PathBuf>, target: Target) {
    let no_deref = ctx.opts.no_dereference;
    let (target, into_dir, metas) =
        match blocking::run(move || look(target, sources, no_deref)).await {
            Ok(Ok(looked)) => looked,
            Ok(Err(failure)) => return ctx.error(&failure),
            Err(e) => return ctx.error(&Failure::os("cannot run a blocking call", e)),
        };
    // The total is known up front unless a tree is to be walked.
    if metas.iter().flatten().all(|(_, m)| !m.is_dir()) {
        let total = metas
            .iter()
            .flatten()
            .filter(|(_, m)| m.is_file())
            .map(|(_, m)| m.len())
            .sum();
        ctx.progress.set_total(total);
    }
    let mut tasks = Tasks::new(ctx.clone());
    for looked in metas {
        let (src, meta) = match looked {
            Ok(looked) => looked,
            Err(failure) => {
                ctx.error(&failure);
                continue;
            }
        };
        let dst = match last_name(&src) {
            Some(name) if into_dir => target.join(name),
            _ => target.clone(),
        };
        if let Err(failure) = copy_one(&ctx, &mut tasks, &src, meta, dst).await {
            ctx.error(&failure);
        }
    }
    tasks.wait_all().await;
    tree::finish_dirs(&ctx).await;
}

/// The name a source has inside a target directory: its last component as written, so that
/// `dir/.` goes into the target itself, as with cp (std's `file_name` would say `dir`).
fn last_name(src: &Path) -> Option<&OsStr> {
    let bytes = src.as_os_str().as_bytes();
    let trimmed = match bytes.iter().rposition(|&b| b != b'/') {
        Some(end) => &bytes[..=end],
        None => return None,
    };
    let name = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(slash) => &trimmed[slash + 1..],
        None => trimmed,
    };
    match name {
        b"." => None,
        b".." => src.file_name(),
        _ => Some(OsStr::from_bytes(name)),
    }
}

type Looked = (PathBuf, bool, Vec<Result<(PathBuf, fs::Metadata), Failure>>);

/// On the pool: where the sources go, and what each is.
fn look(target: Target, sources: Vec<PathBuf>, no_deref: bool) -> Result<Looked, Failure> {
    // cp's words: "target 'x': Not a directory", "target directory 'x': ...".
    let must_be_dir = |t: &Path, what: &str| {
        match fs::metadata(t) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
            Err(e) => Err(e),
        }
        .map_err(|e| Failure::os(format!("{what} {}", quote(t)), e))
    };
    let (target, into_dir) = match target {
        Target::Auto(t) if sources.len() > 1 => {
            must_be_dir(&t, "target")?;
            (t, true)
        }
        Target::Auto(t) => {
            let into = fs::metadata(&t).is_ok_and(|m| m.is_dir());
            (t, into)
        }
        Target::Into(t) => {
            must_be_dir(&t, "target directory")?;
            (t, true)
        }
        Target::To(t) => (t, false),
    };
    let metas = sources
        .into_iter()
        .map(|src| {
            let meta: io::Result<fs::Metadata> = if no_deref {
                fs::symlink_metadata(&src)
            } else {
                fs::metadata(&src)
            };
            meta.map(|m| (src.clone(), m))
                .map_err(|e| Failure::os(format!("cannot stat {}", quote(&src)), e))
        })
        .collect();
    Ok((target, into_dir, metas))
}

/// Starts copying one source operand.
async fn copy_one(
    ctx: &Rc<Ctx>,
    tasks: &mut Tasks,
    src: &Path,
    meta: fs::Metadata,
    dst: PathBuf,
) -> Result<(), Failure> {
    if meta.is_dir() {
        if !ctx.opts.recursive {
            let what = format!("-r not specified; omitting directory {}", quote(src));
            return Err(Failure::plain(what));
        }
        return tree::copy_tree(ctx, tasks, src, &dst, &meta).await;
    }
    let kind = meta.file_type();
    // A link among the operands is followed unless -P or -r; a FIFO or device is read
    // unless -r, which makes it anew (as cp).
    let work = if kind.is_symlink() || (ctx.opts.recursive && special::is_node(kind)) {
        Work::Node {
            src: src.to_owned(),
            meta,
            dst,
            fresh: false,
        }
    } else {
        let job = FileJob {
            src: src.to_owned(),
            dst,
            fresh: false,
        };
        if kind.is_file() {
            tasks.spawn_regular(job).await;
            return Ok(());
        }
        Work::File(job)
    };
    tasks.spawn(work).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_inside_the_target() {
        let name = |p: &str| last_name(Path::new(p)).map(|n| n.to_string_lossy().into_owned());
        assert_eq!(name("a/b"), Some("b".into()));
        assert_eq!(name("a/b/"), Some("b".into()));
        assert_eq!(name("a/."), None, "the target itself");
        assert_eq!(name("."), None);
        assert_eq!(name("/"), None);
        assert_eq!(name("x"), Some("x".into()));
    }
}
