//! The request opcodes ringaio knows, and their raw numbering.

use std::fmt;
use std::io;

/// What an [`Iocb`](crate::Iocb) asks the kernel to do.
///
/// The names follow Linux AIO (`IOCB_CMD_PREAD`, ...) where AIO had the operation and io_uring
/// otherwise. [`Opcode::from_raw`] accepts the stable numbering below; anything else is
/// `EINVAL`, as `io_submit` answers an unknown `aio_lio_opcode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum Opcode {
    /// `pread(2)` into one buffer (`IORING_OP_READ`).
    Pread = 0,
    /// `pwrite(2)` from one buffer (`IORING_OP_WRITE`).
    Pwrite = 1,
    /// `fsync(2)` (`IORING_OP_FSYNC`).
    Fsync = 2,
    /// `fdatasync(2)` (`IORING_OP_FSYNC` with `IORING_FSYNC_DATASYNC`).
    Fdsync = 3,
    /// One-shot `poll(2)` for the events in `Iocb::flags` (`IORING_OP_POLL_ADD`).
    Poll = 5,
    /// Nothing at all; completes with 0 (`IORING_OP_NOP`).
    Noop = 6,
    /// `preadv2(2)` into an iovec array (`IORING_OP_READV`).
    Preadv = 7,
    /// `pwritev2(2)` from an iovec array (`IORING_OP_WRITEV`).
    Pwritev = 8,
    /// `pread` into a registered buffer (`IORING_OP_READ_FIXED`).
    ReadFixed = 16,
    /// `pwrite` from a registered buffer (`IORING_OP_WRITE_FIXED`).
    WriteFixed = 17,
    /// `openat(2)` (`IORING_OP_OPENAT`); the result is the new fd.
    Openat = 18,
    /// `close(2)` (`IORING_OP_CLOSE`).
    Close = 19,
    /// `statx(2)` (`IORING_OP_STATX`).
    Statx = 20,
    /// `fallocate(2)` (`IORING_OP_FALLOCATE`).
    Fallocate = 21,
    /// `unlinkat(2)` (`IORING_OP_UNLINKAT`).
    Unlinkat = 22,
    /// `renameat2(2)` (`IORING_OP_RENAMEAT`).
    Renameat = 23,
    /// `mkdirat(2)` (`IORING_OP_MKDIRAT`).
    Mkdirat = 24,
    /// A relative timer (`IORING_OP_TIMEOUT`); completes with `-ETIME` when it fires.
    Timeout = 25,
    /// Cancel the request whose user data is `Iocb::addr` (`IORING_OP_ASYNC_CANCEL`).
    AsyncCancel = 26,
    /// `ftruncate(2)` to `Iocb::len` bytes (`IORING_OP_FTRUNCATE`, Linux 6.9).
    Ftruncate = 27,
    /// `splice(2)` of `Iocb::len` bytes from the fd `Iocb::fd2` (at the offset `Iocb::addr`,
    /// or its own position for `u64::MAX`) to `Iocb::fd` (at `Iocb::offset`, or its position
    /// for -1); one of the two is a pipe (`IORING_OP_SPLICE`, Linux 5.7).
    Splice = 28,
    /// `copy_file_range(2)` of `Iocb::len` bytes from the fd `Iocb::fd2` at `Iocb::addr` to
    /// `Iocb::fd` at `Iocb::offset`. io_uring has no such opcode: it always runs on the
    /// blocking pool.
    CopyFileRange = 29,
    /// `posix_fadvise(2)`: advice in `Iocb::flags` (`IORING_OP_FADVISE`).
    Fadvise = 40,
    /// `sync_file_range(2)`: flags in `Iocb::flags` (`IORING_OP_SYNC_FILE_RANGE`).
    SyncFileRange = 41,
    /// `symlinkat(2)` (`IORING_OP_SYMLINKAT`, Linux 5.15).
    Symlinkat = 42,
    /// `linkat(2)` (`IORING_OP_LINKAT`, Linux 5.15).
    Linkat = 43,
    /// `socket(2)` (`IORING_OP_SOCKET`, Linux 5.19); the result is the new fd.
    Socket = 44,
    /// `connect(2)` to the `sockaddr` at `addr` of `len` bytes (`IORING_OP_CONNECT`).
    Connect = 45,
    /// `accept4(2)` (`IORING_OP_ACCEPT`); the result is the new fd.
    Accept = 46,
    /// `send(2)` from one buffer (`IORING_OP_SEND`).
    Send = 47,
    /// `recv(2)` into one buffer (`IORING_OP_RECV`).
    Recv = 48,
    /// `sendmsg(2)` of the `msghdr` at `addr` (`IORING_OP_SENDMSG`).
    SendMsg = 49,
    /// `recvmsg(2)` into the `msghdr` at `addr` (`IORING_OP_RECVMSG`).
    RecvMsg = 50,
    /// `shutdown(2)`, `how` in `flags` (`IORING_OP_SHUTDOWN`).
    Shutdown = 51,
    /// Zero-copy `send(2)` (`IORING_OP_SEND_ZC`, Linux 6.0): a result CQE with
    /// `IORING_CQE_F_MORE`, then a notification CQE once the kernel is done with the buffer.
    SendZc = 52,
    /// Multishot `accept4(2)` (`IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`, Linux 5.19):
    /// one CQE per connection, each a new fd, until a CQE without `IORING_CQE_F_MORE`.
    AcceptMulti = 53,
    /// Multishot `recv(2)` into buffers picked from provided buffer ring `buf_index`
    /// (`IORING_OP_RECV` with `IORING_RECV_MULTISHOT`, Linux 6.0): one CQE per message.
    RecvMulti = 54,
    /// Install a real fd for the registered-file slot `Target::Fixed` names
    /// (`IORING_OP_FIXED_FD_INSTALL`, Linux 6.8); the result is the new fd, `O_CLOEXEC`
    /// unless `Iocb::flags` holds `IORING_FIXED_FD_NO_CLOEXEC`. Ring only.
    FixedFdInstall = 55,
    /// A timeout for the request linked before it (`IORING_OP_LINK_TIMEOUT`, Linux 5.5): the
    /// relative `Timespec` at `Iocb::addr`. Only as the second half of a linked pair
    /// (`Reactor::submit_chain`); ring only.
    LinkTimeout = 56,
}

/// What [`Opcode::uring_opcode`] says for an opcode io_uring does not have: beyond every
/// kernel's table, so the probe reports it unsupported and it goes to the blocking pool.
pub(crate) const NO_URING_OPCODE: u8 = u8::MAX;

impl Opcode {
    /// Every opcode, in numbering order.
    pub const ALL: [Opcode; 39] = [
        Opcode::Pread,
        Opcode::Pwrite,
        Opcode::Fsync,
        Opcode::Fdsync,
        Opcode::Poll,
        Opcode::Noop,
        Opcode::Preadv,
        Opcode::Pwritev,
        Opcode::ReadFixed,
        Opcode::WriteFixed,
        Opcode::Openat,
        Opcode::Close,
        Opcode::Statx,
        Opcode::Fallocate,
        Opcode::Unlinkat,
        Opcode::Renameat,
        Opcode::Mkdirat,
        Opcode::Timeout,
        Opcode::AsyncCancel,
        Opcode::Ftruncate,
        Opcode::Splice,
        Opcode::CopyFileRange,
        Opcode::Fadvise,
        Opcode::SyncFileRange,
        Opcode::Symlinkat,
        Opcode::Linkat,
        Opcode::Socket,
        Opcode::Connect,
        Opcode::Accept,
        Opcode::Send,
        Opcode::Recv,
        Opcode::SendMsg,
        Opcode::RecvMsg,
        Opcode::Shutdown,
        Opcode::SendZc,
        Opcode::AcceptMulti,
        Opcode::RecvMulti,
        Opcode::FixedFdInstall,
        Opcode::LinkTimeout,
    ];

    /// The opcode numbered `raw`.
    ///
    /// # Errors
    /// `EINVAL` (`ErrorKind::InvalidInput`) for a number that names no opcode.
    pub fn from_raw(raw: u16) -> io::Result<Opcode> {
        Opcode::ALL
            .iter()
            .copied()
            .find(|op| *op as u16 == raw)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))
    }

    /// The `IORING_OP_*` number the kernel sees for this opcode.
    pub fn uring_opcode(self) -> u8 {
        use io_uring::opcode as op;
        match self {
            Opcode::Pread => op::Read::CODE,
            Opcode::Pwrite => op::Write::CODE,
            Opcode::Fsync | Opcode::Fdsync => op::Fsync::CODE,
            Opcode::Poll => op::PollAdd::CODE,
            Opcode::Noop => op::Nop::CODE,
            Opcode::Preadv => op::Readv::CODE,
            Opcode::Pwritev => op::Writev::CODE,
            Opcode::ReadFixed => op::ReadFixed::CODE,
            Opcode::WriteFixed => op::WriteFixed::CODE,
            Opcode::Openat => op::OpenAt::CODE,
            Opcode::Close => op::Close::CODE,
            Opcode::Statx => op::Statx::CODE,
            Opcode::Fallocate => op::Fallocate::CODE,
            Opcode::Unlinkat => op::UnlinkAt::CODE,
            Opcode::Renameat => op::RenameAt::CODE,
            Opcode::Mkdirat => op::MkDirAt::CODE,
            Opcode::Timeout => op::Timeout::CODE,
            Opcode::AsyncCancel => op::AsyncCancel::CODE,
            Opcode::Ftruncate => op::Ftruncate::CODE,
            Opcode::Splice => op::Splice::CODE,
            Opcode::CopyFileRange => NO_URING_OPCODE,
            Opcode::Fadvise => op::Fadvise::CODE,
            Opcode::SyncFileRange => op::SyncFileRange::CODE,
            Opcode::Symlinkat => op::SymlinkAt::CODE,
            Opcode::Linkat => op::LinkAt::CODE,
            Opcode::Socket => op::Socket::CODE,
            Opcode::Connect => op::Connect::CODE,
            Opcode::Accept | Opcode::AcceptMulti => op::Accept::CODE,
            Opcode::Send => op::Send::CODE,
            Opcode::Recv | Opcode::RecvMulti => op::Recv::CODE,
            Opcode::SendMsg => op::SendMsg::CODE,
            Opcode::RecvMsg => op::RecvMsg::CODE,
            Opcode::Shutdown => op::Shutdown::CODE,
            Opcode::SendZc => op::SendZc::CODE,
            Opcode::FixedFdInstall => op::FixedFdInstall::CODE,
            Opcode::LinkTimeout => op::LinkTimeout::CODE,
        }
    }

    /// Whether the request may name a registered file (`Target::Fixed`) in place of an fd.
    /// (`Close` takes one too, but then closes the registered slot itself.)
    pub fn takes_fixed_file(self) -> bool {
        matches!(
            self,
            Opcode::Pread
                | Opcode::Pwrite
                | Opcode::Preadv
                | Opcode::Pwritev
                | Opcode::ReadFixed
                | Opcode::WriteFixed
                | Opcode::Fsync
                | Opcode::Fdsync
                | Opcode::Poll
                | Opcode::Close
                | Opcode::Fallocate
                | Opcode::Ftruncate
                | Opcode::Fadvise
                | Opcode::SyncFileRange
                | Opcode::Connect
                | Opcode::Accept
                | Opcode::Send
                | Opcode::Recv
                | Opcode::SendMsg
                | Opcode::RecvMsg
                | Opcode::Shutdown
                | Opcode::SendZc
                | Opcode::AcceptMulti
                | Opcode::RecvMulti
                | Opcode::FixedFdInstall
        )
    }

    /// Whether the request can only name a registered file (`FixedFdInstall`).
    pub fn needs_fixed_file(self) -> bool {
        self == Opcode::FixedFdInstall
    }

    /// Whether only the ring can run the request: the blocking pool has no registered-file
    /// table and no linked timeouts.
    pub fn ring_only(self) -> bool {
        matches!(self, Opcode::FixedFdInstall | Opcode::LinkTimeout)
    }

    /// The registered-buffer form of a plain read or write (`ReadFixed` for `Pread`,
    /// `WriteFixed` for `Pwrite`); `None` for every other opcode.
    pub fn with_fixed_buffer(self) -> Option<Opcode> {
        match self {
            Opcode::Pread => Some(Opcode::ReadFixed),
            Opcode::Pwrite => Some(Opcode::WriteFixed),
            _ => None,
        }
    }

    /// Whether the request's result is a new file descriptor that someone must close.
    pub fn returns_fd(self) -> bool {
        matches!(
            self,
            Opcode::Openat
                | Opcode::Socket
                | Opcode::Accept
                | Opcode::AcceptMulti
                | Opcode::FixedFdInstall
        )
    }

    /// Whether one request may complete more than once (CQEs with `IORING_CQE_F_MORE`
    /// before its final one).
    pub fn is_multishot(self) -> bool {
        matches!(
            self,
            Opcode::SendZc | Opcode::AcceptMulti | Opcode::RecvMulti
        )
    }

    /// The readiness (`POLLIN` or `POLLOUT`) a socket request waits for before its call can
    /// go through without blocking; `None` for other requests. (`Connect` is not listed: its
    /// readiness comes only after the call has started the handshake.)
    pub fn socket_readiness(self) -> Option<i16> {
        match self {
            Opcode::Accept
            | Opcode::AcceptMulti
            | Opcode::Recv
            | Opcode::RecvMsg
            | Opcode::RecvMulti => Some(libc::POLLIN),
            Opcode::Send | Opcode::SendMsg | Opcode::SendZc => Some(libc::POLLOUT),
            _ => None,
        }
    }
}

/// A set of opcodes: one bit each (opcode numbers are below 64), so a lookup on the hot path
/// is one test.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct OpSet(u64);

const _: () = {
    let mut i = 0;
    while i < Opcode::ALL.len() {
        assert!((Opcode::ALL[i] as u16) < 64);
        i += 1;
    }
};

impl OpSet {
    /// No opcode.
    pub const EMPTY: OpSet = OpSet(0);

    fn bit(op: Opcode) -> u64 {
        1 << (op as u16 & 63)
    }

    /// Whether `op` is in the set.
    #[inline]
    pub fn contains(self, op: Opcode) -> bool {
        self.0 & OpSet::bit(op) != 0
    }

    /// Adds `op`.
    pub fn insert(&mut self, op: Opcode) {
        self.0 |= OpSet::bit(op);
    }

    /// Removes `op`.
    pub fn remove(&mut self, op: Opcode) {
        self.0 &= !OpSet::bit(op);
    }
}

impl fmt::Debug for OpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(Opcode::ALL.iter().filter(|op| self.contains(**op)))
            .finish()
    }
}

impl fmt::Display for Opcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod op_set_tests {
    use super::*;

    #[test]
    fn every_opcode_has_its_own_bit() {
        let mut set = OpSet::EMPTY;
        for op in Opcode::ALL {
            assert!(!set.contains(op), "{op:?} shares a bit");
            set.insert(op);
        }
        for op in Opcode::ALL {
            set.remove(op);
            assert!(!set.contains(op));
        }
        assert_eq!(set, OpSet::EMPTY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_numbers_round_trip() {
        for op in Opcode::ALL {
            assert_eq!(Opcode::from_raw(op as u16).unwrap(), op);
        }
    }

    #[test]
    fn unknown_raw_opcode_is_einval() {
        for raw in [4u16, 9, 15, 30, 999, u16::MAX] {
            let err = Opcode::from_raw(raw).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
    }
}
