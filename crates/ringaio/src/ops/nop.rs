//! A request that does nothing (`IORING_OP_NOP`): the cost of the machinery itself.

use std::io;

use ringaio_core::Iocb;

use crate::op::Operation;

pub(crate) struct Nop;

// SAFETY: the request points at no memory.
unsafe impl Operation for Nop {
    type Output = io::Result<()>;

    crate::op::abandon_by_leaking!();

    fn iocb(&mut self) -> Iocb {
        Iocb::noop()
    }

    fn complete(self, result: io::Result<u32>) -> io::Result<()> {
        result.map(drop)
    }
}
