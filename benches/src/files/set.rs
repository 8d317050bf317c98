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
/// 8-16 KiB ones; mean about 3.2 KiB), from a fixed seed; in one directory, or spread in
/// order over `dirs` subdirectories of it (`--dirs`).
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
    /// The set of `count` files under `root`, spread over `dirs` subdirectories (1: none):
    /// for reads, creates them unless a complete set is there already, and (with `warm`)
    /// reads them once so the page cache is warm; for writes, only the directories.
    pub(crate) fn prepare(
        root: &Path,
        count: usize,
        dirs: usize,
        write: bool,
        warm: bool,
    ) -> io::Result<FileSet> {
        if dirs == 0 || dirs > count {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--dirs must be between 1 and --files",
            ));
        }
        let mut rng = WyRand::new(SIZE_SEED);
        let ratio = MAX_SIZE as f64 / MIN_SIZE as f64;
        let sizes: Vec<usize> = (0..count)
            .map(|_| {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                ((MIN_SIZE as f64 * ratio.powf(u)) as usize).clamp(MIN_SIZE, MAX_SIZE)
            })
            .collect();
        let name = if write {
            "write".to_owned()
        } else {
            format!("read-{count}")
        };
        let dir = match dirs {
            1 => root.join(name),
            _ => root.join(format!("{name}-in-{dirs}")),
        };
        let subdirs: Vec<PathBuf> = match dirs {
            1 => vec![dir.clone()],
            _ => (0..dirs).map(|k| dir.join(k.to_string())).collect(),
        };
        for sub in &subdirs {
            std::fs::create_dir_all(sub)?;
        }
        let paths: Vec<PathBuf> = (0..count)
            .map(|i| subdirs[owner(i, count, dirs)].join(format!("{i:05}")))
            .collect();
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

    /// Part `i` of `n` (`n` at most the number of files): the files whose index `j` has
    /// `owner(j) == i`, a run of consecutive files disjoint from the other parts' (with
    /// `--dirs n`, exactly subdirectory `i`), so that `n` threads each doing their part
    /// together do the whole set, and no two open, create or remove the same file.
    pub(crate) fn part(&self, i: usize, n: usize) -> FileSet {
        let len = self.len();
        let range = first(i, len, n)..first(i + 1, len, n);
        FileSet {
            dir: self.dir.clone(),
            paths: self.paths[range.clone()].to_vec(),
            c_paths: self.c_paths[range.clone()].to_vec(),
            sizes: self.sizes[range].to_vec(),
            data: self.data.clone(),
            write: self.write,
        }
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

/// Which of `parts` runs of consecutive files file `j` of `len` belongs to (its
/// subdirectory, its thread): `floor(j * parts / len)`.
fn owner(j: usize, len: usize, parts: usize) -> usize {
    j * parts / len
}

/// The first file of run `i` of `parts` (`len` for `i == parts`): the smallest `j` with
/// `owner(j) >= i`, so runs and subdirectories agree.
fn first(i: usize, len: usize, parts: usize) -> usize {
    (i * len).div_ceil(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_fixed_and_in_range() {
        let dir = std::env::temp_dir().join(format!("ringaio-bench-set-{}", std::process::id()));
        let a = FileSet::prepare(&dir, 2000, 1, true, true).unwrap();
        let b = FileSet::prepare(&dir, 2000, 1, true, true).unwrap();
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
        let set = FileSet::prepare(&dir, 20, 1, false, true).unwrap();
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

    #[test]
    fn parts_are_disjoint_runs_that_cover_the_set() {
        let dir = std::env::temp_dir().join(format!("ringaio-bench-part-{}", std::process::id()));
        let set = FileSet::prepare(&dir, 1001, 1, true, false).unwrap();
        for n in [1, 2, 3, 7, 1001] {
            let parts: Vec<FileSet> = (0..n).map(|i| set.part(i, n)).collect();
            let paths: Vec<&PathBuf> = parts.iter().flat_map(|p| &p.paths).collect();
            assert_eq!(paths, set.paths.iter().collect::<Vec<_>>(), "{n} parts");
            let sizes: Vec<usize> = parts.iter().flat_map(|p| p.sizes.clone()).collect();
            assert_eq!(sizes, set.sizes);
            let bytes: u64 = parts.iter().map(FileSet::total_bytes).sum();
            assert_eq!(bytes, set.total_bytes());
            assert!(parts
                .iter()
                .all(|p| p.len() >= 1001 / n && p.len() <= 1001 / n + 1));
            for (p, part) in parts.iter().enumerate() {
                for (k, c) in part.c_paths.iter().enumerate() {
                    assert_eq!(
                        c.as_bytes(),
                        part.paths[k].as_os_str().as_bytes(),
                        "part {p}"
                    );
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn subdirectories_match_the_parts() {
        let dir = std::env::temp_dir().join(format!("ringaio-bench-dirs-{}", std::process::id()));
        let set = FileSet::prepare(&dir, 101, 3, false, true).unwrap();
        for i in 0..3 {
            let part = set.part(i, 3);
            let sub = set.dir.join(i.to_string());
            assert!(
                part.paths.iter().all(|p| p.parent() == Some(&sub)),
                "part {i}"
            );
            assert_eq!(std::fs::read_dir(&sub).unwrap().count(), part.len());
        }
        for (i, path) in set.paths.iter().enumerate() {
            assert_eq!(std::fs::read(path).unwrap(), set.contents(i));
        }
        assert!(FileSet::prepare(&dir, 3, 4, false, false).is_err());
        assert!(FileSet::prepare(&dir, 3, 0, true, false).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
