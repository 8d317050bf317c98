//! `RingBuilder`: the ring's sizes and flags, and the ladder of setup flags tried from the
//! fastest down to what the kernel takes.

use std::io;
use std::time::Duration;

use io_uring::IoUring;

use super::{Ring, MAX_ENTRIES};
use crate::error::classify_setup_error;

/// The setup flags the kernel accepted, after [`RingBuilder::build`] dropped the ones it
/// refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetupMode {
    /// A kernel thread polls the SQ (`IORING_SETUP_SQPOLL`).
    pub sqpoll: bool,
    /// Only the creating thread submits (`IORING_SETUP_SINGLE_ISSUER`).
    pub single_issuer: bool,
    /// Completion work runs only inside `io_uring_enter` (`IORING_SETUP_DEFER_TASKRUN`).
    pub defer_taskrun: bool,
    /// Completion work does not interrupt the task (`IORING_SETUP_COOP_TASKRUN`).
    pub coop_taskrun: bool,
    /// SQEs are taken from the ring in order, with no index array (`IORING_SETUP_NO_SQARRAY`,
    /// Linux 6.6).
    pub no_sqarray: bool,
}

/// Configures a [`Ring`].
#[derive(Clone, Debug)]
pub struct RingBuilder {
    pub(super) entries: u32,
    pub(super) cq_entries: Option<u32>,
    pub(super) sqpoll_idle: Option<Duration>,
    pub(super) single_issuer: bool,
}

impl RingBuilder {
    /// The SQ size (rounded up to a power of two by the kernel). Default 256.
    pub fn entries(&mut self, entries: u32) -> &mut Self {
        self.entries = entries;
        self
    }

    /// The CQ size. Default: twice the SQ size.
    pub fn cq_entries(&mut self, entries: u32) -> &mut Self {
        self.cq_entries = Some(entries);
        self
    }

    /// Have a kernel thread poll the SQ, sleeping after `idle` without work.
    pub fn sqpoll(&mut self, idle: Duration) -> &mut Self {
        self.sqpoll_idle = Some(idle);
        self
    }

    /// Promise that only the creating thread submits, which lets the kernel defer completion
    /// work to `io_uring_enter` (`SINGLE_ISSUER` + `DEFER_TASKRUN`) and lets the ring enter
    /// through a registered ring fd (no fd lookup per `io_uring_enter`; registered by the
    /// first enter). A ring built so and then used from another thread gets `EEXIST` from
    /// every submission; drop it on the thread that used it too, or its fd registration
    /// holds it open until that thread exits.
    pub fn single_issuer(&mut self, yes: bool) -> &mut Self {
        self.single_issuer = yes;
        self
    }

    /// Sets the ring up, trying the fastest flags first and dropping what the kernel refuses
    /// (`EINVAL`): `SINGLE_ISSUER | DEFER_TASKRUN | NO_SQARRAY`, then without `NO_SQARRAY`,
    /// then `COOP_TASKRUN`, then none.
    ///
    /// # Errors
    /// `InvalidInput` for 0 or more than [`MAX_ENTRIES`] entries. An `io::Error` of kind
    /// `Unsupported` carrying [`Unavailable`](crate::Unavailable) when io_uring cannot be used
    /// here at all (ENOSYS, EPERM from seccomp or `kernel.io_uring_disabled`, ENOMEM from the
    /// memlock limit). Other setup errors as the kernel gave them.
    pub fn build(&self) -> io::Result<Ring> {
        if self.entries == 0 || self.entries > MAX_ENTRIES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "ring entries must be 1..={MAX_ENTRIES}, not {}",
                    self.entries
                ),
            ));
        }
        let born = crate::fork_generation();
        let cq = self
            .cq_entries
            .unwrap_or(self.entries.saturating_mul(2))
            .clamp(self.entries, 2 * MAX_ENTRIES);
        let mut tiers = Vec::with_capacity(4);
        if self.single_issuer && self.sqpoll_idle.is_none() {
            let deferred = SetupMode {
                single_issuer: true,
                defer_taskrun: true,
                ..SetupMode::default()
            };
            tiers.push(SetupMode {
                no_sqarray: true,
                ..deferred
            });
            tiers.push(deferred);
        }
        if self.sqpoll_idle.is_none() {
            tiers.push(SetupMode {
                coop_taskrun: true,
                single_issuer: self.single_issuer,
                ..SetupMode::default()
            });
        }
        tiers.push(SetupMode::default());
        let mut last = None;
        for mut mode in tiers {
            mode.sqpoll = self.sqpoll_idle.is_some();
            let mut b = IoUring::builder();
            b.setup_cqsize(cq).setup_clamp();
            if let Some(idle) = self.sqpoll_idle {
                b.setup_sqpoll(idle.as_millis().min(u32::MAX as u128) as u32);
            }
            if mode.single_issuer {
                b.setup_single_issuer();
            }
            if mode.defer_taskrun {
                b.setup_defer_taskrun();
            }
            if mode.coop_taskrun {
                b.setup_coop_taskrun().setup_taskrun_flag();
            }
            if mode.no_sqarray {
                b.setup_no_sqarray();
            }
            match b.build(self.entries) {
                Ok(uring) => return Ok(Ring::from_uring(uring, mode, born)),
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => last = Some(e),
                Err(e) => return Err(classify_setup_error(e)),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::from_raw_os_error(libc::EINVAL)))
    }
}
