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
/// Copies SRC to DST, or several SRCs into the directory DST, as cp does. An existing
/// destination file is truncated and written in place (its inode, owner and hard links stay);
/// device nodes and FIFOs are written to. A new file is written under a temporary name and
/// renamed into place once complete, so a failed or interrupted copy leaves no partial file.
#[derive(Parser, Debug)]
#[command(name = "ringaio-cp", version, max_term_width = 100)]
pub(crate) struct Args {
    /// Copy directories recursively (symbolic links inside are copied as links, FIFOs and
    /// device nodes are made anew).
    #[arg(short = 'r', short_alias = 'R', long)]
    pub(crate) recursive: bool,

    /// Same as -dR --preserve=all.
    #[arg(short = 'a', long)]
    pub(crate) archive: bool,

    /// Same as --no-dereference --preserve=links.
    #[arg(short = 'd')]
    pub(crate) no_deref_links: bool,

    /// Never follow symbolic links in SOURCE.
    #[arg(short = 'P', long = "no-dereference")]
    pub(crate) no_dereference: bool,

    /// If an existing destination file cannot be opened, remove it and try again.
    #[arg(short = 'f', long)]
    pub(crate) force: bool,

    /// Do not overwrite an existing file.
    #[arg(short = 'n', long)]
    pub(crate) no_clobber: bool,

    /// Copy only when the source is newer than the destination, or the destination is
    /// missing.
    #[arg(short = 'u', long)]
    pub(crate) update: bool,

    /// Say what is being done; with a thread-pool fallback, say why once.
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,

    /// Copy every SOURCE into DIRECTORY.
    #[arg(
        short = 't',
        long,
        value_name = "DIRECTORY",
        conflicts_with = "no_target_directory"
    )]
    pub(crate) target_directory: Option<PathBuf>,

    /// Treat DST as a normal file, never as a directory to copy into.
    #[arg(short = 'T', long)]
    pub(crate) no_target_directory: bool,

    /// Same as --preserve=mode,ownership,timestamps.
    #[arg(short = 'p')]
    pub(crate) preserve_default: bool,

    /// Keep these attributes: mode, ownership, timestamps, links, all (default: mode,
    /// ownership, timestamps).
    #[arg(long, value_name = "ATTR_LIST", num_args = 0..=1, require_equals = true,
          default_missing_value = "mode,ownership,timestamps")]
    pub(crate) preserve: Option<String>,

    /// Make sparse copies: auto (holes where the source has them), always (also where a
    /// block of the source is all zeros), never.
    #[arg(long, value_name = "WHEN", default_value = "auto", value_enum)]
    pub(crate) sparse: Sparse,

    /// Clone the data (share the source's blocks) where the filesystem can: auto (else copy),
    /// always (else fail), never. A bare --reflink means always.
    #[arg(long, value_name = "WHEN", num_args = 0..=1, require_equals = true,
          default_value = "auto", default_missing_value = "always", value_enum)]
    pub(crate) reflink: Reflink,

    /// Replace existing destination files too through a temporary and a rename (a new inode:
    /// other hard links keep the old contents), instead of writing them in place.
    #[arg(long)]
    pub(crate) atomic: bool,

    /// Bytes per read and write request of the io_uring pipeline (used with --direct, and
    /// where the kernel cannot copy in place); suffixes k, m, g (powers of 1024): 64k, 4m.
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

    /// Bypass the page cache (O_DIRECT, 4 KiB-aligned buffers, the io_uring pipeline). Where
    /// a filesystem refuses O_DIRECT, warn and use buffered I/O for that file.
    #[arg(long)]
    pub(crate) direct: bool,

    /// Flush each copied file, and the directory holding it, to the device before finishing.
    #[arg(long)]
    pub(crate) sync: bool,

    /// Read each copy back and compare it with its source (through the page cache unless
    /// --direct is given).
    #[arg(long)]
    pub(crate) verify: bool,

    /// Show progress (default: when stderr is a terminal, for copies that take over a
    /// second).
    #[arg(long, overrides_with = "no_progress")]
    pub(crate) progress: bool,

    /// Never show progress.
    #[arg(long, overrides_with = "progress")]
    pub(crate) no_progress: bool,

    /// SRC... DST
    #[arg(value_name = "PATH")]
    pub(crate) paths: Vec<PathBuf>,
}

/// `--sparse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Sparse {
    Auto,
    Always,
    Never,
}

/// `--reflink`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Reflink {
    Auto,
    Always,
    Never,
}

/// The attributes `--preserve` keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Preserve {
    pub(crate) mode: bool,
    pub(crate) ownership: bool,
    pub(crate) timestamps: bool,
    /// Hard links between files of the copy are kept as hard links.
    pub(crate) links: bool,
}

impl Preserve {
    /// Adds the attributes of a `--preserve` list.
    fn add(&mut self, list: &str) -> Result<(), String> {
        for attr in list.split(',') {
            match attr {
                "mode" => self.mode = true,
                "ownership" => self.ownership = true,
                "timestamps" => self.timestamps = true,
                "links" => self.links = true,
                "all" => {
                    *self = Preserve {
                        mode: true,
                        ownership: true,
                        timestamps: true,
                        links: true,
                    }
                }
                // Accepted as cp accepts them where they cannot be kept: nothing to do.
                "context" | "xattr" => {}
                _ => return Err(format!("invalid argument '{attr}' for '--preserve'")),
            }
        }
        Ok(())
    }
}

/// What a copy needs to know of the command line.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub(crate) recursive: bool,
    /// Symbolic links among the sources are copied as links (-P, implied by -r).
    pub(crate) no_dereference: bool,
    pub(crate) preserve: Preserve,
    pub(crate) force: bool,
    pub(crate) no_clobber: bool,
    pub(crate) update: bool,
    pub(crate) verbose: bool,
    pub(crate) atomic: bool,
    pub(crate) sparse: Sparse,
    pub(crate) reflink: Reflink,
    pub(crate) block_size: usize,
    pub(crate) queue_depth: usize,
    pub(crate) jobs: usize,
    pub(crate) direct: bool,
    pub(crate) sync: bool,
    pub(crate) verify: bool,
}

/// Where the sources go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// DST: into it if it is a directory, else to it (cp's default).
    Auto(PathBuf),
    /// `-t DIR`: into it.
    Into(PathBuf),
    /// `-T DST`: to it.
    To(PathBuf),
}

impl Args {
    /// The options, once `parse` has checked the `--preserve` list.
    pub(crate) fn options(&self) -> Options {
        let mut preserve = Preserve::default();
        if self.preserve_default {
            let _ = preserve.add("mode,ownership,timestamps");
        }
        if self.archive {
            let _ = preserve.add("all");
        }
        if self.no_deref_links {
            preserve.links = true;
        }
        if let Some(list) = &self.preserve {
            let _ = preserve.add(list);
        }
        let recursive = self.recursive || self.archive;
        Options {
            recursive,
            no_dereference: recursive || self.archive || self.no_deref_links || self.no_dereference,
            preserve,
            force: self.force,
            no_clobber: self.no_clobber,
            update: self.update,
            verbose: self.verbose,
            atomic: self.atomic,
            sparse: self.sparse,
            reflink: self.reflink,
            block_size: self.block_size,
            queue_depth: self.queue_depth as usize,
            jobs: self.jobs as usize,
            direct: self.direct,
            sync: self.sync,
            verify: self.verify,
        }
    }

    pub(crate) fn progress_mode(&self) -> ProgressMode {
        match (self.progress, self.no_progress) {
            (true, _) => ProgressMode::On,
            (_, true) => ProgressMode::Off,
            _ => ProgressMode::Auto,
        }
    }

    /// The sources and where they go (`parse` checked the operand count).
    pub(crate) fn operands(mut self) -> (Vec<PathBuf>, Target) {
        if let Some(dir) = self.target_directory.take() {
            return (self.paths, Target::Into(dir));
        }
        let last = self.paths.pop().unwrap_or_default();
        let target = if self.no_target_directory {
            Target::To(last)
        } else {
            Target::Auto(last)
        };
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
    if let Some(list) = &args.preserve {
        Preserve::default().add(list).map_err(Usage::Message)?;
    }
    match args.paths.as_slice() {
        [] => return Err(Usage::Message("missing file operand".into())),
        [_] if args.target_directory.is_some() => {}
        [only] => {
            return Err(Usage::Message(format!(
                "missing destination file operand after '{}'",
                only.display()
            )))
        }
        [_, _, _, ..] if args.no_target_directory => {
            let extra = args.paths.last().map(|p| p.display().to_string());
            return Err(Usage::Message(format!(
                "extra operand '{}'",
                extra.unwrap_or_default()
            )));
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
        let opts = args.options();
        assert_eq!((opts.sparse, opts.reflink), (Sparse::Auto, Reflink::Auto));
        assert_eq!(opts.preserve, Preserve::default());
        let (sources, target) = args.operands();
        assert_eq!(sources, vec![PathBuf::from("a")]);
        assert_eq!(target, Target::Auto(PathBuf::from("b")));
    }

    #[test]
    fn archive_and_preserve_lists() {
        let a = parse_from(argv(&["-a", "x", "y"]))
            .expect("valid")
            .options();
        assert!(a.recursive && a.no_dereference);
        assert!(a.preserve.mode && a.preserve.ownership && a.preserve.timestamps);
        assert!(a.preserve.links);
        let p = parse_from(argv(&["--preserve=mode,links", "x", "y"]))
            .expect("valid")
            .options();
        assert!(p.preserve.mode && p.preserve.links && !p.preserve.ownership);
        let bare = parse_from(argv(&["--preserve", "x", "y"]))
            .expect("valid")
            .options();
        assert!(bare.preserve.timestamps && !bare.preserve.links);
        assert!(parse_from(argv(&["--preserve=colour", "x", "y"])).is_err());
    }

    #[test]
    fn reflink_sparse_and_targets() {
        let r = parse_from(argv(&["--reflink", "--sparse=never", "x", "y"])).expect("valid");
        assert_eq!(r.options().reflink, Reflink::Always);
        assert_eq!(r.options().sparse, Sparse::Never);
        let t = parse_from(argv(&["-t", "dir", "x", "y"])).expect("valid");
        let (sources, target) = t.operands();
        assert_eq!(sources.len(), 2);
        assert_eq!(target, Target::Into(PathBuf::from("dir")));
        let big_t = parse_from(argv(&["-T", "x", "y"])).expect("valid");
        assert_eq!(big_t.operands().1, Target::To(PathBuf::from("y")));
        assert!(parse_from(argv(&["-T", "x", "y", "z"])).is_err());
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
