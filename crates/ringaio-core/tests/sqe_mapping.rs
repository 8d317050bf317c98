//! `to_sqe` fills each opcode's SQE as the kernel's `io_uring_sqe` layout expects, field by
//! field, and leaves every other field zero (the kernel refuses stray values with EINVAL).
//!
//! The expected numbers are the kernel's (`include/uapi/linux/io_uring.h`), written out here
//! rather than taken from the io-uring crate, so that the test checks the mapping, not itself.

use std::io;
use std::mem::{offset_of, size_of};

use ringaio_core::Timespec;
use ringaio_core::{to_sqe, Iocb, Opcode, RawSqe, Target};

const IORING_OP_NOP: u8 = 0;
const IORING_OP_READV: u8 = 1;
const IORING_OP_WRITEV: u8 = 2;
const IORING_OP_FSYNC: u8 = 3;
const IORING_OP_READ_FIXED: u8 = 4;
const IORING_OP_WRITE_FIXED: u8 = 5;
const IORING_OP_POLL_ADD: u8 = 6;
const IORING_OP_TIMEOUT: u8 = 11;
const IORING_OP_ASYNC_CANCEL: u8 = 14;
const IORING_OP_FALLOCATE: u8 = 17;
const IORING_OP_OPENAT: u8 = 18;
const IORING_OP_CLOSE: u8 = 19;
const IORING_OP_STATX: u8 = 21;
const IORING_OP_READ: u8 = 22;
const IORING_OP_WRITE: u8 = 23;
const IORING_OP_RENAMEAT: u8 = 35;
const IORING_OP_UNLINKAT: u8 = 36;
const IORING_OP_MKDIRAT: u8 = 37;
const IORING_OP_FTRUNCATE: u8 = 55;
const IORING_OP_FIXED_FD_INSTALL: u8 = 54;
const IORING_OP_LINK_TIMEOUT: u8 = 15;
/// `IOSQE_FIXED_FILE`.
const FIXED_FILE: u8 = 1;
const IORING_OP_SPLICE: u8 = 30;
/// What `CopyFileRange` says it is: no kernel has opcode 255, so the probe sends it to the
/// blocking pool.
const NO_URING_OPCODE: u8 = 255;
/// `SPLICE_F_MOVE | SPLICE_F_NONBLOCK`.
const SPLICE_FLAGS: u32 = 1 | 2;
const IORING_OP_SYNC_FILE_RANGE: u8 = 8;
const IORING_OP_FADVISE: u8 = 24;
const IORING_OP_SYMLINKAT: u8 = 38;
const IORING_OP_LINKAT: u8 = 39;
const IORING_OP_SENDMSG: u8 = 9;
const IORING_OP_RECVMSG: u8 = 10;
const IORING_OP_ACCEPT: u8 = 13;
const IORING_OP_CONNECT: u8 = 16;
const IORING_OP_SEND: u8 = 26;
const IORING_OP_RECV: u8 = 27;
const IORING_OP_SHUTDOWN: u8 = 34;
const IORING_OP_SOCKET: u8 = 45;
const IORING_OP_SEND_ZC: u8 = 47;
/// `IOSQE_BUFFER_SELECT`.
const IOSQE_BUFFER_SELECT: u8 = 1 << 5;
/// `IORING_ACCEPT_MULTISHOT`, in `ioprio`.
const IORING_ACCEPT_MULTISHOT: u16 = 1;
/// `IORING_RECV_MULTISHOT`, in `ioprio`.
const IORING_RECV_MULTISHOT: u16 = 1 << 1;

/// `IOSQE_FIXED_FILE`.
const IOSQE_FIXED_FILE: u8 = 1;
/// `IORING_FSYNC_DATASYNC`.
const IORING_FSYNC_DATASYNC: u32 = 1;
/// `IORING_TIMEOUT_ABS`.
const IORING_TIMEOUT_ABS: u32 = 1;

// The layout of `struct io_uring_sqe` that `RawSqe` mirrors.
const _: () = assert!(size_of::<RawSqe>() == 64);
const _: () = assert!(offset_of!(RawSqe, opcode) == 0);
const _: () = assert!(offset_of!(RawSqe, flags) == 1);
const _: () = assert!(offset_of!(RawSqe, ioprio) == 2);
const _: () = assert!(offset_of!(RawSqe, fd) == 4);
const _: () = assert!(offset_of!(RawSqe, off) == 8);
const _: () = assert!(offset_of!(RawSqe, addr) == 16);
const _: () = assert!(offset_of!(RawSqe, len) == 24);
const _: () = assert!(offset_of!(RawSqe, op_flags) == 28);
const _: () = assert!(offset_of!(RawSqe, user_data) == 32);
const _: () = assert!(offset_of!(RawSqe, buf_index) == 40);
const _: () = assert!(offset_of!(RawSqe, personality) == 42);
const _: () = assert!(offset_of!(RawSqe, file_index) == 44);
const _: () = assert!(offset_of!(RawSqe, tail) == 48);
// What requests point the kernel at.
const _: () = assert!(size_of::<libc::statx>() == 256);
const _: () = assert!(size_of::<libc::iovec>() == 16);
const _: () = assert!(size_of::<Timespec>() == 16);
const _: () = assert!(size_of::<Opcode>() == 2);

/// Compares every field, naming the opcode and field that differ.
fn assert_sqe(iocb: &Iocb, want: RawSqe) -> io::Result<()> {
    let got = RawSqe::of(&to_sqe(iocb)?);
    let op = iocb.opcode;
    assert_eq!(got.opcode, want.opcode, "{op}: opcode");
    assert_eq!(got.flags, want.flags, "{op}: flags");
    assert_eq!(got.ioprio, want.ioprio, "{op}: ioprio");
    assert_eq!(got.fd, want.fd, "{op}: fd");
    assert_eq!(got.off, want.off, "{op}: off");
    assert_eq!(got.addr, want.addr, "{op}: addr");
    assert_eq!(got.len, want.len, "{op}: len");
    assert_eq!(got.op_flags, want.op_flags, "{op}: op_flags");
    assert_eq!(got.user_data, want.user_data, "{op}: user_data");
    assert_eq!(got.buf_index, want.buf_index, "{op}: buf_index");
    assert_eq!(got.personality, want.personality, "{op}: personality");
    assert_eq!(got.file_index, want.file_index, "{op}: file_index");
    assert_eq!(got.tail, want.tail, "{op}: addr3 and padding");
    Ok(())
}

/// Stand-in addresses: `to_sqe` never dereferences them.
const BUF: u64 = 0x7000_1000;
const PATH: u64 = 0x7000_2000;
const PATH2: u64 = 0x7000_3000;

fn with_addrs(mut iocb: Iocb, addr: u64, addr2: u64) -> Iocb {
    iocb.addr = addr;
    iocb.addr2 = addr2;
    iocb
}

/// One iocb of each opcode with distinct field values, and the SQE the kernel must see.
fn cases() -> Vec<(Iocb, RawSqe)> {
    let fd = Target::Fd(5);
    let buf = BUF as usize as *mut u8;
    let iov = BUF as usize as *const libc::iovec;
    let ts = BUF as usize as *const Timespec;
    let path = c"stand-in, replaced by PATH";
    let rw = |mut iocb: Iocb, opcode: u8, len: u32| {
        iocb.ioprio = 3;
        let iocb = iocb.with_rw_flags(libc::RWF_HIPRI).with_data(0xdead_beef);
        let sqe = RawSqe {
            opcode,
            ioprio: 3,
            fd: 5,
            off: 4096,
            addr: BUF,
            len,
            op_flags: libc::RWF_HIPRI as u32,
            user_data: 0xdead_beef,
            ..RawSqe::default()
        };
        (iocb, sqe)
    };
    let plain = |iocb: Iocb, sqe: RawSqe| {
        let data = 100 + iocb.opcode as u64;
        (
            iocb.with_data(data),
            RawSqe {
                user_data: data,
                ..sqe
            },
        )
    };

    let mut timeout = Iocb::timeout(ts);
    timeout.flags = IORING_TIMEOUT_ABS;
    timeout.offset = 2;
    let (read_fixed, mut read_fixed_sqe) = rw(
        Iocb::read_fixed(fd, buf, 512, 4096, 9),
        IORING_OP_READ_FIXED,
        512,
    );
    read_fixed_sqe.buf_index = 9;
    let (write_fixed, mut write_fixed_sqe) = rw(
        Iocb::write_fixed(fd, buf, 512, 4096, 9),
        IORING_OP_WRITE_FIXED,
        512,
    );
    write_fixed_sqe.buf_index = 9;

    vec![
        plain(
            Iocb::noop(),
            RawSqe {
                opcode: IORING_OP_NOP,
                fd: -1,
                ..RawSqe::default()
            },
        ),
        rw(Iocb::pread(fd, buf, 512, 4096), IORING_OP_READ, 512),
        rw(Iocb::pwrite(fd, buf, 512, 4096), IORING_OP_WRITE, 512),
        rw(Iocb::preadv(fd, iov, 3, 4096), IORING_OP_READV, 3),
        rw(Iocb::pwritev(fd, iov, 3, 4096), IORING_OP_WRITEV, 3),
        (read_fixed, read_fixed_sqe),
        (write_fixed, write_fixed_sqe),
        plain(
            Iocb::fsync(fd, false),
            RawSqe {
                opcode: IORING_OP_FSYNC,
                fd: 5,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::fsync(fd, true),
            RawSqe {
                opcode: IORING_OP_FSYNC,
                fd: 5,
                op_flags: IORING_FSYNC_DATASYNC,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::poll(fd, (libc::POLLIN | libc::POLLPRI) as u32),
            RawSqe {
                opcode: IORING_OP_POLL_ADD,
                fd: 5,
                // poll32_events, in the kernel's (little-endian here) layout.
                op_flags: (libc::POLLIN | libc::POLLPRI) as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(
                Iocb::openat(7, path, libc::O_CREAT | libc::O_RDWR, 0o640),
                PATH,
                0,
            ),
            RawSqe {
                opcode: IORING_OP_OPENAT,
                fd: 7,
                addr: PATH,
                len: 0o640,
                op_flags: (libc::O_CREAT | libc::O_RDWR) as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::close(fd),
            RawSqe {
                opcode: IORING_OP_CLOSE,
                fd: 5,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(
                Iocb::statx(
                    7,
                    path,
                    libc::AT_SYMLINK_NOFOLLOW,
                    libc::STATX_SIZE,
                    std::ptr::null_mut(),
                ),
                PATH,
                BUF,
            ),
            RawSqe {
                opcode: IORING_OP_STATX,
                fd: 7,
                addr: PATH,
                // The statx buffer goes in `addr2`, which shares `off`.
                off: BUF,
                len: libc::STATX_SIZE,
                op_flags: libc::AT_SYMLINK_NOFOLLOW as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::fallocate(fd, libc::FALLOC_FL_KEEP_SIZE, 4096, 1 << 40),
            RawSqe {
                opcode: IORING_OP_FALLOCATE,
                fd: 5,
                off: 4096,
                // The kernel reads the length from `addr` and the mode from `len`.
                addr: 1 << 40,
                len: libc::FALLOC_FL_KEEP_SIZE as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(Iocb::unlinkat(7, path, libc::AT_REMOVEDIR), PATH, 0),
            RawSqe {
                opcode: IORING_OP_UNLINKAT,
                fd: 7,
                addr: PATH,
                op_flags: libc::AT_REMOVEDIR as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::fadvise(fd, 4096, 1 << 20, libc::POSIX_FADV_SEQUENTIAL),
            RawSqe {
                opcode: IORING_OP_FADVISE,
                fd: 5,
                off: 4096,
                len: 1 << 20,
                op_flags: libc::POSIX_FADV_SEQUENTIAL as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::sync_file_range(fd, 8192, 1 << 16, libc::SYNC_FILE_RANGE_WRITE),
            RawSqe {
                opcode: IORING_OP_SYNC_FILE_RANGE,
                fd: 5,
                off: 8192,
                len: 1 << 16,
                op_flags: libc::SYNC_FILE_RANGE_WRITE,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(Iocb::symlinkat(path, 7, path), PATH, PATH2),
            RawSqe {
                opcode: IORING_OP_SYMLINKAT,
                // The target in `addr`, the link's path in `addr2` (= `off`).
                fd: 7,
                addr: PATH,
                off: PATH2,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(
                Iocb::linkat(7, path, 8, path, libc::AT_SYMLINK_FOLLOW),
                PATH,
                PATH2,
            ),
            RawSqe {
                opcode: IORING_OP_LINKAT,
                fd: 7,
                addr: PATH,
                // As renameat: the new directory fd in `len`, the new path in `addr2`.
                len: 8,
                off: PATH2,
                op_flags: libc::AT_SYMLINK_FOLLOW as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(
                Iocb::renameat(7, path, 8, path, libc::RENAME_NOREPLACE),
                PATH,
                PATH2,
            ),
            RawSqe {
                opcode: IORING_OP_RENAMEAT,
                fd: 7,
                addr: PATH,
                // The new directory fd goes in `len`, the new path in `addr2` (= `off`).
                len: 8,
                off: PATH2,
                op_flags: libc::RENAME_NOREPLACE,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(Iocb::mkdirat(7, path, 0o755), PATH, 0),
            RawSqe {
                opcode: IORING_OP_MKDIRAT,
                fd: 7,
                addr: PATH,
                len: 0o755,
                ..RawSqe::default()
            },
        ),
        plain(
            timeout,
            RawSqe {
                opcode: IORING_OP_TIMEOUT,
                fd: -1,
                addr: BUF,
                // One timespec; `off` is the completion count (`Iocb::offset`).
                len: 1,
                off: 2,
                op_flags: IORING_TIMEOUT_ABS,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::ftruncate(fd, 1 << 33),
            RawSqe {
                opcode: IORING_OP_FTRUNCATE,
                fd: 5,
                // The kernel reads the length from `off`.
                off: 1 << 33,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::splice(7, Some(1 << 20), fd, Some(4096), 65536, SPLICE_FLAGS),
            RawSqe {
                opcode: IORING_OP_SPLICE,
                fd: 5,
                off: 4096,
                // splice_off_in shares `addr`, splice_fd_in the last union.
                addr: 1 << 20,
                len: 65536,
                op_flags: SPLICE_FLAGS,
                file_index: 7,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::copy_file_range(7, 1 << 20, fd, 4096, 65536),
            RawSqe {
                opcode: NO_URING_OPCODE,
                fd: -1,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::async_cancel(0x1234_5678_9abc),
            RawSqe {
                opcode: IORING_OP_ASYNC_CANCEL,
                fd: -1,
                addr: 0x1234_5678_9abc,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_NONBLOCK, 6),
            RawSqe {
                opcode: IORING_OP_SOCKET,
                // domain in `fd`, type in `off`, protocol in `len`.
                fd: libc::AF_INET6,
                off: (libc::SOCK_STREAM | libc::SOCK_NONBLOCK) as u64,
                len: 6,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::connect(fd, BUF as usize as *const libc::sockaddr, 28),
            RawSqe {
                opcode: IORING_OP_CONNECT,
                fd: 5,
                addr: BUF,
                // The address length travels in `off`.
                off: 28,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::accept(
                fd,
                BUF as usize as *mut libc::sockaddr,
                PATH as usize as *mut libc::socklen_t,
                libc::SOCK_CLOEXEC,
            ),
            RawSqe {
                opcode: IORING_OP_ACCEPT,
                fd: 5,
                addr: BUF,
                // The address length pointer is `addr2`, in `off`'s place.
                off: PATH,
                op_flags: libc::SOCK_CLOEXEC as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::accept_multi(fd, libc::SOCK_CLOEXEC),
            RawSqe {
                opcode: IORING_OP_ACCEPT,
                fd: 5,
                ioprio: IORING_ACCEPT_MULTISHOT,
                op_flags: libc::SOCK_CLOEXEC as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::send(fd, buf, 64, libc::MSG_NOSIGNAL),
            RawSqe {
                opcode: IORING_OP_SEND,
                fd: 5,
                addr: BUF,
                len: 64,
                op_flags: libc::MSG_NOSIGNAL as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::send_zc(fd, buf, 64, libc::MSG_NOSIGNAL),
            RawSqe {
                opcode: IORING_OP_SEND_ZC,
                fd: 5,
                addr: BUF,
                len: 64,
                op_flags: libc::MSG_NOSIGNAL as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::recv(fd, buf, 64, libc::MSG_WAITALL),
            RawSqe {
                opcode: IORING_OP_RECV,
                fd: 5,
                addr: BUF,
                len: 64,
                op_flags: libc::MSG_WAITALL as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::recv_multi(fd, 7, 0),
            RawSqe {
                opcode: IORING_OP_RECV,
                flags: IOSQE_BUFFER_SELECT,
                ioprio: IORING_RECV_MULTISHOT,
                fd: 5,
                // The buffer group.
                buf_index: 7,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::sendmsg(fd, BUF as usize as *const libc::msghdr, libc::MSG_NOSIGNAL),
            RawSqe {
                opcode: IORING_OP_SENDMSG,
                fd: 5,
                addr: BUF,
                len: 1,
                op_flags: libc::MSG_NOSIGNAL as u32,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::recvmsg(fd, BUF as usize as *mut libc::msghdr, 0),
            RawSqe {
                opcode: IORING_OP_RECVMSG,
                fd: 5,
                addr: BUF,
                len: 1,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::fixed_fd_install(3),
            RawSqe {
                opcode: IORING_OP_FIXED_FD_INSTALL,
                flags: FIXED_FILE,
                fd: 3,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::link_timeout(ts),
            RawSqe {
                opcode: IORING_OP_LINK_TIMEOUT,
                fd: -1,
                addr: BUF,
                len: 1,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(Iocb::openat_direct(7, path, libc::O_RDONLY, 0, 4), PATH, 0),
            RawSqe {
                opcode: IORING_OP_OPENAT,
                fd: 7,
                addr: PATH,
                op_flags: libc::O_RDONLY as u32,
                // The slot + 1: slot 4.
                file_index: 5,
                ..RawSqe::default()
            },
        ),
        plain(
            with_addrs(
                Iocb::openat_direct(7, path, libc::O_RDONLY, 0, ringaio_core::FILE_INDEX_ALLOC),
                PATH,
                0,
            ),
            RawSqe {
                opcode: IORING_OP_OPENAT,
                fd: 7,
                addr: PATH,
                op_flags: libc::O_RDONLY as u32,
                file_index: u32::MAX,
                ..RawSqe::default()
            },
        ),
        plain(
            Iocb::shutdown(fd, libc::SHUT_WR),
            RawSqe {
                opcode: IORING_OP_SHUTDOWN,
                fd: 5,
                len: libc::SHUT_WR as u32,
                ..RawSqe::default()
            },
        ),
    ]
}

#[test]
fn every_opcode_maps_field_by_field() -> io::Result<()> {
    let cases = cases();
    for op in Opcode::ALL {
        assert!(
            cases.iter().any(|(iocb, _)| iocb.opcode == op),
            "{op} has no case"
        );
    }
    for (iocb, want) in &cases {
        assert_sqe(iocb, *want)?;
    }
    Ok(())
}

#[test]
fn splice_without_offsets_uses_the_file_positions() -> io::Result<()> {
    let iocb = Iocb::splice(7, None, Target::Fd(5), None, 100, 0).with_data(9);
    let want = RawSqe {
        opcode: IORING_OP_SPLICE,
        fd: 5,
        off: u64::MAX,
        addr: u64::MAX,
        len: 100,
        file_index: 7,
        user_data: 9,
        ..RawSqe::default()
    };
    assert_sqe(&iocb, want)
}

#[test]
fn splice_and_copy_file_range_refuse_what_the_kernel_would() {
    let einval = |iocb: Iocb| {
        let err = to_sqe(&iocb).expect_err("accepted");
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{iocb:?}");
    };
    einval(Iocb::splice(-1, None, Target::Fd(5), None, 1, 0));
    einval(Iocb::splice(7, None, Target::Fixed(1), None, 1, 0));
    einval(Iocb::splice(
        7,
        Some(u64::MAX - 1),
        Target::Fd(5),
        None,
        1,
        0,
    ));
    einval(Iocb::copy_file_range(-1, 0, Target::Fd(5), 0, 1));
    einval(Iocb::copy_file_range(7, 0, Target::Fixed(1), 0, 1));
    einval(Iocb::copy_file_range(7, u64::MAX, Target::Fd(5), 0, 1));
    einval(Iocb::copy_file_range(7, 0, Target::Fd(5), 0, usize::MAX));
}

#[test]
fn uring_opcode_numbers_are_the_kernels() {
    for (iocb, want) in cases() {
        assert_eq!(iocb.opcode.uring_opcode(), want.opcode, "{}", iocb.opcode);
    }
}

#[test]
fn fixed_files_set_iosqe_fixed_file() -> io::Result<()> {
    let buf = BUF as usize as *mut u8;
    let read = Iocb::pread(Target::Fixed(4), buf, 64, 0).with_data(1);
    let want = RawSqe {
        opcode: IORING_OP_READ,
        flags: IOSQE_FIXED_FILE,
        fd: 4,
        addr: BUF,
        len: 64,
        user_data: 1,
        ..RawSqe::default()
    };
    assert_sqe(&read, want)?;
    let sync = Iocb::fsync(Target::Fixed(4), true).with_data(2);
    let want = RawSqe {
        opcode: IORING_OP_FSYNC,
        flags: IOSQE_FIXED_FILE,
        fd: 4,
        op_flags: IORING_FSYNC_DATASYNC,
        user_data: 2,
        ..RawSqe::default()
    };
    assert_sqe(&sync, want)
}

#[test]
fn closing_a_fixed_file_names_its_slot() -> io::Result<()> {
    // The kernel refuses IOSQE_FIXED_FILE on a close; a fixed slot is named by
    // `file_index` = slot + 1, with fd 0.
    let close = Iocb::close(Target::Fixed(4)).with_data(3);
    let want = RawSqe {
        opcode: IORING_OP_CLOSE,
        file_index: 5,
        user_data: 3,
        ..RawSqe::default()
    };
    assert_sqe(&close, want)
}

#[test]
fn invalid_iocbs_have_no_sqe() {
    // Path-based opcodes take no fixed directory fd.
    let mut fixed_dir = Iocb::openat(libc::AT_FDCWD, c"x", 0, 0);
    fixed_dir.fd = Target::Fixed(0);
    let refused = [
        Iocb::pread(Target::Fd(0), std::ptr::null_mut(), 1, 0),
        Iocb::pread(Target::Fd(0), BUF as usize as *mut u8, 1, 1 << 63),
        Iocb::timeout(std::ptr::null()),
        fixed_dir,
        Iocb::connect(Target::Fd(0), std::ptr::null(), 16),
        Iocb::connect(Target::Fd(0), BUF as usize as *const libc::sockaddr, 4096),
        Iocb::send(Target::Fd(0), std::ptr::null(), 1, 0),
        Iocb::recvmsg(Target::Fd(0), std::ptr::null_mut(), 0),
        Iocb::shutdown(Target::Fd(0), 3),
        with_addrs(Iocb::socket(libc::AF_INET, libc::SOCK_STREAM, 0), BUF, 0),
    ];
    for iocb in refused {
        let err = to_sqe(&iocb).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{iocb:?}");
    }
}
