//! The pool on its own: cancels racing the poller, and closures on their lane.

use super::*;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ringaio_core::Target;

/// The job [`before_try`] acts on (0: none), and what it does then.
static HOOKED: AtomicU64 = AtomicU64::new(0);
type Hook = Box<dyn FnMut() + Send>;
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);
/// Held by each test that installs a hook: one at a time.
static HOOKING: Mutex<()> = Mutex::new(());

/// Called by the poller between taking a job out of `waiting` and trying its syscall.
pub(super) fn before_try(user_data: u64) {
    if HOOKED.load(Ordering::SeqCst) != user_data {
        return;
    }
    if let Some(hook) = HOOK.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        hook();
    }
}

fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: pipe2 succeeded, so both are fresh fds that nothing else owns.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// Waits (bounded) for `user_data`'s result.
fn result_of(pool: &Pool, user_data: u64) -> Option<i32> {
    let mut done = Vec::new();
    for _ in 0..5_000 {
        pool.take_done(&mut done);
        if let Some(&(_, res)) = done.iter().find(|(u, _)| *u == user_data) {
            return Some(res);
        }
        thread::sleep(Duration::from_millis(1));
    }
    None
}

/// A cancel that arrives while the poller tries a job whose data another reader took
/// (EAGAIN, so the job goes back to waiting) must not be lost: the job ends with ECANCELED.
/// Before the fix it was re-queued as if never cancelled and stayed until shutdown, its
/// buffer held by the reactor all that time.
#[test]
fn cancel_during_a_retry_is_not_lost() {
    const JOB: u64 = 0x5eed;
    let _one_at_a_time = HOOKING.lock().unwrap_or_else(|e| e.into_inner());
    for _ in 0..50 {
        let mut pool = Pool::new(2, Notifier::new().expect("eventfd"));
        let (rd, wr) = pipe();
        // SAFETY: writes one byte from a live array.
        let wrote = unsafe { libc::write(wr.as_raw_fd(), b"x".as_ptr().cast(), 1) };
        assert_eq!(wrote, 1);
        let shared = pool.shared.clone();
        let rfd = rd.as_raw_fd();
        *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(move || {
            // Another reader takes the byte, then the job's owner cancels it.
            let mut b = [0u8; 1];
            // SAFETY: reads one byte into a live array.
            unsafe { libc::read(rfd, b.as_mut_ptr().cast(), 1) };
            shared.cancel(JOB);
        }));
        HOOKED.store(JOB, Ordering::SeqCst);
        let mut buf = Box::new([0u8; 8]);
        let iocb = Iocb::pread(Target::Fd(rd.as_raw_fd()), buf.as_mut_ptr(), 8, 0);
        // SAFETY: `buf` outlives the job: the pool is shut down (and the job over) below.
        unsafe { pool.submit(JOB, iocb) };
        let result = result_of(&pool, JOB);
        HOOKED.store(0, Ordering::SeqCst);
        assert!(
            pool.shutdown(Duration::from_secs(5)),
            "the pool's threads exit"
        );
        assert_eq!(result, Some(-libc::ECANCELED), "the cancel was lost");
        drop(wr);
    }
}

/// Closures run on their own lane and report 0; one that panics is reported (-EIO) and does
/// not take its thread down; a queued one that is cancelled is dropped without running.
#[test]
fn closures_run_panic_and_cancel() {
    let mut pool = Pool::new(1, Notifier::new().expect("eventfd"));
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    pool.submit_call(
        1,
        Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_eq!(result_of(&pool, 1), Some(0));
    pool.submit_call(2, Box::new(|| panic!("a closure panics")));
    assert_eq!(result_of(&pool, 2), Some(-libc::EIO));
    let r = ran.clone();
    pool.submit_call(
        3,
        Box::new(move || {
            r.fetch_add(1, Ordering::SeqCst);
        }),
    );
    assert_eq!(result_of(&pool, 3), Some(0), "the lane survived the panic");
    assert_eq!(ran.load(Ordering::SeqCst), 2);

    // Hold every closure thread, then cancel one more that is queued behind them.
    let gate = Arc::new((Mutex::new(false), Condvar::new()));
    for i in 0..CALL_THREADS as u64 {
        let gate = gate.clone();
        pool.submit_call(
            100 + i,
            Box::new(move || {
                let (open, cv) = &*gate;
                let mut open = open.lock().unwrap_or_else(|e| e.into_inner());
                while !*open {
                    open = cv.wait(open).unwrap_or_else(|e| e.into_inner());
                }
            }),
        );
    }
    let dropped = Arc::new(());
    let held = dropped.clone();
    let r = ran.clone();
    pool.submit_call(
        4,
        Box::new(move || {
            let _held = held;
            r.fetch_add(1, Ordering::SeqCst);
        }),
    );
    pool.cancel(4);
    assert_eq!(result_of(&pool, 4), Some(-libc::ECANCELED));
    assert_eq!(
        Arc::strong_count(&dropped),
        1,
        "the cancelled closure was dropped"
    );
    {
        let (open, cv) = &*gate;
        *open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
    }
    assert!(
        pool.shutdown(Duration::from_secs(5)),
        "the pool's threads exit"
    );
    assert_eq!(
        ran.load(Ordering::SeqCst),
        2,
        "the cancelled closure never ran"
    );
}

/// The same race through the reactor, with a drop-counting buffer: a read of a pipe whose
/// byte another reader takes while the poller tries it is released (its future dropped)
/// right then. The buffer must be freed once the cancel lands; before the fix the read went
/// back to waiting and the reactor held the buffer for good.
#[test]
fn released_read_frees_its_buffer_when_cancelled_during_a_retry() {
    use std::sync::mpsc;

    use crate::key::Id;
    use crate::{Backend, Config, Reactor};

    let _one_at_a_time = HOOKING.lock().unwrap_or_else(|e| e.into_inner());
    let reactor = Reactor::new(&Config {
        backend: Backend::Fallback,
        ..Config::default()
    })
    .expect("reactor");
    let (rd, wr) = pipe();
    // SAFETY: writes one byte from a live array.
    let wrote = unsafe { libc::write(wr.as_raw_fd(), b"x".as_ptr().cast(), 1) };
    assert_eq!(wrote, 1);
    let alive = Arc::new(());
    let mut buf = (alive.clone(), vec![0u8; 8]);
    let iocb = Iocb::pread(Target::Fd(rd.as_raw_fd()), buf.1.as_mut_ptr(), 8, 0);
    // The poller tells us when it is about to try the read, and waits for our release.
    let (trying_tx, trying_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let rfd = rd.as_raw_fd();
    // A fresh reactor's first request takes slot 0 at generation 1: hook it before the
    // poller can see it.
    let hooked = Id::new(0, 1).user_data();
    *HOOK.lock().unwrap_or_else(|e| e.into_inner()) = Some(Box::new(move || {
        let mut b = [0u8; 1];
        // SAFETY: reads one byte into a live array.
        unsafe { libc::read(rfd, b.as_mut_ptr().cast(), 1) };
        let _ = trying_tx.send(());
        let _ = go_rx.recv_timeout(Duration::from_secs(10));
    }));
    HOOKED.store(hooked, Ordering::SeqCst);
    // SAFETY: `buf` is handed to the reactor by `release` below, before it could be freed.
    let key = unsafe { reactor.submit(&iocb) }.expect("submit");
    assert_eq!(key.id().user_data(), hooked, "the first request's slot");
    trying_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the poller tries the read");
    reactor.release(key, buf);
    let _ = go_tx.send(());
    let mut freed = false;
    for _ in 0..2_000 {
        let _ = reactor.park(Some(Duration::from_millis(5)));
        if Arc::strong_count(&alive) == 1 {
            freed = true;
            break;
        }
    }
    HOOKED.store(0, Ordering::SeqCst);
    assert!(
        freed,
        "the released read still holds its buffer: the cancel was lost"
    );
    drop(wr);
}
