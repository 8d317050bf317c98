//! std on one thread, one file at a time: `File::open`, `read` until a short read (or
//! `File::create`, `write_all`), drop; or `std::fs::read` / `std::fs::write` (`std-fs`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::sync::Arc;

use quanta::Instant;

use super::set::READ_BUF;
use super::{FileSet, Pass};
use crate::engines::RoundResult;

/// The synchronous baseline; queue depth 1 whatever `--iodepth` says.
#[derive(Debug)]
pub(crate) struct StdFiles {
    whole: bool,
}

impl StdFiles {
    pub(crate) fn new(whole: bool) -> StdFiles {
        StdFiles { whole }
    }
}

impl Pass for StdFiles {
    fn name(&self) -> &str {
        if self.whole {
            "std-fs"
        } else {
            "std"
        }
    }

    fn pass(&mut self, set: &Arc<FileSet>, _qd: usize) -> io::Result<RoundResult> {
        let mut buf = vec![0u8; READ_BUF];
        let mut result = RoundResult::new();
        let start = Instant::now();
        let mut now = start;
        for (i, path) in set.paths.iter().enumerate() {
            let n = match (set.write, self.whole) {
                (false, false) => read_file(File::open(path)?, &mut buf)?,
                (false, true) => std::fs::read(path)?.len(),
                (true, false) => {
                    File::create(path)?.write_all(set.contents(i))?;
                    set.sizes[i]
                }
                (true, true) => {
                    std::fs::write(path, set.contents(i))?;
                    set.sizes[i]
                }
            };
            let done = Instant::now();
            result.record(n as u64, done - now);
            now = done;
        }
        result.elapsed = now - start;
        Ok(result)
    }
}

/// Reads `file` to its end through `buf`, stopping at the first short read; the bytes read.
fn read_file(mut file: File, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    loop {
        let n = file.read(buf)?;
        total += n;
        if n < buf.len() {
            return Ok(total);
        }
    }
}
