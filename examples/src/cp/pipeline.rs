//! One file's blocks: `--queue-depth` workers, each taking the next block, reading it and
//! writing it, so that that many requests are in flight. Also the read-back comparison of
//! `--verify`, built the same way.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io;

use futures::future::{join, try_join_all};
use ringaio::buf::{AlignedBuf, IoBuf};
use ringaio::fs::File;

use crate::buffers::set_write_len;
use crate::cli::Sparse;
use crate::ctx::Ctx;
use crate::direct::{align_up, ALIGN};

/// Why a file's blocks stopped.
#[derive(Debug)]
pub(crate) enum BlockError {
    /// Reading the source.
    ReadSource(io::Error),
    /// Reading the copy back (`--verify`).
    ReadCopy(io::Error),
    /// Writing the copy.
    Write(io::Error),
    /// No memory for a buffer.
    Memory(io::Error),
    /// The copy differs from the source from this byte on (`--verify`).
    Differs(u64),
}

/// The files of one copy.
#[derive(Debug)]
pub(crate) struct Ends<'a> {
    pub(crate) src: &'a File,
    /// `src` was opened with `O_DIRECT`: a short read is the end of the file, and reads must
    /// start at aligned offsets.
    pub(crate) src_direct: bool,
    /// The temporary, opened buffered: takes the writes that are not aligned.
    pub(crate) dst: &'a File,
    /// The temporary again, opened with `O_DIRECT`, where the filesystem allows it.
    pub(crate) dst_direct: Option<&'a File>,
}

/// Hands out `[offset, end)` blocks of a list of ranges, in order, to the workers.
#[derive(Debug)]
struct Blocks {
    /// The ranges left, the first one partly claimed.
    ranges: RefCell<VecDeque<(u64, u64)>>,
    block: u64,
    /// Where the file ends, once a read has found it earlier than expected.
    end: Cell<u64>,
}

impl Blocks {
    fn new(ranges: &[(u64, u64)], len: u64, block: usize) -> Blocks {
        Blocks {
            ranges: RefCell::new(ranges.iter().copied().collect()),
            block: block as u64,
            end: Cell::new(len),
        }
    }

    fn claim(&self) -> Option<(u64, u64)> {
        let mut ranges = self.ranges.borrow_mut();
        loop {
            let (start, stop) = ranges.front_mut()?;
            let stop_here = (*stop).min(self.end.get());
            if *start >= stop_here {
                ranges.pop_front();
                continue;
            }
            let claimed = (*start, stop_here.min(start.saturating_add(self.block)));
            *start = claimed.1;
            return Some(claimed);
        }
    }

    /// A read found the end of the file at `offset`.
    fn ended_at(&self, offset: u64) {
        self.end.set(self.end.get().min(offset));
    }
}

/// How many workers `len` bytes need: one per block, at most `--queue-depth`.
fn workers(ctx: &Ctx, len: u64) -> usize {
    if len == 0 {
        return 0;
    }
    let blocks = len.div_ceil(ctx.opts.block_size as u64);
    usize::try_from(blocks).map_or(ctx.opts.queue_depth, |b| b.min(ctx.opts.queue_depth))
}

/// Copies the `extents` of a file of `len` bytes (the rest are holes); returns the file's
/// length (less if the source ended early). With `--sparse=always`, blocks of zeros are not
/// written either. Direct writes of a last, partial block are rounded up to [`ALIGN`]: the
/// caller sets the final length.
///
/// # Errors
/// The first failure; the other workers' requests are then cancelled.
pub(crate) async fn copy(
    ctx: &Ctx,
    ends: &Ends<'_>,
    extents: &[(u64, u64)],
    len: u64,
) -> Result<u64, BlockError> {
    let blocks = Blocks::new(extents, len, ctx.opts.block_size);
    let data: u64 = extents.iter().map(|(start, stop)| stop - start).sum();
    let workers = (0..workers(ctx, data)).map(|_| copy_worker(ctx, ends, &blocks));
    try_join_all(workers).await?;
    Ok(blocks.end.get())
}

async fn copy_worker(ctx: &Ctx, ends: &Ends<'_>, blocks: &Blocks) -> Result<(), BlockError> {
    let mut buf = ctx.buffers.get().map_err(BlockError::Memory)?;
    while let Some((offset, end)) = blocks.claim() {
        let (result, back) = copy_block(ctx, ends, blocks, buf, offset, end).await;
        buf = back;
        result?;
    }
    ctx.buffers.put(buf);
    Ok(())
}

/// Copies `[offset, end)`: normally one read and one write; more after short reads.
async fn copy_block(
    ctx: &Ctx,
    ends: &Ends<'_>,
    blocks: &Blocks,
    mut buf: AlignedBuf,
    offset: u64,
    end: u64,
) -> (Result<(), BlockError>, AlignedBuf) {
    let mut pos = offset;
    while pos < end {
        let (read, back) = ends.src.read_at(buf, pos).await;
        buf = back;
        let n = match read {
            Ok(0) => {
                blocks.ended_at(pos);
                break;
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (Err(BlockError::ReadSource(e)), buf),
        };
        let take = n.min(usize::try_from(end - pos).unwrap_or(usize::MAX));
        let zeros =
            ctx.opts.sparse == Sparse::Always && buf.as_slice()[..take].iter().all(|&b| b == 0);
        if !zeros {
            let (written, back) = write(ends, buf, pos, take).await;
            buf = back;
            if let Err(e) = written {
                return (Err(BlockError::Write(e)), buf);
            }
        }
        ctx.progress.advance(take as u64);
        pos += take as u64;
        if ends.src_direct && n < buf.bytes_total() && pos < end {
            // A short direct read is the end of the file; reading on, at an unaligned
            // offset, would fail with EINVAL on some filesystems.
            blocks.ended_at(pos);
            break;
        }
    }
    (Ok(()), buf)
}

/// Writes `buf[..len]` at `pos`: through the direct descriptor when `pos` is aligned (the
/// length rounded up: beyond the data is beyond the file's end, cut off later), else
/// through the buffered one.
async fn write(
    ends: &Ends<'_>,
    mut buf: AlignedBuf,
    pos: u64,
    len: usize,
) -> (io::Result<()>, AlignedBuf) {
    let (file, len) = match ends.dst_direct {
        Some(direct) if pos % ALIGN as u64 == 0 => (direct, align_up(len)),
        _ => (ends.dst, len),
    };
    set_write_len(&mut buf, len);
    file.write_all_at(buf, pos).await
}

/// Bytes per `copy_file_range` request of a large file.
const KERNEL_BLOCK: usize = 16 << 20;

/// Most `copy_file_range` requests of one file in flight (each holds a pool thread).
pub(crate) const KERNEL_WORKERS: usize = 4;

/// Copies the `extents` of a file of `len` bytes inside the kernel by `copy_file_range`
/// requests (ringaio runs them on its blocking pool), one worker per source descriptor in
/// `srcs` (at most [`KERNEL_WORKERS`] are used): the data is cut into as many consecutive
/// parts, each copied front to back in [`KERNEL_BLOCK`]s by its own worker, so that every
/// descriptor (with its own readahead state, when the caller opened them separately) reads
/// sequentially. Returns the file's length, or `None` when the kernel cannot copy between
/// these files at all (the first request fails with `cannot`'s kind of error before any
/// byte moved).
///
/// # Errors
/// The first other failure.
pub(crate) async fn copy_in_kernel(
    ctx: &Ctx,
    srcs: &[File],
    dst: &File,
    extents: &[(u64, u64)],
    len: u64,
    cannot: impl Fn(&io::Error) -> bool,
) -> Result<Option<u64>, io::Error> {
    let moved = Cell::new(false);
    let refused = Cell::new(false);
    let data: u64 = extents.iter().map(|(start, stop)| stop - start).sum();
    let count = usize::try_from(data.div_ceil(KERNEL_BLOCK as u64))
        .map_or(KERNEL_WORKERS, |n| n.min(KERNEL_WORKERS))
        .min(srcs.len());
    let parts: Vec<Blocks> = split(extents, data, count)
        .iter()
        .map(|part| Blocks::new(part, len, KERNEL_BLOCK))
        .collect();
    let state = Kernel {
        moved: &moved,
        refused: &refused,
        cannot: &cannot,
    };
    let workers = srcs.iter().zip(&parts);
    try_join_all(workers.map(|(src, blocks)| kernel_worker(ctx, src, dst, blocks, &state))).await?;
    if refused.get() {
        return Ok(None);
    }
    // A part that met the end of the file early says where the (shrunken) file ends.
    Ok(Some(parts.iter().map(|b| b.end.get()).fold(len, u64::min)))
}

/// What the workers of one [`copy_in_kernel`] share.
struct Kernel<'a, C> {
    /// Some byte was copied.
    moved: &'a Cell<bool>,
    /// The kernel cannot copy between the two files.
    refused: &'a Cell<bool>,
    cannot: &'a C,
}

async fn kernel_worker<C: Fn(&io::Error) -> bool>(
    ctx: &Ctx,
    src: &File,
    dst: &File,
    blocks: &Blocks,
    state: &Kernel<'_, C>,
) -> io::Result<()> {
    while let Some((offset, end)) = blocks.claim() {
        let mut pos = offset;
        while pos < end {
            let want = usize::try_from(end - pos).unwrap_or(KERNEL_BLOCK);
            match src.copy_range_to(pos, dst, pos, want).await {
                Ok(0) => {
                    blocks.ended_at(pos);
                    break;
                }
                Ok(n) => {
                    state.moved.set(true);
                    ctx.progress.advance(n as u64);
                    pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if !state.moved.get() && (state.cannot)(&e) => {
                    state.refused.set(true);
                    blocks.ended_at(0);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Cuts `extents` (holding `data` bytes) into `count` consecutive lists of extents with
/// about as many bytes each, at [`KERNEL_BLOCK`] boundaries.
fn split(extents: &[(u64, u64)], data: u64, count: usize) -> Vec<Vec<(u64, u64)>> {
    let count = count.max(1) as u64;
    let share = data.div_ceil(count).div_ceil(KERNEL_BLOCK as u64) * KERNEL_BLOCK as u64;
    let mut parts = vec![Vec::new()];
    let mut room = share;
    for &(mut start, stop) in extents {
        while start < stop {
            if room == 0 && (parts.len() as u64) < count {
                parts.push(Vec::new());
                room = share;
            }
            let take = if (parts.len() as u64) < count {
                (stop - start).min(room)
            } else {
                stop - start
            };
            parts
                .last_mut()
                .expect("one part at least")
                .push((start, start + take));
            start += take;
            room = room.saturating_sub(take);
        }
    }
    parts
}

/// Copies from `pos` to the end of the source, one block at a time, through the buffered
/// descriptors: for sources whose size is not known up front (pipes, character devices,
/// `/proc` files) or that grew during the copy. Returns the new length.
///
/// # Errors
/// The first read or write error.
pub(crate) async fn copy_tail(ctx: &Ctx, ends: &Ends<'_>, mut pos: u64) -> Result<u64, BlockError> {
    let mut buf = ctx.buffers.get().map_err(BlockError::Memory)?;
    loop {
        let (read, back) = ends.src.read_at(buf, pos).await;
        buf = back;
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(BlockError::ReadSource(e)),
        };
        set_write_len(&mut buf, n);
        let (written, back) = ends.dst.write_all_at(buf, pos).await;
        buf = back;
        written.map_err(BlockError::Write)?;
        ctx.progress.advance(n as u64);
        pos += n as u64;
    }
    ctx.buffers.put(buf);
    Ok(pos)
}

/// Reads `len` bytes of `src` and of `copy` and compares them, pipelined like [`copy`].
///
/// # Errors
/// [`BlockError::Differs`] at the first differing block's first differing byte; read errors.
pub(crate) async fn verify(ctx: &Ctx, src: &File, copy: &File, len: u64) -> Result<(), BlockError> {
    let blocks = Blocks::new(&[(0, len)], len, ctx.opts.block_size);
    let workers = (0..workers(ctx, len)).map(|_| verify_worker(ctx, src, copy, &blocks));
    try_join_all(workers).await?;
    Ok(())
}

async fn verify_worker(
    ctx: &Ctx,
    src: &File,
    copy: &File,
    blocks: &Blocks,
) -> Result<(), BlockError> {
    let mut ours = ctx.buffers.get().map_err(BlockError::Memory)?;
    let mut theirs = ctx.buffers.get().map_err(BlockError::Memory)?;
    while let Some((offset, end)) = blocks.claim() {
        let mut pos = offset;
        while pos < end {
            let (a, b) = join(src.read_at(ours, pos), copy.read_at(theirs, pos)).await;
            (ours, theirs) = (a.1, b.1);
            let n = a.0.map_err(BlockError::ReadSource)?;
            let m = b.0.map_err(BlockError::ReadCopy)?;
            let room = usize::try_from(end - pos).unwrap_or(usize::MAX);
            let same = n.min(m).min(room);
            if same == 0 {
                return Err(BlockError::Differs(pos));
            }
            let (x, y) = (&ours.as_slice()[..same], &theirs.as_slice()[..same]);
            if let Some(i) = x.iter().zip(y).position(|(p, q)| p != q) {
                return Err(BlockError::Differs(pos + i as u64));
            }
            ctx.progress.verified(same as u64);
            pos += same as u64;
        }
    }
    ctx.buffers.put(ours);
    ctx.buffers.put(theirs);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_range_once() {
        let blocks = Blocks::new(&[(0, 10)], 10, 4);
        assert_eq!(blocks.claim(), Some((0, 4)));
        assert_eq!(blocks.claim(), Some((4, 8)));
        assert_eq!(blocks.claim(), Some((8, 10)));
        assert_eq!(blocks.claim(), None);
    }

    #[test]
    fn an_early_end_stops_the_claims() {
        let blocks = Blocks::new(&[(0, 100)], 100, 10);
        assert_eq!(blocks.claim(), Some((0, 10)));
        blocks.ended_at(5);
        assert_eq!(blocks.claim(), None);
        assert_eq!(blocks.end.get(), 5);
    }

    #[test]
    fn parts_are_consecutive_and_cover_the_data() {
        let mb = KERNEL_BLOCK as u64;
        let parts = split(&[(0, 10 * mb + 5)], 10 * mb + 5, 4);
        assert_eq!(
            parts,
            [
                vec![(0, 3 * mb)],
                vec![(3 * mb, 6 * mb)],
                vec![(6 * mb, 9 * mb)],
                vec![(9 * mb, 10 * mb + 5)]
            ]
        );
        let holes = [(0, mb), (5 * mb, 7 * mb), (9 * mb, 9 * mb + 1)];
        let parts = split(&holes, 3 * mb + 1, 2);
        assert_eq!(
            parts,
            [
                vec![(0, mb), (5 * mb, 6 * mb)],
                vec![(6 * mb, 7 * mb), (9 * mb, 9 * mb + 1)]
            ]
        );
        assert_eq!(split(&[(0, 7)], 7, 4), [vec![(0, 7)]]);
        assert_eq!(split(&[], 0, 4), [Vec::<(u64, u64)>::new()]);
    }

    #[test]
    fn holes_are_skipped() {
        let blocks = Blocks::new(&[(0, 3), (10, 16), (20, 21)], 30, 4);
        let claims: Vec<_> = std::iter::from_fn(|| blocks.claim()).collect();
        assert_eq!(claims, [(0, 3), (10, 14), (14, 16), (20, 21)]);
    }
}
