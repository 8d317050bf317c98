//! The NOP round trips that the criterion bench (`benches/nop.rs`) and the `nop_count`
//! example both run, written once: the raw io-uring batch and the join of many ringaio
//! futures in one task. Included by both with `#[path]`.

use std::future::Future;
use std::hint::black_box;
use std::io;
use std::pin::Pin;
use std::task::Poll;

use io_uring::{opcode, IoUring};

/// Pushes `batch` NOPs, submits them with one syscall that waits for all, reaps them.
pub(crate) fn raw_round_trip(ring: &mut IoUring, batch: u32) {
    let nop = opcode::Nop::new().build().user_data(0x42);
    {
        let mut sq = ring.submission();
        for _ in 0..batch {
            // SAFETY: a NOP references no memory.
            unsafe { sq.push(&nop) }.expect("the ring has room for a whole batch");
        }
    }
    ring.submit_and_wait(batch as usize)
        .expect("submit_and_wait");
    let mut reaped = 0;
    while reaped < batch {
        for cqe in ring.completion() {
            black_box(cqe.result());
            reaped += 1;
        }
    }
}

/// Polls every future until all are done: the cheapest join for a small batch (no per-future
/// allocation, unlike `join_all` past 30 futures), so the runtime's cost is what is measured.
pub(crate) async fn join_unpin<F>(ops: &mut [Option<F>])
where
    F: Future<Output = io::Result<()>> + Unpin,
{
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for slot in ops.iter_mut() {
            if let Some(op) = slot {
                match Pin::new(op).poll(cx) {
                    Poll::Ready(r) => {
                        black_box(r).expect("nop");
                        *slot = None;
                    }
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await
}
