//! `ringaio-cp`: copies files and directory trees through io_uring, the way `cp` does.
//!
//! ```text
//! ringaio-cp [OPTIONS] SRC... DST
//! ringaio-cp -r --progress photos/ /mnt/backup/
//! ```
//!
//! Existing destinations are treated as cp treats them: a regular file is truncated and
//! written in place, a device or FIFO written to, a symbolic link followed. A new file is
//! written under a temporary name beside it and renamed into place when complete, so a
//! failed or interrupted copy never leaves a partial new file. The data is copied in the
//! kernel where it can be (a reflink, else `copy_file_range` over the source's data extents,
//! so holes stay holes); otherwise, and for `--direct`, by `--queue-depth` workers through
//! io_uring, each reading a block and writing it while the others' requests are in flight. A
//! tree keeps up to `--jobs` files going at once.
//!
//! The modules, in the order a copy meets them: [`cli`] (arguments), [`plan`] (what `SRC...
//! DST` means), [`tree`] (directories), [`tasks`] (files in flight), [`copy_file`] (one
//! file), [`dest`] (what is at its destination), [`sys`] (reflinks, `copy_file_range`,
//! extents), [`pipeline`] (blocks through the ring), [`direct`] (`O_DIRECT` and its
//! fallback), [`stream`] (`splice` for FIFOs and devices), [`special`] (links, FIFOs and devices made
//! anew), [`temp`] and [`signals`] (no
//! partial files), [`preserve`] (`--preserve`), [`blocking`] (the pool the blocking calls run
//! on), [`progress`] and [`errors`] (what the user sees).

mod blocking;
mod buffers;
mod cli;
mod copy_file;
mod ctx;
mod dest;
mod direct;
mod errors;
mod pipeline;
mod plan;
mod preserve;
mod progress;
mod signals;
mod special;
mod stream;
mod sys;
mod tasks;
mod temp;
mod tree;

use std::process::ExitCode;
use std::rc::Rc;

use crate::cli::Args;
use crate::ctx::Ctx;
use crate::progress::Progress;

/// The most ring entries worth asking for; more requests than this wait in user space.
const MAX_ENTRIES: u32 = 4096;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(code) => return code,
    };
    // Before any other thread exists: reading the umask briefly changes it.
    let umask = preserve::umask();
    let progress = Progress::new(args.progress_mode());
    if let Err(e) = signals::install(progress.clone()) {
        eprintln!(
            "ringaio-cp: cannot install the signal handler: {}",
            errors::strerror(&e)
        );
        return ExitCode::FAILURE;
    }
    let entries = ring_entries(&args);
    let rt = match ringaio::Runtime::builder().entries(entries).build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "ringaio-cp: cannot start the I/O runtime: {}",
                errors::strerror(&e)
            );
            return ExitCode::FAILURE;
        }
    };
    if args.verbose {
        if let Some(reason) = rt.fallback_reason() {
            eprintln!("ringaio-cp: io_uring is not used ({reason}): every operation runs on a thread pool");
        }
    }
    let ctx = Rc::new(Ctx::new(args.options(), progress, umask));
    let (sources, target) = args.operands();
    rt.block_on(plan::run(ctx.clone(), sources, target));
    ctx.progress.finish();
    if ctx.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Room in the ring for every file's blocks in flight, plus opens, closes and renames.
fn ring_entries(args: &Args) -> u32 {
    let wanted = args.jobs.saturating_mul(args.queue_depth).saturating_mul(2);
    wanted
        .saturating_add(64)
        .checked_next_power_of_two()
        .unwrap_or(MAX_ENTRIES)
        .clamp(256, MAX_ENTRIES)
}
