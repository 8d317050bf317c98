//! One file, in at most three steps. On the pool: open the source, decide what the
//! destination is ([`dest`]), open it in place or create a temporary, and, for a file of up to
//! [`SMALL`] bytes of data, copy the data in the kernel (a reflink, else `copy_file_range` over the
//! source's data extents, holes left as holes), set attributes, close and rename: one job, one
//! hand-off. A larger file is reflinked there if it can be, else copied by several
//! `copy_file_range` requests at once through the runtime ([`File::copy_range_to`]). Where
//! `copy_file_range` cannot copy (across filesystems), a file without holes is spliced
//! through a pipe by the runtime ([`stream`]); a sparse one, and the data of `--direct` and
//! `--sparse=always`, go through the io_uring pipeline instead, and `--verify` reads back
//! through the ring; the last step then runs on the pool again. Sources or destinations that
//! are not regular files (FIFOs, devices) are spliced too.

use std::fs;
use std::io;
use std::os::fd::IntoRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use futures::future::join_all;
use ringaio::fs::File;

use crate::blocking;
use crate::cli::{Reflink, Sparse};
use crate::ctx::{Ctx, Settings};
use crate::dest::{self, Dest};
use crate::direct;
use crate::errors::{quote, Failure};
use crate::pipeline::{self, BlockError, Ends};
use crate::preserve::{self, Attrs};
use crate::stream::{self, Kind, StreamError};
use crate::sys;
use crate::temp::Temp;

/// Most bytes per `copy_file_range` call, so that progress moves.
const KERNEL_CHUNK: usize = 64 << 20;

/// Files with up to this many bytes of data are copied in one job on the pool, every call in
/// a row (one hand-off per file); larger ones by several `copy_file_range` requests at once,
/// through the runtime.
const SMALL: u64 = 8 << 20;

/// A file to copy.
#[derive(Debug)]
pub(crate) struct FileJob {
    pub(crate) src: PathBuf,
    pub(crate) dst: PathBuf,
    /// `dst`'s directory was just made: there is nothing at `dst` to look at.
    pub(crate) fresh: bool,
}

/// Both ends, open, between the steps.
#[derive(Debug)]
struct Open {
    job: FileJob,
    src: fs::File,
    meta: fs::Metadata,
    dst: fs::File,
    /// What the destination is: a FIFO or device written in place, or a regular file.
    dst_kind: Kind,
    /// The path the data is written to: the temporary, or the destination.
    write_path: PathBuf,
    /// A new file's temporary, and where it goes.
    temp: Option<(Temp, PathBuf)>,
    /// The mode of the file an `--atomic` copy replaces, kept as an in-place copy keeps it.
    keep_mode: Option<u32>,
    /// Source and destination are regular files: offsets, holes and O_DIRECT apply.
    regular: bool,
    /// The source's data extents (all of it unless sparse).
    extents: Vec<(u64, u64)>,
    /// Bytes in the copy, once copied.
    copied: Option<u64>,
    /// `copy_file_range` between the two was refused (across filesystems).
    refused: bool,
}

/// How a file's copy ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Copied {
    /// `-n` or `-u` left the destination alone.
    Skipped,
    /// The destination was written.
    Done,
}

/// Where the pool's first step left a copy.
#[derive(Debug)]
enum Step {
    Skipped,
    Finished,
    /// The data (or `--verify`) goes through the ring.
    Ring(Box<Open>),
}

/// Copies `job.src` to `job.dst` as cp does.
///
/// # Errors
/// The failed step, naming the file and the OS error. A new file's temporary is removed; an
/// existing destination may have been truncated (as with cp).
pub(crate) async fn copy_file(ctx: &Ctx, job: FileJob) -> Result<Copied, Failure> {
    let settings = ctx.settings.clone();
    let step = blocking::run(move || first_step(&settings, job))
        .await
        .map_err(pool_failure)??;
    after_first_step(ctx, step).await
}

/// Copies several regular files as [`copy_file`] does, their first steps in one job on the
/// pool (one hand-off for the lot, not one per file): for trees of small files. Returns
/// each file's outcome, in order.
///
/// # Errors
/// The pool could not run the job (then none was copied).
pub(crate) async fn copy_files(
    ctx: &Ctx,
    jobs: Vec<FileJob>,
) -> Result<Vec<Result<Copied, Failure>>, Failure> {
    let settings = ctx.settings.clone();
    let steps = blocking::run(move || {
        jobs.into_iter()
            .map(|job| first_step(&settings, job))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(pool_failure)?;
    let rest = steps.into_iter().map(|step| async move {
        match step {
            Ok(step) => after_first_step(ctx, step).await,
            Err(failure) => Err(failure),
        }
    });
    Ok(join_all(rest).await)
}

/// The rest of a copy after its first step: the data or `--verify` through the ring, then
/// the last step on the pool.
async fn after_first_step(ctx: &Ctx, step: Step) -> Result<Copied, Failure> {
    let mut open = match step {
        Step::Skipped => return Ok(Copied::Skipped),
        Step::Finished => return Ok(Copied::Done),
        Step::Ring(open) => open,
    };
    let ring = async {
        let kernel = !ctx.opts.direct && ctx.opts.sparse != Sparse::Always;
        if !open.regular {
            // A FIFO, device or socket at either end: spliced, whatever the options.
            open.copied = through_splice(ctx, &open).await?;
        } else if open.copied.is_none() && kernel {
            if !open.refused {
                open.copied = through_kernel(ctx, &open).await?;
            }
            let whole = open.extents.len() == 1 && open.extents[0] == (0, open.meta.len());
            if open.copied.is_none() && whole {
                // Across filesystems (EXDEV): still in the kernel, through a pipe. A sparse
                // file goes through the ring, which skips its holes.
                open.copied = through_splice(ctx, &open).await?;
            }
        }
        if open.copied.is_none() {
            open.copied = Some(through_ring(ctx, &open).await?);
        }
        if ctx.opts.verify && open.regular {
            verify(ctx, &open).await?;
        }
        Ok::<(), Failure>(())
    }
    .await;
    if let Err(failure) = ring {
        // Removing the temporary blocks: not on this thread.
        let _ = blocking::run(move || drop(open)).await;
        return Err(failure);
    }
    let settings = ctx.settings.clone();
    blocking::run(move || finish(&settings, *open))
        .await
        .map_err(pool_failure)??;
    Ok(Copied::Done)
}

fn pool_failure(e: io::Error) -> Failure {
    Failure::os("cannot run a blocking call", e)
}

/// On the pool: open both ends, and copy in the kernel where that is the way.
fn first_step(settings: &Settings, job: FileJob) -> Result<Step, Failure> {
    let opts = &settings.opts;
    let Some(mut open) = open_ends(settings, job)? else {
        return Ok(Step::Skipped);
    };
    // By the data to move: a sparse file of a gigabyte with a megabyte in it is small.
    let data: u64 = open.extents.iter().map(|(start, stop)| stop - start).sum();
    let large = open.regular && data > SMALL;
    if open.regular && !opts.direct && opts.sparse != Sparse::Always {
        open.copied = match large {
            true if reflinked(settings, &open)? => Some(open.meta.len()),
            // Through the runtime, several requests at once.
            true => None,
            false => copy_in_kernel(settings, &open)?,
        };
        // A small file the kernel would not copy: not asked again from the ring.
        open.refused = !large && open.copied.is_none();
    }
    if open.copied.is_some() && !(opts.verify && open.regular) {
        finish(settings, open)?;
        return Ok(Step::Finished);
    }
    Ok(Step::Ring(Box::new(open)))
}

fn cannot_create(dst: &Path, e: io::Error) -> Failure {
    Failure::os(format!("cannot create regular file {}", quote(dst)), e)
}

/// The directory holding `path` (`.` for a bare name).
pub(crate) fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Opens the source and the destination; `None` when `-n` / `-u` skip it.
fn open_ends(settings: &Settings, job: FileJob) -> Result<Option<Open>, Failure> {
    let opts = &settings.opts;
    // A FIFO blocks here until a writer comes: this is a pool thread.
    let src = fs::File::options()
        .read(true)
        .custom_flags(libc::O_NOCTTY)
        .open(&job.src)
        .map_err(|e| Failure::os(format!("cannot open {} for reading", quote(&job.src)), e))?;
    let meta = src
        .metadata()
        .map_err(|e| Failure::os(format!("cannot stat {}", quote(&job.src)), e))?;
    if meta.is_dir() {
        let what = format!("-r not specified; omitting directory {}", quote(&job.src));
        return Err(Failure::plain(what));
    }
    let dest = if job.fresh {
        Dest::New
    } else {
        dest::classify(opts, &job.src, &meta, &job.dst)?
    };
    let create =
        |at: &Path, mode: u32| Temp::create(at, mode).map_err(|e| cannot_create(&job.dst, e));
    let new_mode = preserve::create_mode(meta.mode(), opts.preserve);
    let (dst, temp, keep_mode) = match dest {
        Dest::Skip => return Ok(None),
        Dest::New if job.fresh => {
            // In a directory this run just made, nobody looks yet: the file is made at its
            // own name (saving a rename per file of a tree), and still removed on failure.
            let (temp, file) =
                Temp::create_final(&job.dst, new_mode).map_err(|e| cannot_create(&job.dst, e))?;
            (file, Some((temp, job.dst.clone())), None)
        }
        Dest::New => {
            let (temp, file) = create(&job.dst, new_mode)?;
            (file, Some((temp, job.dst.clone())), None)
        }
        Dest::Unlink => {
            dest::unlink(&job.dst)?;
            let (temp, file) = create(&job.dst, new_mode)?;
            (file, Some((temp, job.dst.clone())), None)
        }
        Dest::Replace { path, mode } => {
            let (temp, file) = create(&path, 0o600)?;
            (file, Some((temp, path)), Some(mode))
        }
        Dest::InPlace => match open_in_place(&job.dst) {
            Ok(file) => (file, None, None),
            Err(e) if opts.force => {
                let _ = e;
                dest::unlink(&job.dst)?;
                let (temp, file) = create(&job.dst, new_mode)?;
                (file, Some((temp, job.dst.clone())), None)
            }
            Err(e) => return Err(cannot_create(&job.dst, e)),
        },
    };
    // A file just created is regular; what was there already may be a device or a FIFO.
    let dst_kind = match temp {
        Some(_) => Kind::Regular,
        None => Kind::of(
            dst.metadata()
                .map_err(|e| Failure::os(format!("cannot stat {}", quote(&job.dst)), e))?
                .file_type(),
        ),
    };
    let regular = meta.is_file() && dst_kind == Kind::Regular;
    let write_path = match &temp {
        Some((temp, _)) => temp.path().to_owned(),
        None => job.dst.clone(),
    };
    let size = meta.len();
    let sparse = opts.sparse != Sparse::Never && meta.blocks().saturating_mul(512) < size;
    let extents = if regular && sparse {
        sys::data_extents(&src, size)
            .map_err(|e| Failure::os(format!("error reading {}", quote(&job.src)), e))?
    } else {
        vec![(0, size)]
    };
    Ok(Some(Open {
        job,
        src,
        meta,
        dst,
        dst_kind,
        write_path,
        temp,
        keep_mode,
        regular,
        extents,
        copied: None,
        refused: false,
    }))
}

/// cp's open of an existing destination: write-only, truncated, following a symbolic link;
/// the kernel makes the permission checks. A device or FIFO is written to as it is (a FIFO
/// waits for its reader here).
fn open_in_place(dst: &Path) -> io::Result<fs::File> {
    fs::File::options()
        .write(true)
        .truncate(true)
        .custom_flags(libc::O_NOCTTY)
        .open(dst)
}

/// Copies the data without it passing through user space: a stream for FIFOs and devices,
/// a reflink, or `copy_file_range` over the source's data extents. Returns the copy's length,
/// or `None` where the kernel cannot (the ring pipeline then copies).
fn copy_in_kernel(settings: &Settings, open: &Open) -> Result<Option<u64>, Failure> {
    let (src, dst) = (&open.job.src, &open.job.dst);
    let size = open.meta.len();
    if size == 0 {
        // Pseudo-files that say they are empty (`/proc`) may still have contents: std
        // copies them with copy_file_range where it can, read/write where not.
        let n = io::copy(&mut &open.src, &mut &open.dst).map_err(|e| copy_failure(src, dst, e))?;
        settings.progress.advance(n);
        return Ok(Some(n));
    }
    if reflinked(settings, open)? {
        return Ok(Some(size));
    }
    let whole = open.extents.len() == 1 && open.extents[0] == (0, size);
    let mut copied_any = false;
    let mut end = 0;
    for &(start, stop) in &open.extents {
        let mut pos = start;
        while pos < stop || whole {
            // Not sparse: ask for more than the size, so that one call copies the file and
            // its short count says that it ended; the source may have grown meanwhile.
            let want = match whole {
                true => KERNEL_CHUNK,
                false => usize::try_from(stop - pos).map_or(KERNEL_CHUNK, |n| n.min(KERNEL_CHUNK)),
            };
            match sys::copy_file_range(&open.src, pos, &open.dst, pos, want) {
                Ok(0) => break,
                Ok(n) => {
                    copied_any = true;
                    pos += n as u64;
                    settings.progress.advance(n as u64);
                    if whole && n < want && pos >= size {
                        // Short, at or past the size fstat gave: the end of the file (a
                        // file still growing is copied as far as it had got).
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if !copied_any && kernel_cannot(&e) && whole => {
                    return sent(settings, open);
                }
                Err(e) if !copied_any && kernel_cannot(&e) => return Ok(None),
                Err(e) => return Err(copy_failure(src, dst, e)),
            }
        }
        end = pos;
        if pos < stop {
            // The source shrank.
            return Ok(Some(end));
        }
    }
    if !whole && end < size {
        // Holes at the end.
        open.dst.set_len(size).map_err(|e| write_failure(dst, e))?;
        end = size;
    }
    Ok(Some(end))
}

/// A small file without holes between two filesystems that do not `copy_file_range`
/// between them: `sendfile`, still in the kernel, in the same pool job (the destination was
/// just opened: its file position is 0). `None` where even that is refused (the ring copies).
fn sent(settings: &Settings, open: &Open) -> Result<Option<u64>, Failure> {
    let mut pos = 0u64;
    loop {
        match sys::sendfile(&open.dst, &open.src, pos, KERNEL_CHUNK) {
            Ok(0) => return Ok(Some(pos)),
            Ok(n) => {
                pos += n as u64;
                settings.progress.advance(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if pos == 0 && kernel_cannot(&e) => return Ok(None),
            Err(e) => return Err(copy_failure(&open.job.src, &open.job.dst, e)),
        }
    }
}

/// Tries a reflink (`--reflink`); whether the copy is done.
///
/// # Errors
/// `--reflink=always` and the filesystem refused.
fn reflinked(settings: &Settings, open: &Open) -> Result<bool, Failure> {
    let opts = &settings.opts;
    if opts.reflink == Reflink::Never || !open.regular {
        return Ok(false);
    }
    // Refusals are remembered by source device: a run has one target.
    let dev = open.meta.dev();
    if opts.reflink == Reflink::Auto && !settings.may_clone(dev) {
        return Ok(false);
    }
    match sys::ficlone(&open.dst, &open.src) {
        Ok(()) => {
            settings.progress.advance(open.meta.len());
            Ok(true)
        }
        Err(e) if opts.reflink == Reflink::Always => {
            let (src, dst) = (&open.job.src, &open.job.dst);
            let what = format!("failed to clone {} from {}", quote(dst), quote(src));
            Err(Failure::os(what, e))
        }
        Err(_) => {
            settings.clone_refused(dev);
            Ok(false)
        }
    }
}

/// `copy_file_range`'s "not between these files" errors, as opposed to I/O errors.
fn kernel_cannot(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(
            libc::EXDEV
                | libc::EINVAL
                | libc::EOPNOTSUPP
                | libc::ENOSYS
                | libc::EBADF
                | libc::EPERM
        )
    )
}

fn write_failure(dst: &Path, e: io::Error) -> Failure {
    Failure::os(format!("error writing {}", quote(dst)), e)
}

fn copy_failure(src: &Path, dst: &Path, e: io::Error) -> Failure {
    match e.raw_os_error() {
        Some(libc::ENOSPC | libc::EDQUOT | libc::EFBIG) => write_failure(dst, e),
        _ => Failure::os(format!("error copying {} to {}", quote(src), quote(dst)), e),
    }
}

/// A second descriptor of an open file, for the ring.
fn ring_file(file: &fs::File, name: &Path) -> Result<File, Failure> {
    file.try_clone()
        .map(File::from_std)
        .map_err(|e| Failure::os(format!("cannot open {}", quote(name)), e))
}

/// A large file's data by `copy_file_range` requests through the runtime, several at once;
/// `None` where the kernel cannot copy between the two files.
async fn through_kernel(ctx: &Ctx, open: &Open) -> Result<Option<u64>, Failure> {
    let job = &open.job;
    let src = ring_file(&open.src, &job.src)?;
    let dst = ring_file(&open.dst, &job.dst)?;
    let srcs = sources(&open.src, &src)
        .await
        .map_err(|e| Failure::os(format!("cannot open {} for reading", quote(&job.src)), e))?;
    let size = open.meta.len();
    let failed = |e| copy_failure(&job.src, &job.dst, e);
    let copied = async {
        let Some(mut len) =
            pipeline::copy_in_kernel(ctx, &srcs, &dst, &open.extents, size, kernel_cannot)
                .await
                .map_err(failed)?
        else {
            return Ok(None);
        };
        if open.extents.len() == 1 && open.extents[0] == (0, size) {
            // Not sparse: on to the end, if the source grew.
            loop {
                let n = src
                    .copy_range_to(len, &dst, len, KERNEL_CHUNK)
                    .await
                    .map_err(failed)?;
                if n == 0 {
                    break;
                }
                len += n as u64;
                ctx.progress.advance(n as u64);
            }
        } else if len == size {
            // Holes at the end.
            dst.set_len(size)
                .await
                .map_err(|e| write_failure(&job.dst, e))?;
        }
        Ok(Some(len))
    }
    .await;
    for other in srcs {
        let _ = other.close().await;
    }
    let _ = src.close().await;
    let _ = dst.close().await;
    copied
}

/// The source again, opened anew [`pipeline::KERNEL_WORKERS`] times (through the ring, by
/// `/proc/self/fd`), so that each `copy_file_range` worker has a file description of its
/// own: one readahead state per sequential stream. Where that fails (no `/proc`), `first`
/// is dup'ed instead (the workers then share its readahead state).
///
/// # Errors
/// Not even one descriptor could be had.
async fn sources(std_src: &fs::File, first: &File) -> io::Result<Vec<File>> {
    use std::os::fd::AsRawFd;
    let again = format!("/proc/self/fd/{}", std_src.as_raw_fd());
    let mut srcs = Vec::with_capacity(pipeline::KERNEL_WORKERS);
    for _ in 0..pipeline::KERNEL_WORKERS {
        let opened = File::options()
            .read(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&again)
            .await;
        match opened.or_else(|_| first.try_clone()) {
            Ok(file) => srcs.push(file),
            Err(e) if srcs.is_empty() => return Err(e),
            // Out of descriptors: fewer workers.
            Err(_) => break,
        }
    }
    Ok(srcs)
}

/// A FIFO, device or socket at either end, or two regular files on filesystems that do not
/// `copy_file_range` between them: `splice` through the runtime, else (where the kernel
/// cannot splice between the two) reads and writes through the ring. Returns the copy's
/// length.
async fn through_splice(ctx: &Ctx, open: &Open) -> Result<Option<u64>, Failure> {
    let job = &open.job;
    let src = ring_file(&open.src, &job.src)?;
    let dst = ring_file(&open.dst, &job.dst)?;
    let from = Kind::of(open.meta.file_type());
    let copied = match stream::splice_all(ctx, &src, from, &dst, open.dst_kind).await {
        Ok(Some(len)) => Ok(len),
        Ok(None) => {
            let ends = Ends {
                src: &src,
                src_direct: false,
                dst: &dst,
                dst_direct: None,
            };
            pipeline::copy_tail(ctx, &ends, 0)
                .await
                .map_err(|e| block_failure(job, e))
        }
        Err(StreamError::Read(e)) => {
            Err(Failure::os(format!("error reading {}", quote(&job.src)), e))
        }
        Err(StreamError::Write(e)) => Err(write_failure(&job.dst, e)),
    };
    let _ = src.close().await;
    let _ = dst.close().await;
    copied.map(Some)
}

/// The data through the io_uring pipeline: `--direct`, `--sparse=always`, or where the
/// kernel cannot copy between the two files. Returns the copy's length.
async fn through_ring(ctx: &Ctx, open: &Open) -> Result<u64, Failure> {
    let job = &open.job;
    let (src_direct_file, src_direct) = if ctx.opts.direct {
        direct::open_source(ctx, &job.src)
            .await
            .map_err(|e| Failure::os(format!("cannot open {} for reading", quote(&job.src)), e))?
    } else {
        (None, false)
    };
    let src = match src_direct_file {
        Some(file) => file,
        None => ring_file(&open.src, &job.src)?,
    };
    let dst = ring_file(&open.dst, &job.dst)?;
    let dst_direct = if ctx.opts.direct {
        direct::open_destination(ctx, &open.write_path, &job.dst)
            .await
            .map_err(|e| cannot_create(&job.dst, e))?
    } else {
        None
    };
    let size = open.meta.len();
    let ends = Ends {
        src: &src,
        src_direct,
        dst: &dst,
        dst_direct: dst_direct.as_ref(),
    };
    let failed = |e| block_failure(job, e);
    let copied = async {
        let mut len = pipeline::copy(ctx, &ends, &open.extents, size)
            .await
            .map_err(failed)?;
        if !src_direct {
            len = pipeline::copy_tail(ctx, &ends, len.max(size))
                .await
                .map_err(failed)?;
        }
        // A direct write rounds the last block up; holes may end the file.
        dst.set_len(len)
            .await
            .map_err(|e| write_failure(&job.dst, e))?;
        Ok::<u64, Failure>(len)
    }
    .await;
    let _ = src.close().await;
    if let Some(direct) = dst_direct {
        direct
            .close()
            .await
            .map_err(|e| Failure::os(format!("failed to close {}", quote(&job.dst)), e))?;
    }
    let _ = dst.close().await;
    copied
}

/// `--verify`: reads the copy back through the ring and compares it with the source.
async fn verify(ctx: &Ctx, open: &Open) -> Result<(), Failure> {
    let job = &open.job;
    let len = open.copied.unwrap_or(0);
    ctx.progress.set_verify();
    let src = ring_file(&open.src, &job.src)?;
    let copy = if ctx.opts.direct {
        direct::open_destination(ctx, &open.write_path, &job.dst)
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let copy = match copy {
        Some(copy) => copy,
        None => ring_file(&open.dst, &job.dst)?,
    };
    let result = pipeline::verify(ctx, &src, &copy, len)
        .await
        .map_err(|e| block_failure(job, e));
    let _ = src.close().await;
    let _ = copy.close().await;
    result
}

/// On the pool: attributes, `--sync`, close, and a new file's rename into place.
fn finish(settings: &Settings, open: Open) -> Result<(), Failure> {
    let opts = &settings.opts;
    let dst = &open.job.dst;
    let mut attrs = Attrs::of(&open.meta, opts.preserve, settings.root);
    if attrs.mode.is_none() {
        attrs.mode = open.keep_mode;
    }
    if attrs.any() {
        attrs.apply_to_file(&open.dst, dst)?;
    }
    if opts.sync && open.regular {
        open.dst
            .sync_all()
            .map_err(|e| Failure::os(format!("error syncing {}", quote(dst)), e))?;
    }
    close(open.dst).map_err(|e| Failure::os(format!("failed to close {}", quote(dst)), e))?;
    drop(open.src);
    if let Some((temp, to)) = open.temp {
        temp.commit(&to).map_err(|e| cannot_create(dst, e))?;
    }
    Ok(())
}

/// Closes `file`, reporting `close`'s error (std's drop ignores it; NFS reports write errors
/// there).
fn close(file: fs::File) -> io::Result<()> {
    let fd = file.into_raw_fd();
    // SAFETY: `fd` was just taken from the File, so it is open and owned by nobody else.
    if unsafe { libc::close(fd) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
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
