//! The command line: clap's derive for the options, cp's own words for missing operands.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;

use crate::direct::ALIGN;
use crate::progress::ProgressMode;

/// The largest `--block-size`: 1 GiB (the kernel moves at most ~2 GiB per request anyway).
const MAX_BLOCK: u64 = 1 << 30;

/// Copy files and directory trees through io_uring.
///
/// Copies SRC to DST, or several SRCs into the directory DST. The data goes to a temporary
/// file beside the destination, renamed into place once complete: a failed or interrupted
/// copy leaves no partial file.
#[derive(Parser, Debug)]
#[command(name = "ringaio-cp", version, max_term_width = 100)]
pub(crate) struct Args {
    /// Copy directories recursively (symbolic links inside are copied as links).
    #[arg(short = 'r', short_alias = 'R', long)]
    pub(crate) recursive: bool,

    /// Bytes per read and write request; suffixes k, m, g (powers of 1024): 64k, 4m.
    /// The default keeps a block and the page cache it is copied into within a core's L2
    /// cache; on a core with 1 MiB of L2, 1 MiB blocks cost 2-4 times the CPU time.
    #[arg(long, value_name = "SIZE", default_value = "256k", value_parser = parse_size)]
    pub(crate) block_size: usize,

    /// Reads and writes in flight per file (the default, with 256k blocks, keeps 4 MiB in
    /// flight: as much as the kernel's readahead).
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) queue_depth: u32,

    /// Files copied at once when copying a tree or several sources.
    #[arg(long, value_name = "N", default_value_t = 16,
          value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) jobs: u32,

    /// Bypass the page cache (O_DIRECT, 4 KiB-aligned buffers). Where a filesystem refuses
    /// O_DIRECT, warn and use buffered I/O for that file.
    #[arg(long)]
    pub(crate) direct: bool,

    /// Flush each copied file, and the directory holding it, to the device before finishing.
    #[arg(long)]
    pub(crate) sync: bool,

    /// Read each copy back and compare it with its source (through the page cache unless
    /// --direct is given).
    #[arg(long)]
    pub(crate) verify: bool,

    /// Keep mode and timestamps.
    #[arg(short = 'p')]
    pub(crate) preserve: bool,

    /// Show a progress bar (default: when stderr is a terminal).
    #[arg(long, overrides_with = "no_progress")]
    pub(crate) progress: bool,

    /// Never show a progress bar.
    #[arg(long, overrides_with = "progress")]
    pub(crate) no_progress: bool,

    /// SRC... DST
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

/// What a copy needs to know of the command line.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) recursive: bool,
    pub(crate) block_size: usize,
    pub(crate) queue_depth: usize,
    pub(crate) jobs: usize,
    pub(crate) direct: bool,
    pub(crate) sync: bool,
    pub(crate) verify: bool,
    pub(crate) preserve: bool,
}

impl Args {
    pub(crate) fn options(&self) -> Options {
        Options {
            recursive: self.recursive,
            block_size: self.block_size,
            queue_depth: self.queue_depth as usize,
            jobs: self.jobs as usize,
            direct: self.direct,
            sync: self.sync,
            verify: self.verify,
            preserve: self.preserve,
        }
    }

    pub(crate) fn progress_mode(&self) -> ProgressMode {
        match (self.progress, self.no_progress) {
            (true, _) => ProgressMode::On,
            (_, true) => ProgressMode::Off,
            _ => ProgressMode::Auto,
        }
    }

    /// The sources and the destination (`parse` checked there are at least two paths).
    pub(crate) fn operands(mut self) -> (Vec<PathBuf>, PathBuf) {
        let target = self.paths.pop().unwrap_or_default();
        (self.paths, target)
    }
}

/// Why the command line was not accepted.
#[derive(Debug)]
enum Usage {
    /// clap's own (including `--help` and `--version`, which are not errors).
    Clap(clap::Error),
    /// A missing operand or a bad combination, in cp's words.
    Message(String),
}

/// Parses the command line; otherwise prints why and gives the exit code: 0 for `--help`
/// and `--version`, 1 for usage errors (as cp).
pub(crate) fn parse() -> Result<Args, ExitCode> {
    match parse_from(std::env::args_os()) {
        Ok(args) => Ok(args),
        Err(Usage::Clap(e)) => {
            let _ = e.print();
            Err(match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            })
        }
        Err(Usage::Message(msg)) => {
            eprintln!("ringaio-cp: {msg}\nTry 'ringaio-cp --help' for more information.");
            Err(ExitCode::FAILURE)
        }
    }
}

fn parse_from(argv: impl IntoIterator<Item = OsString>) -> Result<Args, Usage> {
    let args = Args::try_parse_from(argv).map_err(Usage::Clap)?;
    match args.paths.as_slice() {
        [] => return Err(Usage::Message("missing file operand".into())),
        [only] => {
            return Err(Usage::Message(format!(
                "missing destination file operand after '{}'",
                only.display()
            )))
        }
        _ => {}
    }
    if args.direct && args.block_size % ALIGN != 0 {
        return Err(Usage::Message(format!(
            "--block-size must be a multiple of {ALIGN} with --direct (got {})",
            args.block_size
        )));
    }
    Ok(args)
}

/// `4096`, `64k`, `4m`, `1g` (also `KiB`, `MiB`, `GiB`, and a bare `B`): bytes, 1 to 1 GiB.
pub(crate) fn parse_size(text: &str) -> Result<usize, String> {
    let invalid = || format!("invalid size '{text}' (try 4096, 64k, 1m)");
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let unit: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        _ => return Err(invalid()),
    };
    let bytes = number.checked_mul(unit).ok_or_else(invalid)?;
    if bytes == 0 || bytes > MAX_BLOCK {
        return Err(format!("size '{text}' out of range (1 byte to 1g)"));
    }
    usize::try_from(bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert_eq!(parse_size("4m"), Ok(4 << 20));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("512b"), Ok(512));
    }

    #[test]
    fn bad_sizes() {
        for bad in [
            "",
            "k",
            "0",
            "2g",
            "1.5m",
            "-1",
            "10x",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} accepted");
        }
    }

    fn argv(args: &[&str]) -> Vec<OsString> {
        std::iter::once("ringaio-cp")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn defaults() {
        let args = parse_from(argv(&["a", "b"])).expect("valid");
        assert_eq!(args.block_size, 256 << 10);
        assert_eq!(args.queue_depth, 16);
        assert_eq!(args.progress_mode(), ProgressMode::Auto);
        let (sources, target) = args.operands();
        assert_eq!(sources, vec![PathBuf::from("a")]);
        assert_eq!(target, PathBuf::from("b"));
    }

    #[test]
    fn progress_flags_override_each_other() {
        let on = parse_from(argv(&["--no-progress", "--progress", "a", "b"])).expect("valid");
        assert_eq!(on.progress_mode(), ProgressMode::On);
        let off = parse_from(argv(&["--progress", "--no-progress", "a", "b"])).expect("valid");
        assert_eq!(off.progress_mode(), ProgressMode::Off);
    }

    #[test]
    fn usage_errors() {
        assert!(parse_from(argv(&[])).is_err());
        assert!(parse_from(argv(&["only"])).is_err());
        assert!(parse_from(argv(&["--direct", "--block-size", "1000", "a", "b"])).is_err());
        assert!(parse_from(argv(&["--queue-depth", "0", "a", "b"])).is_err());
    }
}
