//! The set of small files the `openread` and `openwrite` workloads go through.

use std::ffi::CString;
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::engines::RoundResult;
use crate::workload::WyRand;

/// Smallest file of the set, in bytes.
pub(crate) const MIN_SIZE: usize = 100;
/// Largest file of the set, in bytes.
pub(crate) const MAX_SIZE: usize = 16 * 1024;
/// Every engine reads into a buffer of this many bytes, reading again only when a read
/// fills it: larger than any file, so one read sees a file's end (a short read).
pub(crate) const READ_BUF: usize = 2 * MAX_SIZE;
// One read sees any file's end.
const _: () = assert!(MAX_SIZE < READ_BUF);

/// The seed of the size distribution: every run, every engine, the same files.
const SIZE_SEED: u64 = 16;

/// `count` files of sizes from 100 B to 16 KiB, log-uniform (as many 100-200 B files as
/// 8-16 KiB ones; mean about 3.2 KiB), from a fixed seed.
#[derive(Debug)]
pub(crate) struct FileSet {
    /// Where the files are (`openread`: made once and kept; `openwrite`: emptied before
    /// each pass).
    dir: PathBuf,
    /// File `i`'s path.
    pub(crate) paths: Vec<PathBuf>,
    /// The same paths as C strings, for the raw loop.
    pub(crate) c_paths: Vec<CString>,
    /// File `i`'s size in bytes.
    pub(crate) sizes: Vec<usize>,
    /// The bytes file `i` holds (or gets written): `data[..sizes[i]]`.
    pub(crate) data: Vec<u8>,
    /// True for `openwrite`.
    pub(crate) write: bool,
}

impl FileSet {
    /// The set of `count` files under `root`: for reads, creates them unless a complete
    /// set is there already, and (with `warm`) reads them once so the page cache is warm;
    /// for writes, only the directory.
    pub(crate) fn prepare(
        root: &Path,
        count: usize,
        write: bool,
        warm: bool,
    ) -> io::Result<FileSet> {
        let mut rng = WyRand::new(SIZE_SEED);
        let ratio = MAX_SIZE as f64 / MIN_SIZE as f64;
        let sizes: Vec<usize> = (0..count)
            .map(|_| {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                ((MIN_SIZE as f64 * ratio.powf(u)) as usize).clamp(MIN_SIZE, MAX_SIZE)
            })
            .collect();
        let dir = root.join(if write {
            "write".to_owned()
        } else {
            format!("read-{count}")
        });
        std::fs::create_dir_all(&dir)?;
        let paths: Vec<PathBuf> = (0..count).map(|i| dir.join(format!("{i:05}"))).collect();
        let c_paths = paths
            .iter()
            .map(|p| CString::new(p.as_os_str().as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in --dir"))?;
        let mut data = vec![0u8; MAX_SIZE];
        for word in data.chunks_exact_mut(8) {
            word.copy_from_slice(&rng.next_u64().to_ne_bytes());
        }
        let set = FileSet {
            dir,
            paths,
            c_paths,
            sizes,
            data,
            write,
        };
        if !write {
            set.make_read_files(warm)?;
        }
        Ok(set)
    }

    /// Number of files.
    pub(crate) fn len(&self) -> usize {
        self.paths.len()
    }

    /// Bytes in all the files together.
    pub(crate) fn total_bytes(&self) -> u64 {
        self.sizes.iter().map(|&s| s as u64).sum()
    }

    /// The bytes file `i` holds or gets.
    pub(crate) fn contents(&self, i: usize) -> &[u8] {
        &self.data[..self.sizes[i]]
    }

    /// Writes the files for reading unless a marker says a complete set is there; then,
    /// with `warm`, reads each once (warm cache) and checks its size.
    fn make_read_files(&self, warm: bool) -> io::Result<()> {
        let marker = self.dir.join("complete");
        if !marker.exists() {
            eprintln!(
                "preparing {} files in {}...",
                self.len(),
                self.dir.display()
            );
            for i in 0..self.len() {
                std::fs::File::create(&self.paths[i])?.write_all(self.contents(i))?;
            }
            std::fs::write(&marker, b"")?;
        }
        if !warm {
            return Ok(());
        }
        for (path, &size) in self.paths.iter().zip(&self.sizes) {
            if std::fs::read(path)?.len() != size {
                return Err(io::Error::other(format!(
                    "{} is not {size} bytes: remove {} and run again",
                    path.display(),
                    self.dir.display()
                )));
            }
        }
        Ok(())
    }

    /// Before a pass: for writes, removes the files the last pass made, so every pass
    /// creates new files (not timed).
    pub(crate) fn reset(&self) -> io::Result<()> {
        if !self.write {
            return Ok(());
        }
        for path in &self.paths {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// After a pass: every file was done once and every byte moved; for writes, the
    /// files hold what was written (checked by size).
    pub(crate) fn check(&self, engine: &str, r: &RoundResult) -> io::Result<()> {
        let (files, bytes) = (self.len() as u64, self.total_bytes());
        if r.ops != files || r.bytes != bytes {
            return Err(io::Error::other(format!(
                "{engine}: a pass did {} files and {} bytes, not {files} and {bytes}",
                r.ops, r.bytes
            )));
        }
        if self.write {
            for (path, &size) in self.paths.iter().zip(&self.sizes) {
                let len = std::fs::metadata(path)?.len();
                if len != size as u64 {
                    return Err(io::Error::other(format!(
                        "{engine}: {} has {len} bytes, not {size}",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_fixed_and_in_range() {
        let dir = std::env::temp_dir().join(format!("ringaio-bench-set-{}", std::process::id()));
        let a = FileSet::prepare(&dir, 2000, true, true).unwrap();
        let b = FileSet::prepare(&dir, 2000, true, true).unwrap();
        assert_eq!(a.sizes, b.sizes);
        assert!(a.sizes.iter().all(|&s| (MIN_SIZE..=MAX_SIZE).contains(&s)));
        let small = a.sizes.iter().filter(|&&s| s < 200).count();
        let large = a.sizes.iter().filter(|&&s| s >= 8192).count();
        assert!((200..=350).contains(&small), "{small} files under 200 B");
        assert!(
            (200..=350).contains(&large),
            "{large} files of 8 KiB and more"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn read_set_is_made_and_checked() {
        let dir = std::env::temp_dir().join(format!("ringaio-bench-rset-{}", std::process::id()));
        let set = FileSet::prepare(&dir, 20, false, true).unwrap();
        for i in 0..set.len() {
            assert_eq!(std::fs::read(&set.paths[i]).unwrap(), set.contents(i));
        }
        let mut r = RoundResult::new();
        r.ops = 20;
        r.bytes = set.total_bytes();
        set.check("t", &r).unwrap();
        r.bytes -= 1;
        assert!(set.check("t", &r).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
