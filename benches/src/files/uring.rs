//! The reference: a hand-written io-uring loop, `--iodepth` files in flight, each slot a
//! small state machine. Plain (`uring`): openat, then read(s) on the fd it gave, then close,
//! each submitted when the one before completes. With `--fixed` (`uring+direct`): openat
//! straight into direct descriptor `slot` of a sparse file table, read and close on that
//! slot, all three submitted at once as one chain (open `IO_LINK` read `IO_HARDLINK` close:
//! a short read, which every read of a file smaller than the buffer is, would break a plain
//! link and cancel the close).

use std::io;
use std::sync::Arc;

use io_uring::{opcode, squeue, types, IoUring};
use quanta::Instant;

use super::set::READ_BUF;
use super::{FileSet, Pass};
use crate::engines::{cqe_result, RoundResult};

/// Raw io_uring, plain fds or direct descriptors (`--fixed`).
#[derive(Debug)]
pub(crate) struct UringFiles {
    direct: bool,
}

impl UringFiles {
    pub(crate) fn new(direct: bool) -> UringFiles {
        UringFiles { direct }
    }
}

/// Where a slot's file is.
#[derive(Clone, Copy, Debug)]
enum Stage {
    Idle,
    Open,
    /// Reading or writing fd (plain) or the slot's direct descriptor, `done` bytes so far.
    Io {
        fd: i32,
        done: usize,
    },
    Close {
        bytes: usize,
    },
}

/// One file in flight.
struct Slot {
    file: usize,
    stage: Stage,
    started: Instant,
    buf: Vec<u8>,
}

/// `user_data` of a request: the slot, and (direct chains) which of the three it is.
fn user_data(slot: usize, step: u64) -> u64 {
    (slot as u64) << 2 | step
}

impl Pass for UringFiles {
    fn name(&self) -> &str {
        if self.direct {
            "uring+direct"
        } else {
            "uring"
        }
    }

    fn pass(&mut self, set: &Arc<FileSet>, qd: usize) -> io::Result<RoundResult> {
        let entries = u32::try_from(qd * 3)
            .unwrap_or(u32::MAX)
            .next_power_of_two()
            .max(256);
        // Declared before the ring so the buffers are dropped after it.
        let mut slots: Vec<Slot> = (0..qd)
            .map(|_| Slot {
                file: 0,
                stage: Stage::Idle,
                started: Instant::now(),
                buf: vec![0u8; READ_BUF],
            })
            .collect();
        let mut ring = IoUring::new(entries)?;
        if self.direct {
            ring.submitter()
                .register_files_sparse(u32::try_from(qd).unwrap_or(u32::MAX))?;
        }
        let result = drive(&mut ring, &mut slots, set, self.direct);
        if result.is_err() {
            // Requests may still be in flight on the buffers: leak them with the error.
            std::mem::forget(slots);
        }
        result
    }
}

/// The pass itself.
fn drive(
    ring: &mut IoUring,
    slots: &mut [Slot],
    set: &FileSet,
    direct: bool,
) -> io::Result<RoundResult> {
    let mut result = RoundResult::new();
    let start = Instant::now();
    let mut next = 0usize;
    let mut inflight = 0usize;
    let mut now = start;
    let mut pending: Vec<squeue::Entry> = Vec::with_capacity(slots.len() * 3);
    for (i, slot) in slots.iter_mut().enumerate() {
        if next < set.len() {
            begin(slot, i, next, set, direct, now, &mut pending);
            next += 1;
            inflight += 1;
        }
    }
    while inflight > 0 {
        {
            let mut sq = ring.submission();
            for entry in pending.drain(..) {
                // SAFETY: every pointer in the entries (paths, slot buffers, set data) lives
                // until the pass is over, and a slot's buffer is not touched while its
                // request is in flight.
                unsafe { sq.push(&entry) }.map_err(|_| io::Error::other("SQ full"))?;
            }
        }
        match ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
            Err(e) => return Err(e),
        }
        now = Instant::now();
        for cqe in ring.completion() {
            let (i, step) = ((cqe.user_data() >> 2) as usize, cqe.user_data() & 3);
            let slot = &mut slots[i];
            let res = cqe_result(cqe.result())
                .map_err(|e| io::Error::new(e.kind(), format!("file {}: {e}", slot.file)))?;
            let finished = if direct {
                match step {
                    1 => {
                        slot.stage = Stage::Close {
                            bytes: res as usize,
                        };
                        false
                    }
                    2 => true,
                    _ => false,
                }
            } else {
                step_plain(slot, i, res as usize, set, &mut pending)?
            };
            if finished {
                let Stage::Close { bytes } = slot.stage else {
                    return Err(io::Error::other("close before the read"));
                };
                result.record(bytes as u64, now - slot.started);
                inflight -= 1;
                slot.stage = Stage::Idle;
                if next < set.len() {
                    begin(slot, i, next, set, direct, now, &mut pending);
                    next += 1;
                    inflight += 1;
                }
            }
        }
    }
    result.elapsed = now - start;
    Ok(result)
}

/// Starts file `file` on `slot`: its openat, or (direct) its whole chain.
fn begin(
    slot: &mut Slot,
    i: usize,
    file: usize,
    set: &FileSet,
    direct: bool,
    now: Instant,
    out: &mut Vec<squeue::Entry>,
) {
    slot.file = file;
    slot.started = now;
    slot.stage = Stage::Open;
    let access = if set.write {
        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC
    } else {
        libc::O_RDONLY
    };
    // A direct descriptor is no fd and cannot be inherited: the kernel refuses O_CLOEXEC.
    let flags = if direct {
        access
    } else {
        access | libc::O_CLOEXEC
    };
    let open = opcode::OpenAt::new(types::Fd(libc::AT_FDCWD), set.c_paths[file].as_ptr())
        .flags(flags)
        .mode(0o644);
    if !direct {
        out.push(open.build().user_data(user_data(i, 0)));
        return;
    }
    // The slot index is below the table size (qd), far below the kernel's limit.
    let dest = types::DestinationSlot::try_from_slot_target(i as u32).expect("slot index fits");
    out.push(
        open.file_index(Some(dest))
            .build()
            .flags(squeue::Flags::IO_LINK)
            .user_data(user_data(i, 0)),
    );
    out.push(
        io_entry(slot, On::Direct(i as u32), set, 0)
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(user_data(i, 1)),
    );
    out.push(
        opcode::Close::new(types::Fixed(i as u32))
            .build()
            .user_data(user_data(i, 2)),
    );
    slot.stage = Stage::Io { fd: -1, done: 0 };
}

/// The file a request works on: a plain fd, or the slot's direct descriptor.
#[derive(Clone, Copy)]
enum On {
    Fd(i32),
    Direct(u32),
}

/// The read (or write) of `slot`'s file from byte `done` on.
fn io_entry(slot: &mut Slot, on: On, set: &FileSet, done: usize) -> squeue::Entry {
    if set.write {
        let data = &set.contents(slot.file)[done..];
        // A file is at most 16 KiB: its length fits a u32.
        let (ptr, len) = (data.as_ptr(), data.len() as u32);
        match on {
            On::Fd(fd) => opcode::Write::new(types::Fd(fd), ptr, len)
                .offset(done as u64)
                .build(),
            On::Direct(i) => opcode::Write::new(types::Fixed(i), ptr, len)
                .offset(done as u64)
                .build(),
        }
    } else {
        let (ptr, len) = (slot.buf.as_mut_ptr(), READ_BUF as u32);
        match on {
            On::Fd(fd) => opcode::Read::new(types::Fd(fd), ptr, len)
                .offset(done as u64)
                .build(),
            On::Direct(i) => opcode::Read::new(types::Fixed(i), ptr, len)
                .offset(done as u64)
                .build(),
        }
    }
}

/// The plain state machine: what follows a completion; true when the file is closed.
fn step_plain(
    slot: &mut Slot,
    i: usize,
    res: usize,
    set: &FileSet,
    out: &mut Vec<squeue::Entry>,
) -> io::Result<bool> {
    match slot.stage {
        Stage::Idle => Err(io::Error::other("completion on an idle slot")),
        Stage::Open => {
            let fd = i32::try_from(res).map_err(|_| io::Error::other("fd out of range"))?;
            slot.stage = Stage::Io { fd, done: 0 };
            out.push(io_entry(slot, On::Fd(fd), set, 0).user_data(user_data(i, 1)));
            Ok(false)
        }
        Stage::Io { fd, done } => {
            let done = done + res;
            let more = if set.write {
                if res == 0 {
                    return Err(io::Error::from(io::ErrorKind::WriteZero));
                }
                done < set.sizes[slot.file]
            } else {
                res == READ_BUF
            };
            if more {
                slot.stage = Stage::Io { fd, done };
                out.push(io_entry(slot, On::Fd(fd), set, done).user_data(user_data(i, 1)));
            } else {
                slot.stage = Stage::Close { bytes: done };
                out.push(
                    opcode::Close::new(types::Fd(fd))
                        .build()
                        .user_data(user_data(i, 2)),
                );
            }
            Ok(false)
        }
        Stage::Close { .. } => Ok(true),
    }
}
