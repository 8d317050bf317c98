//! The reference echo server: a hand-written io-uring loop. Each connection has one buffer
//! and one request in flight: a recv, then a send of what came, then the next recv.

use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;

use io_uring::{opcode, types, IoUring};

/// User data: connection index, and whether the request is the send.
const SEND: u64 = 1 << 32;

pub(super) fn serve(listener: TcpListener, conns: usize, msg: usize) -> io::Result<()> {
    let streams = super::accept_all(&listener, conns)?;
    let mut bufs: Vec<Vec<u8>> = (0..conns).map(|_| vec![0u8; msg.max(4096)]).collect();
    let entries = u32::try_from(conns)
        .unwrap_or(u32::MAX)
        .next_power_of_two()
        .max(64);
    let mut ring = IoUring::new(entries)?;
    let push = |ring: &mut IoUring, data: u64, buf: &mut [u8], fd: i32| {
        let fd = types::Fd(fd);
        let sqe = if data & SEND != 0 {
            opcode::Send::new(fd, buf.as_ptr(), buf.len() as u32).build()
        } else {
            opcode::Recv::new(fd, buf.as_mut_ptr(), buf.len() as u32).build()
        };
        // SAFETY: `bufs` outlives every request (all are reaped before we return), and a
        // buffer has one request at a time; the SQ has room for one per connection.
        unsafe { ring.submission().push(&sqe.user_data(data)) }
            .map_err(|_| io::Error::other("SQ full"))
    };
    for (i, (stream, buf)) in streams.iter().zip(&mut bufs).enumerate() {
        push(&mut ring, i as u64, buf, stream.as_raw_fd())?;
    }
    let mut open = conns;
    while open > 0 {
        ring.submit_and_wait(1)?;
        let done: Vec<(u64, i32)> = ring
            .completion()
            .map(|c| (c.user_data(), c.result()))
            .collect();
        for (data, res) in done {
            let i = (data & 0xffff_ffff) as usize;
            let fd = streams[i].as_raw_fd();
            match (data & SEND != 0, res) {
                (_, res) if res < 0 => return Err(io::Error::from_raw_os_error(-res)),
                (false, 0) => open -= 1,
                (false, n) => push(&mut ring, SEND | i as u64, &mut bufs[i][..n as usize], fd)?,
                // Short sends are not expected for small messages on loopback: fail loudly.
                (true, _) => push(&mut ring, i as u64, &mut bufs[i], fd)?,
            }
        }
    }
    Ok(())
}
