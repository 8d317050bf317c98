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
