//! Plain `pread`/`pwrite` on one thread: queue depth 1 whatever `--iodepth` says.

use std::io;
use std::os::unix::fs::FileExt;
use std::time::Duration;

use quanta::Instant;

use super::{unsupported, Engine, RoundResult};
use crate::workload::Workload;

/// The synchronous baseline.
#[derive(Debug)]
pub(crate) struct StdEngine;

impl StdEngine {
    pub(crate) fn new(w: &Workload) -> io::Result<StdEngine> {
        if !w.rw.uses_file() {
            return Err(unsupported("std", "--rw nop"));
        }
        if w.iodepth > 1 {
            eprintln!("note: std runs at queue depth 1 (one thread, blocking calls)");
        }
        super::note_no_fixed(w, "std");
        Ok(StdEngine)
    }
}

impl Engine for StdEngine {
    fn name(&self) -> &str {
        "std"
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let file = w.open_std()?;
        let mut buf = w.buffer(0);
        let mut offsets = w.offsets(0);
        let write = w.rw.is_write();
        let mut result = RoundResult::new();
        let start = Instant::now();
        let deadline = start + d;
        let mut now = start;
        while now < deadline {
            let offset = offsets.next_offset();
            let n = if write {
                file.write_at(&buf, offset)?
            } else {
                file.read_at(&mut buf, offset)?
            };
            let done = Instant::now();
            result.record(n as u64, done - now);
            now = done;
        }
        result.elapsed = now - start;
        Ok(result)
    }
}
