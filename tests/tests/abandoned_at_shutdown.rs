//! A future whose request shutdown gave up on (past `shutdown_timeout`) stayed `Pending` for
//! ever when polled after the runtime was gone (issue 13). It now resolves with an error
//! when its output can be made without the request's memory (which stays leaked): opens,
//! timers, syncs, no-ops. Operations that hand a buffer back cannot be answered soundly
//! (the kernel may still write into it) and stay pending, their buffer leaked.

use std::pin::pin;
use std::time::Duration;

use ringaio::fs::File;
use ringaio::{Backend, Runtime};
use ringaio_tests::TempPath;

#[test]
fn given_up_requests_resolve_with_an_error() {
    for backend in [Backend::Uring, Backend::Fallback] {
        let rt = Runtime::builder()
            .backend(backend)
            .shutdown_timeout(Duration::ZERO)
            .build()
            .expect("runtime");
        let dir = TempPath::new(std::env::temp_dir(), "abandoned");
        std::fs::create_dir_all(dir.path()).expect("dir");
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // An open of a FIFO with no writer blocks; a sleep that would take an hour.
        let mut open = pin!(File::open(&fifo));
        let mut sleep = pin!(ringaio::time::sleep(Duration::from_secs(3600)));
        rt.block_on(async {
            assert!(futures::poll!(open.as_mut()).is_pending());
            assert!(futures::poll!(sleep.as_mut()).is_pending());
        });
        // No time to wait: shutdown gives up on both at once.
        drop(rt);
        // The pool may have ended the open by its cancel before shutdown gave up (which
        // pokes the FIFO, so the open may even win the race): any answer, never a hang.
        let fallback =
            backend == Backend::Fallback || std::env::var_os("RINGAIO_BACKEND").is_some();
        match futures::executor::block_on(open) {
            Ok(_) => assert!(
                fallback,
                "{backend:?}: the open was given up on, yet succeeded"
            ),
            Err(err) => assert!(
                err.to_string().contains("shut down")
                    || err.raw_os_error() == Some(libc::ECANCELED),
                "{backend:?}: {err}"
            ),
        }
        let slept = futures::executor::block_on(sleep);
        let err = slept.expect_err("the sleep was given up on");
        assert!(
            err.to_string().contains("shut down") || err.raw_os_error() == Some(libc::ECANCELED),
            "{backend:?}: {err}"
        );
    }
}
