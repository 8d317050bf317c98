//! `ringaio-cp`: copies files and directory trees through io_uring, the way `cp` does.
//!
//! ```text
//! ringaio-cp [OPTIONS] SRC... DST
//! ringaio-cp -r --progress photos/ /mnt/backup/
//! ```
//!
//! Each file is copied by `--queue-depth` workers, each reading a block and writing it while
//! the others' requests are in flight; a tree keeps up to `--jobs` files going at once. The
//! data goes to a temporary name beside the destination and is renamed into place only when
//! it is complete, so a failed or interrupted copy never leaves a partial file.
//!
//! The modules, in the order a copy meets them: [`cli`] (arguments), [`plan`] (what `SRC...
//! DST` means), [`tree`] (directories), [`copy_file`] (one file), [`pipeline`] (its blocks),
//! [`direct`] (`O_DIRECT` and its fallback), [`temp`] and [`signals`] (no partial files),
//! [`preserve`] (`-p`), [`progress`] and [`errors`] (what the user sees).

mod buffers;
mod cli;
mod copy_file;
mod ctx;
mod direct;
mod errors;
mod pipeline;
mod plan;
mod preserve;
mod progress;
mod signals;
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
