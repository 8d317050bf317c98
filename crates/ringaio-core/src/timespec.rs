//! `Timespec`: the kernel's `struct __kernel_timespec`, which timeout requests point at.

use std::time::Duration;

/// A relative time as the kernel reads it for `IORING_OP_TIMEOUT` (`struct
/// __kernel_timespec`: two 64-bit integers).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Timespec {
    /// Whole seconds (signed, as the kernel's).
    pub tv_sec: i64,
    /// Nanoseconds, 0 to 999,999,999.
    pub tv_nsec: i64,
}

const _: () = assert!(std::mem::size_of::<Timespec>() == 16);

impl Timespec {
    /// `d`, saturated at the largest time the kernel takes (`i64::MAX` seconds): a longer
    /// duration is a timer that never fires, not a negative one.
    pub fn from_duration(d: Duration) -> Timespec {
        match i64::try_from(d.as_secs()) {
            Ok(tv_sec) => Timespec {
                tv_sec,
                tv_nsec: i64::from(d.subsec_nanos()),
            },
            Err(_) => Timespec {
                tv_sec: i64::MAX,
                tv_nsec: 999_999_999,
            },
        }
    }

    /// The time as a `Duration`; negative fields count as zero.
    pub fn to_duration(self) -> Duration {
        let secs = u64::try_from(self.tv_sec).unwrap_or(0);
        let nanos = u32::try_from(self.tv_nsec.clamp(0, 999_999_999)).unwrap_or(0);
        Duration::new(secs, nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_saturate_and_round_trip() {
        let d = Duration::new(3, 5);
        assert_eq!(Timespec::from_duration(d).to_duration(), d);
        let max = Timespec::from_duration(Duration::MAX);
        assert_eq!((max.tv_sec, max.tv_nsec), (i64::MAX, 999_999_999));
        let neg = Timespec {
            tv_sec: -1,
            tv_nsec: -1,
        };
        assert_eq!(neg.to_duration(), Duration::ZERO);
    }
}
