//! A/B of the short-lived file path (issue 16): N small files each opened, read to the end
//! and closed, 64 in flight on one thread, with std's sequential loop as the baseline, in
//! interleaved rounds. Modes: `std`, `plain` (`File::open`), `direct`
//! (`OpenOptions::direct`), `chain` (`fs::read`, when it links), and `stdread`
//! (`std::fs::read` per file, the baseline for `chain`).
//!
//! `cargo run --release -p ringaio-tests --bin ab_openread -- [files] [rounds]`

use std::cell::Cell;
use std::io::Read;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use ringaio::fs::File;

const IN_FLIGHT: usize = 64;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(8000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let dir = std::env::temp_dir().join(format!("ringaio-ab-openread-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let paths: Vec<PathBuf> = (0..n)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = 100 + (seed % (16 * 1024 - 100)) as usize;
            let path = dir.join(format!("f{i}"));
            std::fs::write(&path, vec![(i % 251) as u8; len]).map(|()| path)
        })
        .collect::<Result<_, _>>()?;
    let total: usize = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len() as usize)
        .sum();
    // `AB_MODES=std,chain` runs only those (std first: the ratios are against it).
    let wanted = std::env::var("AB_MODES").unwrap_or_else(|_| "std,plain,direct,chain".into());
    let modes: Vec<&str> = wanted.split(',').collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    let mut cpu: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
    let rt = ringaio::Runtime::new()?;
    for round in 0..=rounds {
        for (m, mode) in modes.iter().enumerate() {
            let (start, cpu_start) = (Instant::now(), cpu_time());
            let bytes = match *mode {
                "std" => run_std(&paths)?,
                "stdread" => paths
                    .iter()
                    .map(|p| std::fs::read(p).map(|v| v.len()))
                    .sum::<std::io::Result<usize>>()?,
                mode => rt.block_on(run_ringaio(&paths, mode))?,
            };
            let took = start.elapsed();
            let cpu_took = cpu_time() - cpu_start;
            assert_eq!(bytes, total, "{mode} read everything");
            if round > 0 {
                times[m].push(took);
                cpu[m].push(cpu_took);
            }
        }
    }
    println!("{n} files, {total} bytes, {IN_FLIGHT} in flight, {rounds} interleaved rounds");
    for (m, mode) in modes.iter().enumerate() {
        let ratios: Vec<f64> = times[0]
            .iter()
            .zip(&times[m])
            .map(|(s, t)| s.as_secs_f64() / t.as_secs_f64())
            .collect();
        let mut sorted = ratios.clone();
        sorted.sort_by(f64::total_cmp);
        let mut ms: Vec<f64> = times[m].iter().map(|t| t.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let mut cpu_ratio: Vec<f64> = cpu[0]
            .iter()
            .zip(&cpu[m])
            .map(|(s, t)| s.as_secs_f64() / t.as_secs_f64())
            .collect();
        cpu_ratio.sort_by(f64::total_cmp);
        let mut cpu_ms: Vec<f64> = cpu[m].iter().map(|t| t.as_secs_f64() * 1e3).collect();
        cpu_ms.sort_by(f64::total_cmp);
        println!(
            "{mode:>7}: wall median {:.1} ms, x std {:.2} (min {:.2}, max {:.2}); \
             cpu median {:.1} ms, x std {:.2} (min {:.2}, max {:.2})",
            ms[ms.len() / 2],
            sorted[sorted.len() / 2],
            sorted[0],
            sorted[sorted.len() - 1],
            cpu_ms[cpu_ms.len() / 2],
            cpu_ratio[cpu_ratio.len() / 2],
            cpu_ratio[0],
            cpu_ratio[cpu_ratio.len() - 1],
        );
    }
    std::fs::remove_dir_all(&dir)
}

/// User + system CPU time of the whole process (io_uring's worker threads included).
fn cpu_time() -> Duration {
    // SAFETY: an all-zero rusage is a valid value, filled in by the call.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a live rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn run_std(paths: &[PathBuf]) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut bytes = 0;
    for path in paths {
        let mut file = std::fs::File::open(path)?;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            bytes += n;
        }
    }
    Ok(bytes)
}

async fn run_ringaio(paths: &[PathBuf], mode: &str) -> std::io::Result<usize> {
    let paths: Rc<Vec<PathBuf>> = Rc::new(paths.to_vec());
    let next = Rc::new(Cell::new(0usize));
    let direct = mode == "direct";
    let chain = mode == "chain";
    let workers: Vec<_> = (0..IN_FLIGHT)
        .map(|_| {
            let (paths, next) = (paths.clone(), next.clone());
            ringaio::spawn(async move {
                let mut bytes = 0;
                let mut buf = Vec::with_capacity(64 * 1024);
                loop {
                    let i = next.get();
                    if i >= paths.len() {
                        return Ok::<usize, std::io::Error>(bytes);
                    }
                    next.set(i + 1);
                    if chain {
                        bytes += ringaio::fs::read(&paths[i]).await?.len();
                        continue;
                    }
                    let file = File::options()
                        .read(true)
                        .direct(direct)
                        .open(&paths[i])
                        .await?;
                    let mut pos = 0;
                    loop {
                        let (n, b) = file.read_at(buf, pos).await;
                        buf = b;
                        let n = n?;
                        if n == 0 {
                            break;
                        }
                        pos += n as u64;
                    }
                    bytes += pos as usize;
                    file.close().await?;
                }
            })
        })
        .collect();
    let mut bytes = 0;
    for w in workers {
        bytes += w
            .await
            .map_err(|_| std::io::Error::other("worker panicked"))??;
    }
    Ok(bytes)
}
