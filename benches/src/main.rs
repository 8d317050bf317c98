//! `ringaio-bench`: a small fio-like harness that runs the same workload through ringaio,
//! a raw io-uring loop and the peer runtimes, interleaving the engines round by round.
//!
//! See `benches/README.md` for the commands.

mod chart;
mod echo;
mod engines;
mod files;
mod report;
mod threads;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

use engines::{Engine, EngineKind, RoundResult};
use report::{Report, WorkloadInfo};
use workload::{Rw, Workload};

/// Largest `--bs`: an io_uring read length is a u32, and nobody benchmarks bigger.
const MAX_BS: u64 = 64 << 20;
/// Largest `--iodepth`: registered buffer indexes are u16 and the kernel caps their count.
const MAX_IODEPTH: usize = 4096;
/// Largest `--files`: the file names have five digits.
const MAX_FILES: usize = 99_999;

/// Compare io_uring engines on one file, fio style.
#[derive(Parser, Debug)]
#[command(name = "ringaio-bench", version)]
struct Args {
    /// Engines to compare, repeatable or comma-separated; the first is the baseline.
    #[arg(
        long = "engine",
        value_enum,
        value_delimiter = ',',
        default_value = "uring"
    )]
    engines: Vec<EngineKind>,
    /// Access pattern.
    #[arg(long, value_enum, default_value = "randread")]
    rw: Rw,
    /// Block size, e.g. 4k, 64k, 1m.
    #[arg(long, default_value = "4k", value_parser = parse_size)]
    bs: u64,
    /// Operations in flight per engine [default: 32; 64 files for openread/openwrite].
    #[arg(long)]
    iodepth: Option<usize>,
    /// Open with O_DIRECT (buffers are always page-aligned).
    #[arg(long)]
    direct: bool,
    /// Use registered files/buffers where the engine has them.
    #[arg(long)]
    fixed: bool,
    /// File size, e.g. 256m, 1g; the file is created and filled if smaller.
    #[arg(long, default_value = "1g", value_parser = parse_size)]
    size: u64,
    /// Seconds per engine per round.
    #[arg(long, default_value_t = 5.0)]
    runtime: f64,
    /// Rounds; engines run interleaved A B A B ...
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Unmeasured seconds per engine before the first round (0 to skip).
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The file to read and write.
    #[arg(long, default_value = "/tmp/ringaio-bench.dat")]
    file: PathBuf,
    /// Files in the set of `--rw openread` / `openwrite` (100 B to 16 KiB each).
    #[arg(long, default_value_t = 8000)]
    files: usize,
    /// Where `--rw openread` / `openwrite` keep their files (reads: made once, kept).
    #[arg(long, default_value = "/tmp/ringaio-bench-files")]
    dir: PathBuf,
    /// Spread the files of `--rw openread` / `openwrite` in order over this many
    /// subdirectories of their directory (with `--threads N` and `--dirs N`, each thread
    /// has a directory of its own).
    #[arg(long, default_value_t = 1)]
    dirs: usize,
    /// Threads per engine, repeatable or comma-separated (`--threads 1,2` runs each engine
    /// on one thread and on two, interleaved): N threads each run the engine on a ring of
    /// their own with 1/N of the queue depth and of the file, or of the small files (see
    /// `threads.rs`).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    threads: Vec<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Also draw an SVG bar chart of IOPS per engine to this path.
    #[arg(long, value_name = "FILE.svg")]
    chart: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Args) -> Result<(), String> {
    validate(&mut args)?;
    let mut w = Workload::new(
        args.file.clone(),
        args.rw,
        args.bs as usize,
        iodepth(&args),
        args.direct,
        args.fixed,
        args.size,
    );
    if w.rw.is_files() {
        let write = w.rw == Rw::OpenWrite;
        let warm = args.warmup > 0.0;
        let set = files::FileSet::prepare(&args.dir, args.files, args.dirs, write, warm)
            .map_err(|e| format!("preparing {}: {e}", args.dir.display()))?;
        w.files = Some(std::sync::Arc::new(set));
    }
    let mut engines: Vec<Box<dyn Engine>> = Vec::new();
    for &kind in &args.engines {
        for &n in &args.threads {
            engines.push(match n {
                1 => engines::create(kind, &w)?,
                n => Box::new(threads::Threaded::new(kind, &w, n)?),
            });
        }
    }
    if w.rw.uses_file() {
        workload::prepare_file(&w.path, w.size)
            .map_err(|e| format!("preparing {}: {e}", w.path.display()))?;
    }
    let rounds = measure(&mut engines, &w, &args)?;
    let names: Vec<String> = engines.iter().map(|e| e.name().to_owned()).collect();
    let report = Report {
        workload: WorkloadInfo::new(&w, args.runtime, args.rounds),
        engines: report::summarize(&names, &rounds),
    };
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{json}");
    } else {
        print!("{}", report::table(&report));
    }
    if let Some(path) = &args.chart {
        chart::draw(&report, path).map_err(|e| format!("drawing {}: {e}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

/// Warms each engine up, then runs the rounds interleaved; `result[i]` is engine i's rounds.
fn measure(
    engines: &mut [Box<dyn Engine>],
    w: &Workload,
    args: &Args,
) -> Result<Vec<Vec<RoundResult>>, String> {
    let fail = |name: &str, e: std::io::Error| format!("{name}: {e}");
    if args.warmup > 0.0 {
        for engine in engines.iter_mut() {
            w.rewind();
            engine
                .run(w, Duration::from_secs_f64(args.warmup))
                .map_err(|e| fail(engine.name(), e))?;
        }
    }
    let d = Duration::from_secs_f64(args.runtime);
    let mut results: Vec<Vec<RoundResult>> = engines.iter().map(|_| Vec::new()).collect();
    for round in 1..=args.rounds {
        for (engine, results) in engines.iter_mut().zip(&mut results) {
            w.rewind();
            let cpu = engines::process_cpu();
            let mut r = engine.run(w, d).map_err(|e| fail(engine.name(), e))?;
            if r.cpu.is_zero() {
                r.cpu = engines::process_cpu().saturating_sub(cpu);
            }
            let iops = r.ops as f64 / r.elapsed.as_secs_f64().max(1e-9);
            eprintln!(
                "round {round}/{}  {:<18} {iops:>12.0} IOPS",
                args.rounds,
                engine.name()
            );
            results.push(r);
        }
    }
    Ok(results)
}

/// `--iodepth`, or its default for the workload.
fn iodepth(args: &Args) -> usize {
    let default = if args.rw.is_files() {
        files::DEFAULT_IODEPTH
    } else {
        32
    };
    args.iodepth.unwrap_or(default)
}

/// Rejects settings the engines cannot run, before anything is created.
fn validate(args: &mut Args) -> Result<(), String> {
    let mut seen = Vec::new();
    args.engines.retain(|k| {
        if seen.contains(k) {
            false
        } else {
            seen.push(*k);
            true
        }
    });
    if args.bs == 0 || args.bs > MAX_BS {
        return Err(format!("--bs must be between 1 and {} bytes", MAX_BS));
    }
    if args.direct && !args.bs.is_multiple_of(512) {
        return Err("--direct needs --bs to be a multiple of 512".into());
    }
    if iodepth(args) == 0 || iodepth(args) > MAX_IODEPTH {
        return Err(format!("--iodepth must be between 1 and {MAX_IODEPTH}"));
    }
    if args.rw.is_files() && (args.files == 0 || args.files > MAX_FILES) {
        return Err(format!("--files must be between 1 and {MAX_FILES}"));
    }
    if args.dirs == 0 || args.dirs > args.files {
        return Err("--dirs must be between 1 and --files".into());
    }
    if args.rw.uses_file() && args.size < args.bs {
        return Err("--size must be at least --bs".into());
    }
    let finite_and = |x: f64, ok: fn(f64) -> bool| x.is_finite() && ok(x);
    if !finite_and(args.runtime, |x| x > 0.0) || !finite_and(args.warmup, |x| x >= 0.0) {
        return Err("--runtime must be positive and --warmup not negative".into());
    }
    args.threads.dedup();
    if let Some(&n) = args.threads.iter().find(|&&n| n == 0 || n > iodepth(args)) {
        return Err(format!(
            "--threads {n}: each thread needs at least one of the --iodepth {} slots",
            iodepth(args)
        ));
    }
    if args.rw.is_files() {
        if let Some(&n) = args.threads.iter().find(|&&n| n > args.files) {
            return Err(format!(
                "--threads {n}: each thread needs at least one of the --files {}",
                args.files
            ));
        }
    }
    if args.rw == Rw::Echo && args.threads != [1] {
        return Err("--threads does not apply to --rw echo".into());
    }
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(())
}

/// Parses `4096`, `4k`, `4K`, `4KiB`, `1m`, `1g`, `1t` (powers of 1024).
fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (digits, shift) = match t.char_indices().last() {
        Some((i, 'k')) => (&t[..i], 10),
        Some((i, 'm')) => (&t[..i], 20),
        Some((i, 'g')) => (&t[..i], 30),
        Some((i, 't')) => (&t[..i], 40),
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 4k or 1g"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert!(parse_size("k").is_err());
        assert!(parse_size("1x").is_err());
        assert!(parse_size("99999999999t").is_err());
    }

    #[test]
    fn engines_accept_lists_and_repeats() {
        let args = Args::try_parse_from([
            "ringaio-bench",
            "--engine",
            "uring,tokio-uring",
            "--engine",
            "ringaio-fallback",
        ])
        .unwrap();
        assert_eq!(
            args.engines,
            [
                EngineKind::Uring,
                EngineKind::TokioUring,
                EngineKind::RingaioFallback
            ]
        );
    }

    #[test]
    fn bad_settings_are_refused() {
        let parse = |extra: &[&str]| {
            let mut args = Args::try_parse_from(["ringaio-bench"].iter().chain(extra)).unwrap();
            validate(&mut args)
        };
        assert!(parse(&[]).is_ok());
        assert!(parse(&["--iodepth", "0"]).is_err());
        assert!(parse(&["--direct", "--bs", "1000"]).is_err());
        assert!(parse(&["--size", "1k", "--bs", "4k"]).is_err());
        assert!(parse(&["--rounds", "0"]).is_err());
        assert!(parse(&["--rw", "openread", "--files", "0"]).is_err());
        assert!(parse(&["--rw", "openread", "--files", "100000"]).is_err());
        assert!(parse(&["--rw", "openread", "--threads", "1,2"]).is_ok());
        assert!(parse(&["--rw", "openwrite", "--files", "2", "--threads", "3"]).is_err());
        assert!(parse(&["--rw", "openread", "--files", "2", "--dirs", "3"]).is_err());
        assert!(parse(&["--rw", "openread", "--dirs", "0"]).is_err());
        assert!(parse(&["--rw", "echo", "--threads", "2"]).is_err());
    }

    #[test]
    fn duplicate_engines_run_once() {
        let mut args =
            Args::try_parse_from(["ringaio-bench", "--engine", "uring,std,uring"]).unwrap();
        validate(&mut args).unwrap();
        assert_eq!(args.engines, [EngineKind::Uring, EngineKind::Std]);
    }
}
