//! The TCP echo workload (`--rw echo`): `--iodepth` connections over loopback, each
//! ping-ponging `--bs`-byte messages with the server under test. The client is a
//! hand-written io-uring loop on its own thread, pinned to one core; the server runs on a
//! thread pinned to another, and only the server changes from engine to engine. A round
//! counts the client's round trips (one "op" each) and their latencies.
//!
//! Each server accepts exactly `--iodepth` connections, echoes on each until the client
//! closes it, and returns: one server per round, started fresh.

mod client;
#[cfg(feature = "glommio")]
mod glommio;
#[cfg(feature = "monoio")]
mod monoio;
#[cfg(feature = "ringaio-engine")]
mod ringaio;
#[cfg(feature = "tokio")]
mod tokio;
#[cfg(feature = "tokio-uring")]
mod tokio_uring;
mod uring;

use std::io;
use std::net::TcpListener;
use std::time::Duration;

use crate::engines::{Engine, EngineKind, RoundResult};
use crate::workload::Workload;

/// The core the server thread runs on.
const SERVER_CORE: usize = 0;
/// The core the client thread runs on.
const CLIENT_CORE: usize = 1;

/// A server under test: accepts `conns` connections on `listener` and echoes on each until
/// the client closes it. Runs on the server thread.
type Serve = fn(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()>;

/// One engine of the echo workload: its name and its server.
struct EchoEngine {
    name: &'static str,
    serve: Serve,
}

/// The echo engine for `kind`; `None` for engines that have no echo server.
pub(crate) fn create(kind: EngineKind) -> Option<Box<dyn Engine>> {
    let (name, serve): (&'static str, Serve) = match kind {
        EngineKind::Uring => ("uring", uring::serve),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::Ringaio => ("ringaio", ringaio::serve),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioMultishot => ("ringaio-multishot", ringaio::serve_multishot),
        #[cfg(feature = "ringaio-engine")]
        EngineKind::RingaioFallback => ("ringaio-fallback", ringaio::serve_fallback),
        #[cfg(feature = "tokio")]
        EngineKind::Tokio => ("tokio", tokio::serve),
        #[cfg(feature = "tokio-uring")]
        EngineKind::TokioUring => ("tokio-uring", tokio_uring::serve),
        #[cfg(feature = "monoio")]
        EngineKind::Monoio => ("monoio", monoio::serve),
        #[cfg(feature = "glommio")]
        EngineKind::Glommio => ("glommio", glommio::serve),
        _ => return None,
    };
    Some(Box::new(EchoEngine { name, serve }))
}

impl Engine for EchoEngine {
    fn name(&self) -> &str {
        self.name
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let (conns, msg, serve) = (w.iodepth, w.bs, self.serve);
        let server = std::thread::Builder::new()
            .name(format!("echo-{}", self.name))
            .spawn(move || {
                pin_to(SERVER_CORE);
                serve(listener, conns, msg)
            })?;
        pin_to(CLIENT_CORE);
        let (process, client) = (cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID), thread_cpu());
        let result = client::run(addr, conns, msg, d);
        let served = server
            .join()
            .map_err(|_| io::Error::other("the echo server panicked"))?;
        // Everything but the client thread: the server's threads (helpers included).
        let server_cpu = (cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) - process)
            .saturating_sub(thread_cpu() - client);
        served.map_err(|e| io::Error::new(e.kind(), format!("echo server: {e}")))?;
        let result = result?;
        // Throughput on a shared machine says how much CPU the server got; CPU time per
        // round trip says how much it needed.
        eprintln!(
            "           {:<18} server CPU {:>7.2} us per round trip",
            self.name,
            server_cpu.as_secs_f64() * 1e6 / result.ops.max(1) as f64
        );
        Ok(result)
    }
}

/// The CPU time `clock` has counted.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec for the call to fill.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Pins the calling thread to `core` (a machine with fewer cores runs unpinned).
fn pin_to(core: usize) {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes within it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `core` is below CPU_SETSIZE (0 or 1).
    unsafe { libc::CPU_SET(core, &mut set) };
    // SAFETY: `set` is a live cpu_set_t of the size passed.
    let res = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if res != 0 {
        eprintln!(
            "note: cannot pin to core {core}: {}",
            io::Error::last_os_error()
        );
    }
}

/// Accepts `conns` connections with `TCP_NODELAY` set (blocking std accepts).
fn accept_all(listener: &TcpListener, conns: usize) -> io::Result<Vec<std::net::TcpStream>> {
    (0..conns)
        .map(|_| {
            let (stream, _) = listener.accept()?;
            stream.set_nodelay(true)?;
            Ok(stream)
        })
        .collect()
}
