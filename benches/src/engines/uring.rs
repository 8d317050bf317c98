//! The reference: a hand-written loop on the io-uring crate.
//!
//! `iodepth` requests stay in flight. Each turn refills every free slot, makes one
//! `submit_and_wait(1)` call, and reaps every completion that is there. One clock read
//! per turn stamps both the completions just reaped and the requests about to be
//! issued. Nothing is allocated per operation.

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use quanta::Instant;

use io_uring::{opcode, squeue, types, IoUring};

use super::{cqe_result, Engine, RoundResult};
use crate::workload::{AlignedBuf, Workload};

/// Raw io_uring, optionally with a registered file and registered buffers (`--fixed`).
#[derive(Debug)]
pub(crate) struct UringEngine {
    name: String,
    /// Plain `Vec<u8>` buffers (`uring-vec`) instead of page-aligned ones.
    vec: bool,
}

impl UringEngine {
    pub(crate) fn new(w: &Workload) -> UringEngine {
        let name = if w.fixed && w.rw.uses_file() {
            "uring+fixed"
        } else {
            "uring"
        };
        UringEngine {
            name: name.to_owned(),
            vec: false,
        }
    }

    /// The loop on `Vec<u8>` buffers, made as `ringaio-vec` makes its own
    /// ([`Workload::vec_buffers`]). Refuses `--fixed` and `--direct`, as `ringaio-vec` does.
    pub(crate) fn new_vec(w: &Workload) -> io::Result<UringEngine> {
        if w.fixed || w.direct {
            return Err(super::unsupported("uring-vec", "--fixed or --direct"));
        }
        Ok(UringEngine {
            name: "uring-vec".to_owned(),
            vec: true,
        })
    }
}

/// How each request is built, decided once per round.
#[derive(Clone, Copy)]
enum Op {
    Nop,
    Read(types::Fd),
    Write(types::Fd),
    ReadFixed,
    WriteFixed,
}

impl Op {
    #[inline]
    fn entry(self, buf: *mut u8, len: u32, slot: usize, offset: u64) -> squeue::Entry {
        // Registered buffer index == slot; iodepth is capped well below u16::MAX.
        let index = slot as u16;
        let entry = match self {
            Op::Nop => opcode::Nop::new().build(),
            Op::Read(fd) => opcode::Read::new(fd, buf, len).offset(offset).build(),
            Op::Write(fd) => opcode::Write::new(fd, buf, len).offset(offset).build(),
            Op::ReadFixed => opcode::ReadFixed::new(types::Fixed(0), buf, len, index)
                .offset(offset)
                .build(),
            Op::WriteFixed => opcode::WriteFixed::new(types::Fixed(0), buf, len, index)
                .offset(offset)
                .build(),
        };
        entry.user_data(slot as u64)
    }
}

impl Engine for UringEngine {
    fn name(&self) -> &str {
        &self.name
    }

    fn run(&mut self, w: &Workload, d: Duration) -> io::Result<RoundResult> {
        let qd = w.iodepth;
        let file = if w.rw.uses_file() {
            Some(w.open_std()?)
        } else {
            None
        };
        // Declared before the ring so they are dropped after it.
        let mut bufs: Vec<AlignedBuf> = match file {
            Some(_) if !self.vec => (0..qd).map(|i| w.buffer(i as u64)).collect(),
            _ => Vec::new(),
        };
        let mut vecs: Vec<Vec<u8>> = match file {
            Some(_) if self.vec => w.vec_buffers(qd),
            _ => Vec::new(),
        };
        let ring = IoUring::new(w.ring_entries())?;
        let op = match (&file, w.rw.is_write(), w.fixed) {
            (None, _, _) => Op::Nop,
            (Some(f), write, true) => {
                register(&ring, f.as_raw_fd(), &mut bufs)?;
                if write {
                    Op::WriteFixed
                } else {
                    Op::ReadFixed
                }
            }
            (Some(f), false, false) => Op::Read(types::Fd(f.as_raw_fd())),
            (Some(f), true, false) => Op::Write(types::Fd(f.as_raw_fd())),
        };
        let ptrs: Vec<*mut u8> = bufs
            .iter_mut()
            .map(|b| b.as_mut_ptr())
            .chain(vecs.iter_mut().map(|v| v.as_mut_ptr()))
            .collect();
        let result = drive(ring, op, &ptrs, w, d);
        if result.is_err() {
            // After a failed submit_and_wait the kernel may still own some buffers:
            // leak them rather than free them (an error ends the run anyway).
            std::mem::forget(bufs);
            std::mem::forget(vecs);
        }
        result
    }
}

/// Registers `fd` as fixed file 0 and `bufs` as fixed buffers 0..n.
fn register(ring: &IoUring, fd: i32, bufs: &mut [AlignedBuf]) -> io::Result<()> {
    ring.submitter().register_files(&[fd])?;
    let iovecs: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        })
        .collect();
    // SAFETY: the buffers outlive the ring (the caller drops the ring first, or leaks the
    // buffers on error) and are neither moved nor freed while registered.
    unsafe { ring.submitter().register_buffers(&iovecs) }
}

/// The timed loop. On error it returns as soon as it can; the caller then leaks the buffers.
fn drive(
    mut ring: IoUring,
    op: Op,
    ptrs: &[*mut u8],
    w: &Workload,
    d: Duration,
) -> io::Result<RoundResult> {
    let qd = w.iodepth;
    let len = u32::try_from(w.bs).map_err(|_| io::Error::other("bs too large"))?;
    let mut offsets = w.offsets(0);
    let mut result = RoundResult::new();
    let start = Instant::now();
    let deadline = start + d;
    let mut issued = vec![start; qd];
    let mut free: Vec<usize> = (0..qd).rev().collect();
    let mut inflight = 0usize;
    let mut now = start;
    let mut error = None;
    loop {
        if now < deadline && error.is_none() {
            let mut sq = ring.submission();
            while let Some(slot) = free.pop() {
                let buf = ptrs.get(slot).copied().unwrap_or(std::ptr::null_mut());
                let entry = op.entry(buf, len, slot, offsets.next_offset());
                // SAFETY: `buf` (if any) is slot's buffer: alive until after the ring is
                // gone, and untouched by us until this slot's CQE comes back.
                if unsafe { sq.push(&entry) }.is_err() {
                    free.push(slot);
                    break;
                }
                issued[slot] = now;
                inflight += 1;
            }
        }
        if inflight == 0 {
            break;
        }
        match ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => return Err(e),
        }
        now = Instant::now();
        for cqe in ring.completion() {
            let slot = cqe.user_data() as usize;
            inflight -= 1;
            free.push(slot);
            match cqe_result(cqe.result()) {
                // A NOP completes with 0, so it counts no bytes.
                Ok(n) => result.record(n, now - issued[slot]),
                Err(e) => error = error.or(Some(e)),
            }
        }
    }
    result.elapsed = now - start;
    match error {
        Some(e) => Err(e),
        None => Ok(result),
    }
}
