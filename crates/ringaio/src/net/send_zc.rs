//! Zero-copy send: the buffer comes back after the kernel's notification, not its result.

use std::future::poll_fn;
use std::io;
use std::task::Poll;

use ringaio_core::cqe_result;

use crate::buf::IoBuf;
use crate::fd::SharedFd;
use crate::multi::{Multi, Shot};
use crate::ops;

/// `IORING_CQE_F_NOTIF`: the completion says the kernel is done with the buffer.
const CQE_F_NOTIF: u32 = 1 << 3;

/// Sends `buf`'s initialized bytes with `IORING_OP_SEND_ZC` and gives the buffer back once
/// the kernel's notification says it no longer reads it.
pub(crate) async fn send_zc<B: IoBuf>(fd: &SharedFd, buf: B) -> (io::Result<usize>, B) {
    let mut multi = Multi::new(ops::SendZc::new(fd, buf));
    // The result completion comes first (with `F_MORE`), the notification last; where only
    // one comes (an error, or the pool's plain send), it carries the result.
    let mut result = None;
    let last = poll_fn(|cx| loop {
        match multi.poll_shot(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Ready(Ok(Shot::More(o))) => {
                if o.flags & CQE_F_NOTIF == 0 {
                    result = Some(o.result);
                }
            }
            Poll::Ready(Ok(Shot::Final(o))) => return Poll::Ready(Ok(o)),
        }
    })
    .await;
    let res = last.and_then(|o| {
        let raw = match result {
            Some(sent) if o.flags & CQE_F_NOTIF != 0 => sent,
            _ => o.result,
        };
        cqe_result(raw).map(|n| n as usize)
    });
    match multi.into_data() {
        Some(op) => (res, op.buf),
        // Not armed after its final completion or a failed submission: the data is there.
        None => unreachable!("zero-copy send finished while still armed"),
    }
}
