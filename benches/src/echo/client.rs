//! The echo client: `conns` connections, each sending one `msg`-byte message, reading the
//! whole echo back, and sending the next, all on one io-uring loop.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use io_uring::{opcode, types, IoUring};
use quanta::Instant;

use crate::engines::{cqe_result, RoundResult};

/// Where one connection is in its round trip.
struct Conn {
    stream: TcpStream,
    /// When the message went out.
    sent_at: Instant,
    /// Bytes of the echo received so far.
    got: usize,
    buf: Vec<u8>,
}

/// User data: connection index, and whether the request is the send.
const SEND: u64 = 1 << 32;

/// Runs `conns` ping-pong connections to `addr` for `d`; each round trip is one op.
pub(super) fn run(
    addr: SocketAddr,
    conns: usize,
    msg: usize,
    d: Duration,
) -> io::Result<RoundResult> {
    let mut all: Vec<Conn> = (0..conns)
        .map(|_| {
            let stream = TcpStream::connect(addr)?;
            stream.set_nodelay(true)?;
            Ok(Conn {
                stream,
                sent_at: Instant::now(),
                got: 0,
                buf: vec![0u8; msg],
            })
        })
        .collect::<io::Result<_>>()?;
    let message: Vec<u8> = (0..msg).map(|i| i as u8).collect();
    let entries = u32::try_from(conns * 2)
        .unwrap_or(u32::MAX)
        .next_power_of_two()
        .max(64);
    let mut ring = IoUring::new(entries)?;
    let mut result = RoundResult::new();
    let start = Instant::now();
    let deadline = start + d;
    let send = |ring: &mut IoUring, i: usize, conn: &Conn| {
        let fd = types::Fd(conn.stream.as_raw_fd());
        let sqe = opcode::Send::new(fd, message.as_ptr(), msg as u32)
            .build()
            .user_data(SEND | i as u64);
        // SAFETY: `message` outlives the ring (both live until this function returns, and
        // every request is reaped before it does); the SQ has room for one per connection.
        unsafe { ring.submission().push(&sqe) }.map_err(|_| io::Error::other("SQ full"))
    };
    let recv = |ring: &mut IoUring, i: usize, conn: &mut Conn| {
        let fd = types::Fd(conn.stream.as_raw_fd());
        let rest = &mut conn.buf[conn.got..];
        let sqe = opcode::Recv::new(fd, rest.as_mut_ptr(), rest.len() as u32)
            .build()
            .user_data(i as u64);
        // SAFETY: `conn.buf` lives until every request is reaped, and only this request
        // writes into it meanwhile.
        unsafe { ring.submission().push(&sqe) }.map_err(|_| io::Error::other("SQ full"))
    };
    for (i, conn) in all.iter_mut().enumerate() {
        conn.sent_at = Instant::now();
        send(&mut ring, i, conn)?;
    }
    let mut active = conns;
    let mut last = start;
    while active > 0 {
        ring.submit_and_wait(1)?;
        let done: Vec<(u64, i32)> = ring
            .completion()
            .map(|c| (c.user_data(), c.result()))
            .collect();
        let now = Instant::now();
        for (data, res) in done {
            let i = (data & 0xffff_ffff) as usize;
            let n = cqe_result(res)? as usize;
            let conn = &mut all[i];
            if data & SEND != 0 {
                if n != msg {
                    return Err(io::Error::other("short send"));
                }
                recv(&mut ring, i, conn)?;
                continue;
            }
            if n == 0 {
                return Err(io::Error::other("the server closed a connection"));
            }
            conn.got += n;
            if conn.got < msg {
                recv(&mut ring, i, conn)?;
                continue;
            }
            result.record(msg as u64, now - conn.sent_at);
            conn.got = 0;
            last = now;
            if now < deadline {
                conn.sent_at = now;
                send(&mut ring, i, conn)?;
            } else {
                active -= 1;
            }
        }
    }
    result.elapsed = last - start;
    Ok(result)
}
