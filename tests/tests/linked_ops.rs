//! Linked operations (issue 18): steps run in order in one batch on the ring and one by one
//! on the fallback, with the kernel's rules on both: a failed step (an error, or a short
//! read or write) cancels the rest, unless marked `always`; every step's buffer comes back;
//! a per-step timeout gives `TimedOut` and the buffer.

use std::future::Future;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::link;
use ringaio_tests::{runtime, TempPath, BACKENDS};

#[test]
fn steps_run_in_order_and_give_their_buffers_back() {
    for backend in BACKENDS {
        let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "link-order");
        runtime(backend).block_on(async {
            let file = File::options()
                .read(true)
                .write(true)
                .create(true)
                .open(tmp.path())
                .await
                .unwrap();
            // The read is linked after the write: it sees the written bytes.
            let ((w, wbuf), (r, rbuf)) = link::link(
                link::write_at(&file, b"chained".to_vec(), 0),
                link::read_at(&file, Vec::with_capacity(7), 0),
            )
            .await;
            assert_eq!(w.unwrap(), 7, "{backend:?}");
            assert_eq!(wbuf, b"chained");
            assert_eq!(r.unwrap(), 7);
            assert_eq!(rbuf, b"chained");
            let (a, b, c) = link::link3(link::nop(), link::sync_all(&file), link::nop()).await;
            a.unwrap();
            b.unwrap();
            c.unwrap();
        });
    }
}

#[test]
fn a_failed_step_cancels_the_rest_unless_always() {
    for backend in BACKENDS {
        let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "link-fail");
        std::fs::write(tmp.path(), b"0123").unwrap();
        runtime(backend).block_on(async {
            let ro = File::open(tmp.path()).await.unwrap();
            let ((w, wbuf), (r, rbuf), n) = link::link3(
                link::write_at(&ro, b"xx".to_vec(), 0),
                link::read_at(&ro, Vec::with_capacity(4), 0),
                link::nop(),
            )
            .await;
            assert_eq!(
                w.unwrap_err().raw_os_error(),
                Some(libc::EBADF),
                "{backend:?}"
            );
            assert_eq!(wbuf, b"xx");
            assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
            assert_eq!(rbuf.capacity(), 4);
            assert_eq!(n.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
            // A short read breaks a plain link ...
            let ((r, _), after) =
                link::link(link::read_at(&ro, Vec::with_capacity(64), 0), link::nop()).await;
            assert_eq!(r.unwrap(), 4);
            assert_eq!(after.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
            // ... but not an `always` one.
            let ((w, _), after) = link::link(
                link::write_at(&ro, b"xx".to_vec(), 0).always(),
                link::read_at(&ro, Vec::with_capacity(4), 0),
            )
            .await;
            assert!(w.is_err());
            let (r, buf) = after;
            assert_eq!(r.unwrap(), 4, "{backend:?}");
            assert_eq!(buf, b"0123");
        });
    }
}

#[test]
fn a_step_timeout_gives_timed_out_and_the_buffer() {
    for backend in BACKENDS {
        let (sock, _peer) = std::os::unix::net::UnixStream::pair().unwrap();
        runtime(backend).block_on(async {
            let quiet = File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(sock)));
            let ((r, buf), after) = link::link(
                link::read_at(&quiet, vec![0u8; 32], 0).timeout(Duration::from_millis(5)),
                link::nop(),
            )
            .await;
            assert_eq!(
                r.unwrap_err().kind(),
                std::io::ErrorKind::TimedOut,
                "{backend:?}"
            );
            assert_eq!(buf.capacity(), 32);
            assert_eq!(after.unwrap_err().raw_os_error(), Some(libc::ECANCELED));
            // A step that finishes first is unaffected by its timeout.
            link::nop().timeout(Duration::from_secs(60)).await.unwrap();
        });
    }
}

#[test]
fn dropping_a_chain_midway_keeps_the_buffers_until_the_kernel_is_done() {
    for backend in BACKENDS {
        let (sock, peer) = std::os::unix::net::UnixStream::pair().unwrap();
        let rt = runtime(backend);
        rt.block_on(async {
            let quiet = File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(sock)));
            let chain = link::link(
                link::read_at(&quiet, vec![0u8; 32], 0),
                link::read_at(&quiet, vec![0u8; 32], 0),
            );
            let mut chain = Box::pin(chain);
            let polled = std::future::poll_fn(|cx| {
                std::task::Poll::Ready(chain.as_mut().poll(cx).is_pending())
            })
            .await;
            assert!(polled, "nothing to read yet");
            drop(chain);
            // The reactor cancels and reaps both; nothing hangs or leaks.
            ringaio::nop().await.unwrap();
        });
        drop(peer);
        drop(rt);
    }
}
