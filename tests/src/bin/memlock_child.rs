//! A child process for `tests/memlock_messages.rs`: it gives up `CAP_IPC_LOCK` (which lifts
//! the limit) and lowers its `RLIMIT_MEMLOCK`, then builds an io_uring runtime and prints the
//! backend and the fallback reason; with `buffers`, it raises the limit step by step until a
//! ring fits, then asks for a `FixedBufPool` larger than the limit and prints the error, once
//! with the ring's registered-buffer slot table and once without.

use std::io;
use std::process::ExitCode;

use ringaio::buf::FixedBufPool;
use ringaio::{Backend, Runtime};

/// `CAP_IPC_LOCK`'s bit.
const CAP_IPC_LOCK: u32 = 14;
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: i32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Removes `CAP_IPC_LOCK` from this process's effective and permitted sets.
fn drop_ipc_lock() -> io::Result<()> {
    let mut header = CapHeader {
        version: CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [CapData::default(); 2];
    // SAFETY: capget writes a header and two data structs into live memory.
    if unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    data[0].effective &= !(1 << CAP_IPC_LOCK);
    data[0].permitted &= !(1 << CAP_IPC_LOCK);
    // SAFETY: capset reads a header and two data structs from live memory.
    if unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets the soft `RLIMIT_MEMLOCK` to `bytes` (the hard limit stays, so it can rise again).
fn set_memlock(bytes: u64) -> io::Result<()> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit into a live struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    limit.rlim_cur = bytes.min(limit.rlim_max);
    // SAFETY: setrlimit reads one live rlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn uring(table: u16) -> io::Result<Runtime> {
    Runtime::builder()
        .backend(Backend::Uring)
        .fixed_buffers(table)
        .build()
}

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if let Err(e) = drop_ipc_lock() {
        eprintln!("cannot drop CAP_IPC_LOCK: {e}");
        return ExitCode::from(3);
    }
    if mode == "ring" {
        if let Err(e) = set_memlock(0) {
            eprintln!("cannot set RLIMIT_MEMLOCK: {e}");
            return ExitCode::from(3);
        }
        match uring(1024) {
            Ok(rt) => {
                println!("backend={:?}", rt.backend());
                if let Some(reason) = rt.fallback_reason() {
                    println!("reason={reason}");
                }
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("runtime: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    // `buffers`: the smallest limit (in steps) with a ring, then a pool beyond it.
    for kib in [256u64, 512, 1024, 2048, 4096] {
        if let Err(e) = set_memlock(kib << 10) {
            eprintln!("cannot set RLIMIT_MEMLOCK: {e}");
            return ExitCode::from(3);
        }
        let (Ok(with_table), Ok(without)) = (uring(1024), uring(0)) else {
            continue;
        };
        if with_table.backend() != Backend::Uring || without.backend() != Backend::Uring {
            continue;
        }
        println!("limit={kib} KiB");
        // 64 buffers of 128 KiB: 8 MiB, past every limit tried.
        for (name, rt) in [("table", with_table), ("whole", without)] {
            match rt.block_on(async { FixedBufPool::new(64, 128 << 10) }) {
                Ok(_) => println!("{name}=registered"),
                Err(e) => println!("{name}_error={e}"),
            }
        }
        return ExitCode::SUCCESS;
    }
    println!("no ring at any limit tried");
    ExitCode::SUCCESS
}
