//! What one round does: the access pattern, the file, offsets and buffers.

use std::alloc::{self, Layout};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::files::FileSet;

/// Alignment of every I/O buffer: a page, which satisfies O_DIRECT on any device.
pub(crate) const BUF_ALIGN: usize = 4096;

/// The access pattern, named as in fio.
#[derive(clap::ValueEnum, serde::Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rw {
    /// Random reads of `bs` bytes.
    #[value(name = "randread")]
    #[serde(rename = "randread")]
    RandRead,
    /// Random writes of `bs` bytes.
    #[value(name = "randwrite")]
    #[serde(rename = "randwrite")]
    RandWrite,
    /// Sequential reads, wrapping at the end of the file.
    #[value(name = "read")]
    #[serde(rename = "read")]
    Read,
    /// Sequential writes, wrapping at the end of the file.
    #[value(name = "write")]
    #[serde(rename = "write")]
    Write,
    /// No I/O at all: a no-op round trip through the engine.
    #[value(name = "nop")]
    #[serde(rename = "nop")]
    Nop,
    /// TCP echo over loopback: `iodepth` connections ping-ponging `bs`-byte messages.
    #[value(name = "echo")]
    #[serde(rename = "echo")]
    Echo,
    /// Small files, each opened, read to its end and closed (`--files`, `--dir`).
    #[value(name = "openread")]
    #[serde(rename = "openread")]
    OpenRead,
    /// Small files, each created, written and closed (`--files`, `--dir`).
    #[value(name = "openwrite")]
    #[serde(rename = "openwrite")]
    OpenWrite,
}

impl std::fmt::Display for Rw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rw::RandRead => "randread",
            Rw::RandWrite => "randwrite",
            Rw::Read => "read",
            Rw::Write => "write",
            Rw::Nop => "nop",
            Rw::Echo => "echo",
            Rw::OpenRead => "openread",
            Rw::OpenWrite => "openwrite",
        })
    }
}

impl Rw {
    /// True for the patterns that write to the file.
    pub(crate) fn is_write(self) -> bool {
        matches!(self, Rw::RandWrite | Rw::Write)
    }

    /// True for the patterns that touch the (one, large) file at all.
    pub(crate) fn uses_file(self) -> bool {
        !matches!(self, Rw::Nop | Rw::Echo | Rw::OpenRead | Rw::OpenWrite)
    }

    /// True for the small-file patterns (`openread`, `openwrite`).
    pub(crate) fn is_files(self) -> bool {
        matches!(self, Rw::OpenRead | Rw::OpenWrite)
    }
}

/// Everything an engine needs to run a round.
#[derive(Debug)]
pub(crate) struct Workload {
    pub(crate) path: PathBuf,
    pub(crate) rw: Rw,
    pub(crate) bs: usize,
    pub(crate) iodepth: usize,
    pub(crate) direct: bool,
    pub(crate) fixed: bool,
    pub(crate) size: u64,
    /// Where this workload's part of the file starts (`--threads`: each thread has its
    /// share of the blocks); 0 for the whole file.
    pub(crate) base: u64,
    /// Shared cursor for the sequential patterns, so that all workers of an engine
    /// together walk the file once in order, as fio's single job does.
    cursor: Arc<AtomicU64>,
    /// The small files of `openread` / `openwrite`, prepared once for every engine.
    pub(crate) files: Option<Arc<FileSet>>,
}

impl Workload {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        path: PathBuf,
        rw: Rw,
        bs: usize,
        iodepth: usize,
        direct: bool,
        fixed: bool,
        size: u64,
    ) -> Workload {
        let cursor = Arc::new(AtomicU64::new(0));
        Workload {
            path,
            rw,
            bs,
            iodepth,
            direct,
            fixed,
            size,
            base: 0,
            cursor,
            files: None,
        }
    }

    /// Number of `bs`-sized blocks in the file.
    pub(crate) fn blocks(&self) -> u64 {
        (self.size / self.bs as u64).max(1)
    }

    /// Ring size for the io_uring engines: room for the queue depth and some slack.
    pub(crate) fn ring_entries(&self) -> u32 {
        let qd = u32::try_from(self.iodepth).unwrap_or(u32::MAX);
        qd.next_power_of_two().max(256)
    }

    /// Rewinds the sequential cursor; called before each engine's round.
    pub(crate) fn rewind(&self) {
        self.cursor.store(0, Ordering::Relaxed);
    }

    /// An offset stream for one worker. Random streams are seeded by `worker`, so every
    /// engine sees the same offsets in the same order.
    pub(crate) fn offsets(&self, worker: u64) -> Offsets {
        let blocks = self.blocks();
        let bs = self.bs as u64;
        match self.rw {
            Rw::Read | Rw::Write => Offsets::Seq {
                cursor: Arc::clone(&self.cursor),
                blocks,
                bs,
                base: self.base,
            },
            Rw::RandRead | Rw::RandWrite | Rw::Nop | Rw::Echo | Rw::OpenRead | Rw::OpenWrite => {
                Offsets::Random {
                    rng: WyRand::new(worker),
                    blocks,
                    bs,
                    base: self.base,
                }
            }
        }
    }

    /// Opens the file with std, honouring `--direct` and the access mode.
    pub(crate) fn open_std(&self) -> io::Result<File> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(self.rw.is_write());
        if self.direct {
            opts.custom_flags(libc::O_DIRECT);
        }
        opts.open(&self.path)
    }

    /// One aligned I/O buffer of `bs` bytes; random content so writes are not all zeroes.
    pub(crate) fn buffer(&self, seed: u64) -> AlignedBuf {
        let mut buf = AlignedBuf::new(self.bs);
        fill_random(&mut buf, seed);
        buf
    }

    /// `n` plain `Vec<u8>` buffers of `bs` bytes with `buffer(i)`'s content, allocated one
    /// after the other as a program would make them, before any temporary: the `uring-vec`
    /// and `ringaio-vec` engines read into buffers laid out alike. (Made one at a time
    /// between aligned temporaries, as `buffer(i).to_vec()`, half of them sat 16 bytes into
    /// a page, where the kernel's 4 KiB copy from the page cache runs about 2x slower on
    /// this machine: `rep movsb` with destination 16 bytes past the source modulo 4 KiB.)
    pub(crate) fn vec_buffers(&self, n: usize) -> Vec<Vec<u8>> {
        let mut vecs: Vec<Vec<u8>> = (0..n).map(|_| vec![0u8; self.bs]).collect();
        for (i, v) in vecs.iter_mut().enumerate() {
            v.copy_from_slice(&self.buffer(i as u64));
        }
        vecs
    }
}

/// Offsets for one worker.
#[derive(Debug)]
pub(crate) enum Offsets {
    /// Uniform random block offsets.
    Random {
        rng: WyRand,
        blocks: u64,
        bs: u64,
        base: u64,
    },
    /// In order through the file, shared with the other workers, wrapping at the end.
    Seq {
        cursor: Arc<AtomicU64>,
        blocks: u64,
        bs: u64,
        base: u64,
    },
}

impl Offsets {
    /// The byte offset of the next operation.
    #[inline]
    pub(crate) fn next_offset(&mut self) -> u64 {
        match self {
            Offsets::Random {
                rng,
                blocks,
                bs,
                base,
            } => *base + rng.below(*blocks) * *bs,
            Offsets::Seq {
                cursor,
                blocks,
                bs,
                base,
            } => *base + (cursor.fetch_add(1, Ordering::Relaxed) % *blocks) * *bs,
        }
    }
}

/// wyrand: one multiply per number, good enough to scatter block offsets.
#[derive(Debug, Clone)]
pub(crate) struct WyRand(u64);

impl WyRand {
    pub(crate) fn new(seed: u64) -> WyRand {
        WyRand(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x2545_f491_4f6c_dd1d)
    }

    #[inline]
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0xa076_1d64_78bd_642f);
        let t = u128::from(self.0) * u128::from(self.0 ^ 0xe703_7ed1_a0b4_28db);
        ((t >> 64) as u64) ^ (t as u64)
    }

    /// A number in `0..n` (Lemire's multiply-shift; no division).
    #[inline]
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Creates `path` and fills it with random data unless it already holds `size` bytes.
pub(crate) fn prepare_file(path: &Path, size: u64) -> io::Result<()> {
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_file() && meta.len() >= size {
            return Ok(());
        }
    }
    eprintln!("preparing {} ({} MiB)...", path.display(), size >> 20);
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(path)?;
    let mut chunk = vec![0u8; 1 << 20];
    let mut rng = WyRand::new(size);
    let mut written = 0u64;
    while written < size {
        for word in chunk.chunks_exact_mut(8) {
            word.copy_from_slice(&rng.next_u64().to_ne_bytes());
        }
        let n = (size - written).min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n])?;
        written += n as u64;
    }
    file.sync_all()
}

fn fill_random(buf: &mut [u8], seed: u64) {
    let mut rng = WyRand::new(seed ^ 0x5eed);
    for word in buf.chunks_mut(8) {
        let bytes = rng.next_u64().to_ne_bytes();
        word.copy_from_slice(&bytes[..word.len()]);
    }
}

/// A page-aligned, zero-initialised heap buffer, usable with O_DIRECT.
#[derive(Debug)]
pub(crate) struct AlignedBuf {
    ptr: NonNull<u8>,
    layout: Layout,
}

// SAFETY: AlignedBuf uniquely owns its allocation, like Box<[u8]>.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only hands out `&[u8]`, like Box<[u8]>.
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    /// Allocates `len` zeroed bytes aligned to [`BUF_ALIGN`].
    ///
    /// # Panics
    ///
    /// If `len` is zero or overflows a `Layout`; aborts if the allocation fails.
    pub(crate) fn new(len: usize) -> AlignedBuf {
        assert!(len > 0, "buffer length must be positive");
        let layout = Layout::from_size_align(len, BUF_ALIGN).expect("buffer size overflows");
        // SAFETY: the layout has a non-zero size (asserted above).
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        AlignedBuf { ptr, layout }
    }
}

impl std::ops::Deref for AlignedBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: ptr is a live, initialised allocation of layout.size() bytes owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl std::ops::DerefMut for AlignedBuf {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in deref, and `&mut self` makes this the only reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.layout.size()) }
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: ptr was returned by alloc_zeroed with this same layout and is freed once.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), self.layout) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buf_is_aligned_and_zeroed() {
        let buf = AlignedBuf::new(512);
        assert_eq!(buf.as_ptr() as usize % BUF_ALIGN, 0);
        assert_eq!(buf.len(), 512);
        assert!(buf.iter().all(|&b| b == 0));
    }

    #[test]
    fn random_offsets_stay_in_file_and_on_block_boundaries() {
        let w = Workload::new("x".into(), Rw::RandRead, 4096, 1, false, false, 1 << 20);
        let mut offs = w.offsets(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let off = offs.next_offset();
            assert!(off < 1 << 20);
            assert_eq!(off % 4096, 0);
            seen.insert(off);
        }
        assert_eq!(seen.len(), 256, "10k draws should hit all 256 blocks");
    }

    #[test]
    fn sequential_offsets_are_shared_and_wrap() {
        let w = Workload::new("x".into(), Rw::Read, 4096, 2, false, false, 3 * 4096);
        let (mut a, mut b) = (w.offsets(0), w.offsets(1));
        let got: Vec<u64> = (0..4)
            .map(|i| {
                if i % 2 == 0 {
                    a.next_offset()
                } else {
                    b.next_offset()
                }
            })
            .collect();
        assert_eq!(got, [0, 4096, 8192, 0]);
        w.rewind();
        assert_eq!(a.next_offset(), 0);
    }

    #[test]
    fn same_seed_same_offsets() {
        let w = Workload::new("x".into(), Rw::RandWrite, 4096, 1, false, false, 1 << 30);
        let (mut a, mut b) = (w.offsets(3), w.offsets(3));
        for _ in 0..100 {
            assert_eq!(a.next_offset(), b.next_offset());
        }
    }
}
