//! One file per operation, each implementing [`Operation`](crate::op::Operation).

mod close;
mod fadvise;
mod fallocate;
mod fixed;
mod fsync;
mod ftruncate;
mod nop;
mod open;
mod path;
mod read;
mod statx;
mod sync_range;
mod timeout;
mod vectored;
mod write;

pub(crate) use close::Close;
pub(crate) use fadvise::Fadvise;
pub(crate) use fallocate::Fallocate;
pub(crate) use fixed::RwFixed;
pub(crate) use fsync::Fsync;
pub(crate) use ftruncate::Ftruncate;
pub(crate) use nop::Nop;
pub(crate) use open::Open;
pub(crate) use path::PathOp;
pub(crate) use read::Read;
pub(crate) use statx::Statx;
pub(crate) use sync_range::SyncRange;
pub(crate) use timeout::Timeout;
pub(crate) use vectored::{ReadV, WriteV};
pub(crate) use write::Write;
