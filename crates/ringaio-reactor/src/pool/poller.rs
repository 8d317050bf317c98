//! The poller thread: requests on pipes, sockets and terminals run here without blocking
//! (`RWF_NOWAIT`), first at once (as the ring does: a zero-length read of an empty pipe is 0,
//! a write to a pipe's read end EBADF), then, if they would block, each time `poll(2)` says
//! their fd is ready. So a read that may never complete never holds a lane's thread.

use std::os::fd::AsRawFd;

use ringaio_core::{Iocb, Opcode, Target};

use super::{Shared, Trying, Waiting};

/// The readiness a job on a stream fd waits for when its syscall would block; `None` for
/// jobs that go to a lane.
pub(super) fn readiness(iocb: &Iocb) -> Option<(i32, i16)> {
    let Target::Fd(fd) = iocb.fd else {
        return None;
    };
    match iocb.opcode {
        Opcode::Poll => Some((fd, iocb.flags as i16)),
        Opcode::Pread | Opcode::Preadv | Opcode::ReadFixed if is_stream(fd) => {
            Some((fd, libc::POLLIN))
        }
        Opcode::Pwrite | Opcode::Pwritev | Opcode::WriteFixed if is_stream(fd) => {
            Some((fd, libc::POLLOUT))
        }
        op => op.socket_readiness().map(|events| (fd, events)),
    }
}

fn is_stream(fd: i32) -> bool {
    // SAFETY: fstat writes into a zeroed, live stat struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid out pointer.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return false;
    }
    matches!(
        st.st_mode & libc::S_IFMT,
        libc::S_IFIFO | libc::S_IFSOCK | libc::S_IFCHR
    )
}

/// The poller's loop: try the jobs not tried yet, wait for readiness of the others (or for a
/// wake: a new job, a cancel, shutdown), try the ready ones.
pub(super) fn run(shared: &Shared) {
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut owners: Vec<u64> = Vec::new();
    let mut fresh: Vec<u64> = Vec::new();
    loop {
        {
            let state = shared.lock();
            if state.shutdown {
                return;
            }
            fds.clear();
            owners.clear();
            fresh.clear();
            fds.push(libc::pollfd {
                fd: shared.poller_wake.get().map_or(-1, |fd| fd.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            });
            for w in &state.waiting {
                if !w.tried {
                    fresh.push(w.user_data);
                    continue;
                }
                fds.push(libc::pollfd {
                    fd: w.fd,
                    events: w.events,
                    revents: 0,
                });
                owners.push(w.user_data);
            }
        }
        // With jobs to try, only look at what is ready now.
        let timeout = if fresh.is_empty() { -1 } else { 0 };
        // SAFETY: `fds` is a live array of `fds.len()` pollfds.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if n < 0 {
            // EINTR; anything else shows up again on the next round. Nothing is ready.
            fds.iter_mut().for_each(|p| p.revents = 0);
        }
        if fds[0].revents != 0 {
            let mut count: u64 = 0;
            // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd.
            unsafe { libc::read(fds[0].fd, (&mut count as *mut u64).cast(), 8) };
        }
        let ready = fds[1..]
            .iter()
            .zip(&owners)
            .filter(|(pfd, _)| pfd.revents != 0)
            .map(|(pfd, user_data)| (*user_data, pfd.revents));
        let mut notify = false;
        for (user_data, revents) in fresh.iter().map(|u| (*u, 0)).chain(ready) {
            notify |= attempt(shared, user_data, revents);
        }
        if notify {
            shared.notifier.notify();
        }
    }
}

/// Tries `user_data`'s job, if it is still waiting (a cancel may have taken it): a fresh
/// one (`revents == 0`), or one whose fd polled ready with `revents`. Returns whether a
/// result was posted that the reactor must be told of.
fn attempt(shared: &Shared, user_data: u64, revents: i16) -> bool {
    let mut state = shared.lock();
    let Some(pos) = state.waiting.iter().position(|w| w.user_data == user_data) else {
        return false;
    };
    let w = state.waiting[pos];
    if revents & libc::POLLNVAL != 0 {
        state.waiting.swap_remove(pos);
        return shared.post(&mut state, user_data, -libc::EBADF);
    }
    if w.iocb.opcode == Opcode::Poll {
        // Nothing to try: a poll waits for readiness, and that is its result.
        if !w.tried {
            state.waiting[pos].tried = true;
            return false;
        }
        state.waiting.swap_remove(pos);
        return shared.post(&mut state, user_data, i32::from(revents) & 0xffff);
    }
    // Out of `waiting` while it runs; a cancel meanwhile marks `trying`.
    state.waiting.swap_remove(pos);
    state.trying = Some(Trying {
        user_data,
        cancelled: false,
    });
    drop(state);
    #[cfg(test)]
    super::tests::before_try(user_data);
    let result = try_without_blocking(&w);
    let mut state = shared.lock();
    let cancelled = state.trying.take().is_some_and(|t| t.cancelled);
    let result = match result {
        Some(result) if result != -libc::EAGAIN => result,
        // It would block: wait for readiness, unless it was cancelled meanwhile.
        _ if cancelled || state.shutdown => -libc::ECANCELED,
        _ => {
            state.waiting.push(Waiting { tried: true, ..w });
            return false;
        }
    };
    shared.post(&mut state, user_data, result)
}

/// Runs `w`'s read or write without blocking (`RWF_NOWAIT`). `None` when that flag is
/// refused here and the job has not waited for readiness yet; once it has, it runs as is.
fn try_without_blocking(w: &Waiting) -> Option<i32> {
    let mut nowait = w.iocb;
    nowait.rw_flags |= libc::RWF_NOWAIT;
    // SAFETY: the submitter promised (Pool::submit) the iocb's memory outlives the job.
    let result = unsafe { ringaio_core::execute(&nowait) };
    if result != -libc::EOPNOTSUPP && result != -libc::EINVAL {
        return Some(result);
    }
    if !w.tried {
        return None;
    }
    // SAFETY: as above.
    Some(unsafe { ringaio_core::execute(&w.iocb) })
}
