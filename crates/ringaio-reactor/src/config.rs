//! Reactor configuration and the choice of backend.

use std::io;
use std::time::Duration;

use ringaio_core::Opcode;

/// Where requests run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// io_uring, with the blocking pool for opcodes the kernel lacks.
    Uring,
    /// Every request on the blocking pool: for machines without io_uring.
    Fallback,
}

impl Backend {
    /// The backend named by `RINGAIO_BACKEND` (`uring` or `fallback`), if it is set.
    ///
    /// # Errors
    /// `InvalidInput` naming the valid values when the variable holds anything else.
    pub fn from_env() -> io::Result<Option<Backend>> {
        match std::env::var("RINGAIO_BACKEND") {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Ok(v) if v == "uring" => Ok(Some(Backend::Uring)),
            Ok(v) if v == "fallback" => Ok(Some(Backend::Fallback)),
            Ok(v) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("RINGAIO_BACKEND={v:?} is not valid: use \"uring\" or \"fallback\""),
            )),
            Err(std::env::VarError::NotUnicode(v)) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("RINGAIO_BACKEND={v:?} is not valid: use \"uring\" or \"fallback\""),
            )),
        }
    }
}

/// How to build a [`Reactor`](crate::Reactor).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// SQ entries. Default 256. The CQ: see `cq_entries`.
    pub entries: u32,
    /// CQ entries. Default: twice `entries`, at least 4096 (64 KiB of CQEs), so that many
    /// requests that wait long (pipe reads) do not fill the in-flight budget (half the CQ).
    /// At least [`MIN_CQ_ENTRIES`](crate::MIN_CQ_ENTRIES): `Reactor::new` refuses less.
    pub cq_entries: Option<u32>,
    /// Kernel SQ polling with this idle time. Default off.
    pub sqpoll: Option<Duration>,
    /// The backend asked for; `Uring` still falls back when io_uring is unavailable.
    pub backend: Backend,
    /// Most blocking-pool threads. Default 16.
    pub pool_threads: usize,
    /// How long shutdown waits for the kernel before leaking what it still holds. Default 5 s.
    pub shutdown_timeout: Duration,
    /// Opcodes to run on the pool even if the ring has them (tests, kernel-bug workarounds).
    pub forbid: Vec<Opcode>,
    /// Slots in the ring's registered-file table (0: none). Files registered with
    /// `Reactor::register_file` skip the kernel's fd lookup on every request. Default 1024.
    pub fixed_files: u32,
    /// Slots after those for the kernel to pick from when a file is opened straight into
    /// the table (a direct descriptor: `IORING_FILE_INDEX_ALLOC`, Linux 6.0; 0: none). A
    /// full range makes such opens fall back to plain fds. The whole table is cut to
    /// `RLIMIT_NOFILE`. Default 4096.
    pub direct_files: u32,
    /// Slots in the ring's registered-buffer table (0: none; at most 16384, the kernel's
    /// limit), handed out by `Reactor::register_buffer` to buffers used again and again.
    /// Default 1024.
    pub fixed_buffers: u16,
    /// Messages between reactors by `IORING_OP_MSG_RING` (`Reactor::send_msg`, the
    /// `Mailbox`), sent and received, where the kernel has it. Default true.
    pub msg_ring: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            entries: 256,
            cq_entries: None,
            sqpoll: None,
            backend: Backend::Uring,
            pool_threads: 16,
            shutdown_timeout: Duration::from_secs(5),
            forbid: Vec::new(),
            fixed_files: 1024,
            direct_files: 4096,
            fixed_buffers: 1024,
            msg_ring: true,
        }
    }
}
