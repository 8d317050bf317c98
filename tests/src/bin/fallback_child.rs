//! A child process for the fallback tests: it takes io_uring away from itself with a seccomp
//! filter (`seccomp`: `io_uring_setup` denied; `seccomp-enter`: only `io_uring_enter`
//! denied), or builds a runtime from `RINGAIO_BACKEND` as it is (`env`), then writes, syncs
//! and reads a file and prints the backend it ran on. `seccomp-enter-late` denies
//! `io_uring_enter` only after a first round trip on the ring, then tries another and
//! prints how its `block_on` panicked.

use std::io;
use std::process::ExitCode;

use ringaio::Runtime;

/// Makes the system call `nr` fail with EPERM (for `io_uring_setup`, as Docker's default
/// seccomp profile does).
fn deny(nr: libc::c_long) -> io::Result<()> {
    #[cfg(target_arch = "x86_64")]
    const AUDIT_ARCH: u32 = 0xc000_003e;
    #[cfg(target_arch = "aarch64")]
    const AUDIT_ARCH: u32 = 0xc000_00b7;
    const LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    const JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    const RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;
    let stmt = |code, k| libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    };
    let jump = |code, k, jt, jf| libc::sock_filter { code, jt, jf, k };
    let mut filter = [
        // seccomp_data.arch (offset 4): other architectures are let through untouched.
        stmt(LD_W_ABS, 4),
        jump(JEQ_K, AUDIT_ARCH, 0, 3),
        // seccomp_data.nr (offset 0).
        stmt(LD_W_ABS, 0),
        jump(JEQ_K, nr as u32, 0, 1),
        stmt(RET_K, libc::SECCOMP_RET_ERRNO | libc::EPERM as u32),
        stmt(RET_K, libc::SECCOMP_RET_ALLOW),
    ];
    let prog = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_mut_ptr(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes plain integers.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `prog` points at `filter`, both alive for the call; the kernel copies them.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &prog as *const libc::sock_fprog,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn round_trip(rt: &Runtime) -> io::Result<()> {
    let path = std::env::temp_dir().join(format!("ringaio-fallback-child-{}", std::process::id()));
    let data: Vec<u8> = (0..256 * 1024u32).map(|i| (i % 251) as u8).collect();
    rt.block_on(async {
        let file = ringaio_tests::create_rw(&path).await?;
        let (res, _) = file.write_all_at(data.clone(), 0).await;
        res?;
        file.sync_all().await?;
        let (res, back) = file.read_exact_at(vec![0u8; data.len()], 0).await;
        res?;
        if back != data {
            return Err(io::Error::other("bytes read back differ"));
        }
        file.close().await?;
        ringaio::fs::remove_file(&path).await
    })
}

fn main() -> ExitCode {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let denied = match mode.as_str() {
        "seccomp" => Some(libc::SYS_io_uring_setup),
        "seccomp-enter" => Some(libc::SYS_io_uring_enter),
        _ => None,
    };
    if let Some(nr) = denied {
        if let Err(e) = deny(nr) {
            eprintln!("cannot install the seccomp filter: {e}");
            return ExitCode::from(3);
        }
    }
    if mode == "seccomp-enter-late" {
        return enter_denied_late();
    }
    let rt = match new_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if let Err(e) = round_trip(&rt) {
        eprintln!("round trip failed: {e}");
        return ExitCode::FAILURE;
    }
    println!("backend={:?}", rt.backend());
    if let Some(reason) = rt.fallback_reason() {
        println!("reason={reason}");
    }
    ExitCode::SUCCESS
}

/// A runtime, or exit code 2 after saying why.
fn new_runtime() -> Result<Runtime, ExitCode> {
    Runtime::new().map_err(|e| {
        eprintln!("runtime: {e}");
        ExitCode::from(2)
    })
}

/// A round trip on the ring, then `io_uring_enter` denied and another round trip: its
/// `block_on` must panic with the error (its request is in the ring and cannot move to the
/// pool), not loop forever. Prints `panicked=<message>` (exit 0) or why not (exit 1).
fn enter_denied_late() -> ExitCode {
    let rt = match new_runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    if let Err(e) = round_trip(&rt) {
        eprintln!("first round trip failed: {e}");
        return ExitCode::FAILURE;
    }
    println!("backend={:?}", rt.backend());
    if let Err(e) = deny(libc::SYS_io_uring_enter) {
        eprintln!("cannot install the seccomp filter: {e}");
        return ExitCode::from(3);
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| round_trip(&rt)));
    match outcome {
        Ok(res) => {
            println!("returned={res:?}");
            ExitCode::FAILURE
        }
        Err(payload) => {
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            println!("panicked={text}");
            drop(rt);
            println!("dropped");
            ExitCode::SUCCESS
        }
    }
}
