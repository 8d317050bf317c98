//! The locked-memory limit: what `RLIMIT_MEMLOCK` allows this process to pin, so that the
//! errors it causes (a ring's setup on kernels that account rings to it, registered buffers
//! on every kernel) can say so, and say how to raise it.

use std::fmt;

/// `CAP_IPC_LOCK`: pinning is not limited by `RLIMIT_MEMLOCK` for a process that has it.
const CAP_IPC_LOCK: u32 = 14;

/// The `RLIMIT_MEMLOCK` that applies to memory this process pins (io_uring rings on kernels
/// that account them, registered buffers), in bytes: `None` when it does not limit the
/// process (unlimited, or lifted by `CAP_IPC_LOCK`).
pub fn memlock_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) } != 0 {
        return None;
    }
    if limit.rlim_cur == libc::RLIM_INFINITY || has_ipc_lock() {
        return None;
    }
    Some(limit.rlim_cur)
}

/// Whether the process's effective capabilities include `CAP_IPC_LOCK` (false when
/// `/proc` cannot tell).
fn has_ipc_lock() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_IPC_LOCK) != 0)
}

/// The running kernel's version, `(major, minor)`, if `uname` says.
pub(crate) fn kernel_version() -> Option<(u32, u32)> {
    // SAFETY: utsname is plain bytes: all zeroes is a valid value.
    let mut uts: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: uname writes into a live utsname.
    if unsafe { libc::uname(&mut uts) } != 0 {
        return None;
    }
    let release: String = uts
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8 as char)
        .collect();
    parse_version(&release)
}

/// `"6.18.44-fc"` -> `(6, 18)`.
fn parse_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// A byte count for people: `0 bytes`, `64 KiB`, `8 MiB`.
pub(crate) struct Bytes(pub(crate) u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{} MiB", n >> 20),
            n if n >= 1 << 10 => write!(f, "{} KiB", n >> 10),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Why `io_uring_setup` failed with ENOMEM, and what would fix it: the memlock limit (and
/// its value) when one applies, the kernel's version only when it is older than 5.12 (which
/// started accounting rings to the memory cgroup instead).
pub(crate) fn setup_enomem_reason(limit: Option<u64>, kernel: Option<(u32, u32)>) -> String {
    let old_kernel = kernel.is_some_and(|v| v < (5, 12));
    match limit {
        Some(limit) if old_kernel => format!(
            "the ring's memory could not be locked (ENOMEM): RLIMIT_MEMLOCK is {} here; raise \
             it (ulimit -l) or use a kernel >= 5.12, which accounts rings to the memory cgroup \
             instead",
            Bytes(limit)
        ),
        Some(limit) => format!(
            "the ring's memory counts against RLIMIT_MEMLOCK, which is {} here (ENOMEM): \
             raise it (ulimit -l; LimitMEMLOCK= for a systemd service, --ulimit memlock= for \
             a container) or give the process CAP_IPC_LOCK",
            Bytes(limit)
        ),
        None => "io_uring_setup ran out of memory (ENOMEM); RLIMIT_MEMLOCK does not limit \
                 this process, so the system itself is short of memory"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("6.18.44-fc-v782"), Some((6, 18)));
        assert_eq!(parse_version("5.4.0-150-generic"), Some((5, 4)));
        assert_eq!(parse_version("garbage"), None);
    }

    #[test]
    fn reasons_name_the_cause() {
        let new = setup_enomem_reason(Some(0), Some((6, 18)));
        assert!(
            new.contains("RLIMIT_MEMLOCK") && new.contains("ulimit -l"),
            "{new}"
        );
        assert!(new.contains("0 bytes"), "{new}");
        assert!(!new.contains("5.12"), "a 6.18 kernel is not too old: {new}");
        let old = setup_enomem_reason(Some(64 << 10), Some((5, 10)));
        assert!(old.contains("5.12") && old.contains("64 KiB"), "{old}");
        let unlimited = setup_enomem_reason(None, Some((6, 18)));
        assert!(!unlimited.contains("ulimit"), "{unlimited}");
    }
}
