//! Single-issuer rings enter through a registered ring fd (registered by their first enter):
//! requests still run, each dropped ring gives its slot in the thread's 16-slot table back,
//! and a ring dropped on another thread is only a debug message.

mod common;

use ringaio_core::{Iocb, Ring};

fn single_issuer_ring() -> Option<Ring> {
    match Ring::builder().entries(8).single_issuer(true).build() {
        Ok(ring) => Some(ring),
        Err(e) if ringaio_core::is_unavailable(&e) => {
            common::skip(e);
            None
        }
        Err(e) => panic!("ring setup: {e}"),
    }
}

fn nops_round_trip(ring: &mut Ring, n: u64) {
    for i in 0..n {
        let sqe = ringaio_core::to_sqe(&Iocb::noop().with_data(i)).expect("sqe");
        // SAFETY: a no-op points at no memory.
        unsafe { ring.push(&sqe) }.expect("push");
    }
    ring.submit_and_wait(n as usize, None).expect("submit");
    let mut seen = Vec::new();
    ring.drain(|c| {
        assert_eq!(c.result, 0);
        seen.push(c.user_data);
    });
    assert_eq!(seen, (0..n).collect::<Vec<u64>>());
}

#[test]
fn registered_rings_run_requests_and_give_their_slot_back() {
    let Some(mut first) = single_issuer_ring() else {
        return;
    };
    // Registered by the first enter, in the entering thread's table.
    first.submit().expect("first enter");
    if !first.ring_fd_registered() {
        return common::skip("IORING_REGISTER_RING_FDS not taken here (Linux 5.18+)");
    }
    drop(first);
    // More rings, one after another, than the thread's table has slots: each drop must
    // unregister, or the 17th would enter through its plain fd.
    for round in 0..40 {
        let mut ring = single_issuer_ring().expect("ring");
        nops_round_trip(&mut ring, 8);
        assert!(ring.ring_fd_registered(), "ring {round} not registered");
        ring.submit().expect("submit with nothing queued");
    }
}

#[test]
fn a_ring_dropped_on_another_thread_is_not_entered_there() {
    let Some(mut ring) = single_issuer_ring() else {
        return;
    };
    nops_round_trip(&mut ring, 4);
    std::thread::spawn(move || {
        assert!(
            !ring.ring_fd_registered(),
            "the index belongs to the building thread's table"
        );
        drop(ring);
    })
    .join()
    .expect("thread");
    // This thread's table still works for new rings.
    let mut again = single_issuer_ring().expect("ring");
    nops_round_trip(&mut again, 4);
}
