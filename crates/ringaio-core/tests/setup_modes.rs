//! The ring builder's flag ladder: every tier it can land on runs requests in order, whatever
//! flags this kernel takes (`NO_SQARRAY` changes how the kernel finds SQEs).

mod common;

use ringaio_core::{Iocb, Ring};

#[test]
fn the_fastest_mode_this_kernel_takes_runs_batches_in_order() {
    let ring = match Ring::builder().entries(8).single_issuer(true).build() {
        Ok(ring) => ring,
        Err(e) if ringaio_core::is_unavailable(&e) => return common::skip(e),
        Err(e) => panic!("ring setup: {e}"),
    };
    let mode = ring.mode();
    if !mode.no_sqarray {
        common::skip(format_args!(
            "IORING_SETUP_NO_SQARRAY not taken here (Linux 6.6+): mode {mode:?}"
        ));
    }
    assert!(!mode.no_sqarray || mode.defer_taskrun, "{mode:?}");
    let mut ring = ring;
    let mut seen = Vec::new();
    // Three times the SQ size, so the SQ wraps around twice.
    for round in 0..3u64 {
        for i in 0..8u64 {
            let sqe = ringaio_core::to_sqe(&Iocb::noop().with_data(round * 8 + i)).expect("sqe");
            // SAFETY: a no-op points at no memory.
            unsafe { ring.push(&sqe) }.expect("push");
        }
        ring.submit_and_wait(8, None).expect("submit");
        ring.drain(|c| {
            assert_eq!(c.result, 0);
            seen.push(c.user_data);
        });
    }
    assert_eq!(seen, (0..24).collect::<Vec<u64>>());
}

/// With SQPOLL a full SQ used to spin on `submit` until the kernel's poller took entries:
/// now it waits for room (IORING_ENTER_SQ_WAIT). Ten times the SQ size through `push`.
#[test]
fn sqpoll_pushes_past_a_full_sq() {
    let mut ring = match Ring::builder()
        .entries(4)
        .sqpoll(std::time::Duration::from_millis(10))
        .build()
    {
        Ok(ring) => ring,
        Err(e) => return common::skip(format_args!("SQPOLL ring: {e}")),
    };
    if !ring.mode().sqpoll {
        return common::skip("SQPOLL not taken here");
    }
    let mut seen = Vec::new();
    for i in 0..40u64 {
        let sqe = ringaio_core::to_sqe(&Iocb::noop().with_data(i)).expect("sqe");
        // SAFETY: a no-op points at no memory.
        unsafe { ring.push(&sqe) }.expect("push");
        ring.drain(|c| seen.push(c.user_data));
    }
    let start = std::time::Instant::now();
    while seen.len() < 40 {
        assert!(start.elapsed() < std::time::Duration::from_secs(60), "hang");
        ring.submit_and_wait(1, Some(std::time::Duration::from_millis(20)))
            .expect("wait");
        ring.drain(|c| seen.push(c.user_data));
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..40).collect::<Vec<u64>>());
}
