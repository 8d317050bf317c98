//! Turns the rounds into per-engine numbers, and prints them as a table or JSON.

use std::fmt::Write as _;

use serde::Serialize;

use crate::engines::RoundResult;
use crate::workload::{Rw, Workload};

/// The whole run: what was measured and how each engine did.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub(crate) workload: WorkloadInfo,
    pub(crate) engines: Vec<EngineReport>,
}

/// The settings, echoed so a JSON file stands on its own.
#[derive(Debug, Serialize)]
pub(crate) struct WorkloadInfo {
    pub(crate) rw: Rw,
    pub(crate) bs: usize,
    pub(crate) iodepth: usize,
    pub(crate) direct: bool,
    pub(crate) fixed: bool,
    pub(crate) size: u64,
    pub(crate) file: String,
    pub(crate) runtime_s: f64,
    pub(crate) rounds: u32,
}

impl WorkloadInfo {
    pub(crate) fn new(w: &Workload, runtime_s: f64, rounds: u32) -> WorkloadInfo {
        WorkloadInfo {
            rw: w.rw,
            bs: w.bs,
            iodepth: w.iodepth,
            direct: w.direct,
            fixed: w.fixed,
            size: w.size,
            file: w.path.display().to_string(),
            runtime_s,
            rounds,
        }
    }
}

/// One engine over all its rounds.
#[derive(Debug, Serialize)]
pub(crate) struct EngineReport {
    pub(crate) engine: String,
    pub(crate) ops: u64,
    pub(crate) bytes: u64,
    pub(crate) seconds: f64,
    pub(crate) iops: f64,
    pub(crate) mib_per_s: f64,
    pub(crate) latency_ns: Latency,
    /// This engine's IOPS over the first engine's.
    pub(crate) vs_first: f64,
    pub(crate) round_iops: Vec<f64>,
    /// Process CPU time per operation, in nanoseconds (all threads).
    pub(crate) cpu_ns_per_op: f64,
    pub(crate) round_cpu_ns_per_op: Vec<f64>,
}

/// Per-operation latency percentiles, in nanoseconds.
#[derive(Debug, Serialize)]
pub(crate) struct Latency {
    pub(crate) p50: u64,
    pub(crate) p99: u64,
    pub(crate) p99_9: u64,
    pub(crate) mean: f64,
    pub(crate) max: u64,
}

/// Sums each engine's rounds; `rounds[i]` belongs to `names[i]`.
pub(crate) fn summarize(names: &[String], rounds: &[Vec<RoundResult>]) -> Vec<EngineReport> {
    let mut out: Vec<EngineReport> = names
        .iter()
        .zip(rounds)
        .map(|(name, rounds)| {
            let mut total = RoundResult::new();
            for r in rounds {
                total.merge(r);
            }
            let seconds = total.elapsed.as_secs_f64();
            let per_s = |x: u64| {
                if seconds > 0.0 {
                    x as f64 / seconds
                } else {
                    0.0
                }
            };
            let h = &total.hist;
            EngineReport {
                engine: name.clone(),
                ops: total.ops,
                bytes: total.bytes,
                seconds,
                iops: per_s(total.ops),
                mib_per_s: per_s(total.bytes) / f64::from(1 << 20),
                latency_ns: Latency {
                    p50: h.value_at_quantile(0.50),
                    p99: h.value_at_quantile(0.99),
                    p99_9: h.value_at_quantile(0.999),
                    mean: h.mean(),
                    max: h.max(),
                },
                vs_first: 0.0,
                round_iops: rounds.iter().map(round_iops).collect(),
                cpu_ns_per_op: cpu_per_op(&total),
                round_cpu_ns_per_op: rounds.iter().map(cpu_per_op).collect(),
            }
        })
        .collect();
    let first = out.first().map_or(0.0, |e| e.iops);
    for e in &mut out {
        e.vs_first = if first > 0.0 { e.iops / first } else { 0.0 };
    }
    out
}

fn cpu_per_op(r: &RoundResult) -> f64 {
    r.cpu.as_nanos() as f64 / r.ops.max(1) as f64
}

fn round_iops(r: &RoundResult) -> f64 {
    let s = r.elapsed.as_secs_f64();
    if s > 0.0 {
        r.ops as f64 / s
    } else {
        0.0
    }
}

/// The plain-text table.
pub(crate) fn table(report: &Report) -> String {
    let w = &report.workload;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "rw={} bs={} iodepth={} direct={} fixed={} size={} MiB, {} x {}s rounds",
        w.rw,
        w.bs,
        w.iodepth,
        w.direct,
        w.fixed,
        w.size >> 20,
        w.rounds,
        w.runtime_s
    );
    let _ = writeln!(
        s,
        "{:<18} {:>12} {:>10} {:>9} {:>9} {:>9} {:>8} {:>7} {:>9}",
        "engine", "IOPS", "MiB/s", "p50", "p99", "p99.9", "vs first", "spread", "CPU/op"
    );
    for e in &report.engines {
        let _ = writeln!(
            s,
            "{:<18} {:>12.0} {:>10.1} {:>9} {:>9} {:>9} {:>7.2}x {:>6.1}% {:>9}",
            e.engine,
            e.iops,
            e.mib_per_s,
            duration(e.latency_ns.p50),
            duration(e.latency_ns.p99),
            duration(e.latency_ns.p99_9),
            e.vs_first,
            spread(&e.round_iops),
            duration(e.cpu_ns_per_op as u64)
        );
    }
    s
}

/// (max - min) / mean of the per-round IOPS, in percent: how noisy the rounds were.
fn spread(xs: &[f64]) -> f64 {
    let (min, max) = xs
        .iter()
        .fold((f64::MAX, 0.0_f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let mean = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    if mean > 0.0 {
        (max - min) / mean * 100.0
    } else {
        0.0
    }
}

/// `850ns`, `12.3us`, `4.56ms`, `1.20s`.
fn duration(ns: u64) -> String {
    let x = ns as f64;
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}us", x / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2}ms", x / 1e6)
    } else {
        format!("{:.2}s", x / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn round(ops: u64, secs: u64, lat_us: u64) -> RoundResult {
        let mut r = RoundResult::new();
        for _ in 0..ops {
            r.record(4096, Duration::from_micros(lat_us));
        }
        r.elapsed = Duration::from_secs(secs);
        r
    }

    #[test]
    fn summary_sums_rounds_and_compares_to_first() {
        let names = vec!["a".to_owned(), "b".to_owned()];
        let rounds = vec![
            vec![round(100, 1, 10), round(300, 1, 10)],
            vec![round(100, 1, 20)],
        ];
        let out = summarize(&names, &rounds);
        assert_eq!(out[0].iops, 200.0);
        assert_eq!(out[0].round_iops, [100.0, 300.0]);
        assert_eq!(out[1].iops, 100.0);
        assert_eq!(out[0].vs_first, 1.0);
        assert_eq!(out[1].vs_first, 0.5);
        let p50 = out[1].latency_ns.p50;
        assert!((19_900..=20_100).contains(&p50), "{p50}");
        assert!((out[0].mib_per_s - 200.0 * 4096.0 / 1048576.0).abs() < 1e-9);
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(850), "850ns");
        assert_eq!(duration(12_345), "12.3us");
        assert_eq!(duration(4_560_000), "4.56ms");
        assert_eq!(duration(1_200_000_000), "1.20s");
    }

    #[test]
    fn spread_is_relative_range() {
        assert_eq!(spread(&[90.0, 110.0]), 20.0);
        assert_eq!(spread(&[]), 0.0);
    }
}
