//! The two error conversions every layer shares: CQE results, and "io_uring is unavailable".

use std::error::Error;
use std::fmt;
use std::io;

use crate::memlock;

/// Turns a completion result (byte count or `-errno`) into an `io::Result`.
///
/// This is the one place where a negative result becomes an `io::Error`.
pub fn cqe_result(res: i32) -> io::Result<u32> {
    if res < 0 {
        Err(io::Error::from_raw_os_error(-res))
    } else {
        Ok(res as u32)
    }
}

/// Why io_uring could not be set up on this machine.
///
/// Carried inside an `io::Error` of kind [`io::ErrorKind::Unsupported`]; test for it with
/// [`is_unavailable`] and read it with [`unavailable_reason`]. Higher layers react to it by
/// running every operation on a thread pool instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    /// The errno `io_uring_setup` returned.
    pub errno: i32,
    /// A sentence saying why, and what would enable io_uring.
    pub reason: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "io_uring is unavailable: {}", self.reason)
    }
}

impl Error for Unavailable {}

/// Classifies an `io_uring_setup` failure: the errnos that mean "no io_uring here" become an
/// [`Unavailable`] error, anything else is returned as it was.
pub(crate) fn classify_setup_error(err: io::Error) -> io::Error {
    let Some(errno) = err.raw_os_error() else {
        return err;
    };
    let reason = match errno {
        libc::ENOSYS => "the kernel was built without io_uring (ENOSYS)".to_owned(),
        libc::EPERM | libc::EACCES => match disabled_sysctl() {
            Some(value) => format!(
                "kernel.io_uring_disabled is {value}; set it to 0 \
                 (sysctl -w kernel.io_uring_disabled=0) to enable io_uring"
            ),
            None => "io_uring_setup was refused (EPERM): a seccomp profile (Docker's default \
                     blocks io_uring) or a security module denies it; allow the io_uring_* \
                     syscalls to enable it"
                .to_owned(),
        },
        libc::ENOMEM => {
            memlock::setup_enomem_reason(memlock::memlock_limit(), memlock::kernel_version())
        }
        _ => return err,
    };
    io::Error::new(io::ErrorKind::Unsupported, Unavailable { errno, reason })
}

fn disabled_sysctl() -> Option<u32> {
    let text = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled").ok()?;
    text.trim().parse().ok().filter(|v| *v != 0)
}

/// Whether `err` says io_uring cannot be used on this machine (see [`Unavailable`]).
pub fn is_unavailable(err: &io::Error) -> bool {
    unavailable_reason(err).is_some()
}

/// The [`Unavailable`] inside `err`, if that is what it is.
pub fn unavailable_reason(err: &io::Error) -> Option<&Unavailable> {
    err.get_ref()?.downcast_ref::<Unavailable>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_results_are_errnos() {
        assert_eq!(cqe_result(7).unwrap(), 7);
        let err = cqe_result(-libc::EBADF).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBADF));
    }

    #[test]
    fn setup_errnos_that_mean_unavailable() {
        for errno in [libc::ENOSYS, libc::EPERM, libc::ENOMEM] {
            let err = classify_setup_error(io::Error::from_raw_os_error(errno));
            assert_eq!(err.kind(), io::ErrorKind::Unsupported);
            assert_eq!(unavailable_reason(&err).map(|u| u.errno), Some(errno));
            assert!(err.to_string().contains("io_uring is unavailable"));
        }
        let err = classify_setup_error(io::Error::from_raw_os_error(libc::EINVAL));
        assert!(!is_unavailable(&err));
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    }
}
