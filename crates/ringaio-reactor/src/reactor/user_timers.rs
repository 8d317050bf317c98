//! Timeouts on the reactor's own timer list: in fallback mode, and on the ring when its
//! in-flight room (budget and timer reserve) is full, so that a timer never waits in the
//! user-space queue behind requests that may never finish (idle pipe or socket reads).

use std::io;
use std::time::Instant;

use ringaio_core::{Iocb, Opcode};

use super::Inner;
use crate::key::Id;
use crate::slots::Route;
use crate::state::KERNEL;
use crate::timers::timespec_duration;

impl Inner {
    /// Whether `iocb` is a timeout the timer list can run as the ring would: relative, with
    /// no completion count and no flags.
    pub(super) fn is_plain_timeout(iocb: &Iocb) -> bool {
        iocb.opcode == Opcode::Timeout && iocb.offset == 0 && iocb.flags == 0
    }

    /// Gives the `Timeout` `iocb` a slot on the timer list. A deadline too far to represent
    /// (`Duration::MAX`, `i64::MAX` seconds) never comes: such a timer ends only by cancel.
    pub(super) fn submit_user_timer(&mut self, iocb: &Iocb, task: u32) -> io::Result<Id> {
        iocb.validate()?;
        // SAFETY: validate() checked the pointer is non-null; the caller keeps it valid.
        let after = unsafe { timespec_duration(iocb.addr) };
        let id = self.slots.insert(iocb, KERNEL, Route::Timer, task);
        if let Some(deadline) = Instant::now().checked_add(after) {
            self.timers.insert(deadline, id);
        }
        Ok(id)
    }
}
