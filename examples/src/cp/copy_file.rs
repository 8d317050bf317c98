//! One file: open the source, create the temporary, reserve the space, copy the blocks,
//! check and finish the copy, rename it into place. Any failure removes the temporary.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use ringaio::fs::{File, Metadata};

use crate::ctx::Ctx;
use crate::direct::{self, ALIGN};
use crate::errors::{quote, Failure};
use crate::pipeline::{self, BlockError, Ends};
use crate::preserve;
use crate::temp::Temp;

/// A file to copy.
#[derive(Debug)]
pub(crate) struct FileJob {
    pub(crate) src: PathBuf,
    pub(crate) dst: PathBuf,
    /// The source is known to be a regular file: `--direct` applies.
    pub(crate) regular: bool,
    /// The mode of the file `dst` replaces, kept without `-p` (as cp keeps it).
    pub(crate) replaced: Option<u32>,
}

/// Copies `job.src` to `job.dst`, through a temporary.
///
/// # Errors
/// The failed step, naming the file and the OS error; nothing is left at `job.dst`'s
/// temporary name, and `job.dst` itself is untouched.
pub(crate) async fn copy_file(ctx: &Ctx, job: &FileJob) -> Result<(), Failure> {
    let (src, src_direct) = direct::open_source(ctx, &job.src, job.regular)
        .await
        .map_err(|e| Failure::os(format!("cannot open {} for reading", quote(&job.src)), e))?;
    let meta = src
        .metadata()
        .await
        .map_err(|e| Failure::os(format!("cannot stat {}", quote(&job.src)), e))?;
    if meta.is_dir() {
        // It was not a directory when the plan was made.
        let what = format!("-r not specified; omitting directory {}", quote(&job.src));
        return Err(Failure::plain(what));
    }
    let (temp, dst) = Temp::create(&job.dst)
        .await
        .map_err(|e| cannot_create(job, e))?;
    let filled = fill(ctx, job, &src, src_direct, &meta, temp.path(), dst).await;
    let _ = src.close().await;
    if let Err(failure) = filled {
        temp.discard().await;
        return Err(failure);
    }
    temp.commit(&job.dst)
        .await
        .map_err(|e| cannot_create(job, e))?;
    if ctx.opts.sync {
        ctx.dirs_to_sync.borrow_mut().insert(dir_of(&job.dst));
    }
    Ok(())
}

fn cannot_create(job: &FileJob, e: std::io::Error) -> Failure {
    Failure::os(format!("cannot create regular file {}", quote(&job.dst)), e)
}

/// The directory holding `path` (`.` for a bare name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Everything between creating the temporary and renaming it: data, length, verification,
/// mode and times, fsync, close.
async fn fill(
    ctx: &Ctx,
    job: &FileJob,
    src: &File,
    src_direct: bool,
    meta: &Metadata,
    temp: &Path,
    dst: File,
) -> Result<(), Failure> {
    let writing = |e| Failure::os(format!("error writing {}", quote(&job.dst)), e);
    let regular = meta.is_file();
    let size = if regular { meta.len() } else { 0 };
    let dst_direct = if ctx.opts.direct && regular {
        direct::open_destination(ctx, temp, &job.dst)
            .await
            .map_err(|e| cannot_create(job, e))?
    } else {
        None
    };
    let passes = if ctx.opts.verify { 2 } else { 1 };
    ctx.progress.add_total(size.saturating_mul(passes));
    if size > 0 {
        match dst.fallocate(0, size, 0).await {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {}
            Err(e) => return Err(writing(e)),
        }
    }
    let ends = Ends {
        src,
        src_direct,
        dst: &dst,
        dst_direct: dst_direct.as_ref(),
    };
    let failed = |e| block_failure(job, e);
    let mut len = pipeline::copy(ctx, &ends, size).await.map_err(failed)?;
    if !src_direct {
        len = pipeline::copy_tail(ctx, &ends, len).await.map_err(failed)?;
    }
    // fallocate set the length to `size`; a direct write rounds the last block up.
    if len < size || (dst_direct.is_some() && len % ALIGN as u64 != 0) {
        dst.set_len(len).await.map_err(writing)?;
    }
    if ctx.opts.verify {
        if regular {
            let copy = dst_direct.as_ref().unwrap_or(&dst);
            pipeline::verify(ctx, src, copy, len)
                .await
                .map_err(failed)?;
        } else {
            ctx.warn(&format!(
                "cannot verify {}: not a regular file",
                quote(&job.src)
            ));
        }
    }
    let mode = preserve::file_mode(meta.mode(), ctx.opts.preserve, job.replaced, ctx.umask);
    let times = ctx
        .opts
        .preserve
        .then(|| (meta.accessed(), meta.modified()));
    preserve::apply_to_fd(dst.as_raw_fd(), mode, times, &job.dst)?;
    if ctx.opts.sync {
        dst.sync_all()
            .await
            .map_err(|e| Failure::os(format!("error syncing {}", quote(&job.dst)), e))?;
    }
    let closing = |e| Failure::os(format!("failed to close {}", quote(&job.dst)), e);
    if let Some(direct) = dst_direct {
        direct.close().await.map_err(closing)?;
    }
    dst.close().await.map_err(closing)
}

fn block_failure(job: &FileJob, e: BlockError) -> Failure {
    let (src, dst) = (quote(&job.src), quote(&job.dst));
    match e {
        BlockError::ReadSource(e) => Failure::os(format!("error reading {src}"), e),
        BlockError::ReadCopy(e) => Failure::os(format!("error reading {dst}"), e),
        BlockError::Write(e) => Failure::os(format!("error writing {dst}"), e),
        BlockError::Memory(e) => Failure::os(format!("cannot copy {src}"), e),
        BlockError::Differs(at) => Failure::plain(format!(
            "verification failed: {dst} differs from {src} at byte {at}"
        )),
    }
}
