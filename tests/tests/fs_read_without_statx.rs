//! Issue 16: `fs::read` makes no `statx` on the calling thread (for a file up to its first
//! read's 16 KiB) and still reads as `std::fs::read` does, until a read returns 0: sizes around
//! that first read, several MiB, `/proc` files (which say their size is 0), a file growing
//! while read, FIFOs with a writer (all bytes) and without (the blocked open is cancelled when
//! the future is dropped, also mid-read and when the runtime goes), errors as std gives them.
//! `fs::write` (a linked chain on a lent slot) falls back with the file table full, and to a
//! FIFO whose reader is slow delivers every byte (its short write carried on in the slot, no
//! reopen, so the reader never sees an early end). Both backends.

use std::ffi::CString;
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::task::Poll;

use ringaio::{fs, Backend, Runtime};
use ringaio_tests::{runtime, wait_until, watchdog, Rng, TempDir, BACKENDS};

/// `fs::read`'s first read's room.
const FIRST_READ: usize = 16 * 1024;

fn mkfifo(dir: &TempDir, name: &str) -> PathBuf {
    let path = dir.path().join(name);
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid C string path inside our own temp dir.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    path
}

/// Polls `fut` once; whether it is still pending.
async fn poll_once<F: Future + Unpin>(fut: &mut F) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(std::pin::Pin::new(&mut *fut).poll(cx).is_pending()))
        .await
}

/// Waits until `rt` has every file slot it had free before (`free`) back.
fn slots_come_back(rt: &Runtime, free: usize, what: &str) {
    rt.block_on(wait_until(what, || rt.stats().file_slots_free == free));
}

#[test]
fn sizes_around_the_first_read_and_the_probe() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-sizes");
        let mut rng = Rng::new(16);
        for len in [
            0,
            1,
            FIRST_READ - 1,
            FIRST_READ,
            FIRST_READ + 1,
            FIRST_READ + 32,
            FIRST_READ + 33,
            3 * 1024 * 1024 + 5,
        ] {
            let path = dir.path().join(format!("f{len}"));
            let mut data = vec![0u8; len];
            rng.fill(&mut data);
            std::fs::write(&path, &data).unwrap();
            let back = rt.block_on(fs::read(&path)).unwrap();
            assert!(
                back == data,
                "{backend:?} {len}: read back {} bytes",
                back.len()
            );
            // A small file does not keep a 16 KiB buffer.
            assert!(
                back.capacity() <= 2 * len + 1,
                "{backend:?} {len}: capacity {}",
                back.capacity()
            );
        }
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
    }
}

#[test]
fn proc_files_read_whole() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        for path in ["/proc/self/cmdline", "/proc/self/auxv"] {
            assert_eq!(std::fs::metadata(path).unwrap().len(), 0, "{path} says 0");
            let ours = rt.block_on(fs::read(path)).unwrap();
            assert!(!ours.is_empty(), "{backend:?} {path}");
            assert_eq!(ours, std::fs::read(path).unwrap(), "{backend:?} {path}");
        }
    }
}

#[test]
fn errors_as_std_gives_them() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-errors");
        let missing = dir.path().join("missing");
        let nul = Path::new("bad\0path");
        for path in [dir.path(), &missing, nul] {
            let std_kind = std::fs::read(path).unwrap_err().kind();
            let ours = rt.block_on(fs::read(path)).unwrap_err();
            assert_eq!(ours.kind(), std_kind, "{backend:?} {path:?}: {ours}");
        }
        assert_eq!(
            rt.block_on(fs::read(dir.path())).unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        for path in [dir.path(), &missing.join("deeper"), nul] {
            let std_kind = std::fs::write(path, b"x").unwrap_err().kind();
            let ours = rt.block_on(fs::write(path, b"x")).unwrap_err();
            assert_eq!(ours.kind(), std_kind, "{backend:?} write {path:?}: {ours}");
        }
    }
}

#[test]
fn a_file_growing_while_read_reads_as_a_prefix_never_shrinking() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-grow");
        let path = dir.path().join("growing");
        std::fs::write(&path, b"").unwrap();
        let mut data = vec![0u8; 2 * 1024 * 1024];
        Rng::new(7).fill(&mut data);
        let (writer_path, writer_data) = (path.clone(), data.clone());
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(writer_path)
                .unwrap();
            for chunk in writer_data.chunks(3000) {
                f.write_all(chunk).unwrap();
            }
        });
        let mut last = 0;
        let mut reads = 0;
        loop {
            let done = writer.is_finished();
            let back = rt.block_on(fs::read(&path)).unwrap();
            assert!(back.len() >= last, "{backend:?}: shrank to {}", back.len());
            assert!(back == data[..back.len()], "{backend:?}: not a prefix");
            last = back.len();
            reads += 1;
            if done {
                assert_eq!(
                    back.len(),
                    data.len(),
                    "{backend:?}: the whole file at last"
                );
                break;
            }
        }
        writer.join().unwrap();
        eprintln!("{backend:?}: {reads} reads while the file grew");
    }
}

/// A writer thread for `fifo`: opens it, writes `data` in 4 KiB pieces, closes it.
fn fifo_writer(fifo: PathBuf, data: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
        for piece in data.chunks(4096) {
            f.write_all(piece).unwrap();
        }
    })
}

#[test]
fn a_fifo_with_a_writer_reads_every_byte() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-fifo");
        for len in [0, 100, FIRST_READ + 1, 300_000] {
            let fifo = mkfifo(&dir, &format!("fifo{len}"));
            let mut data = vec![0u8; len];
            Rng::new(len as u64).fill(&mut data);
            let writer = fifo_writer(fifo.clone(), data.clone());
            let back = rt.block_on(fs::read(&fifo)).unwrap();
            writer.join().unwrap();
            assert!(
                back == data,
                "{backend:?} {len}: read back {} bytes",
                back.len()
            );
        }
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
    }
}

#[test]
fn a_fifo_read_dropped_mid_read_closes_the_fifo() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-fifo-drop");
        let fifo = mkfifo(&dir, "fifo");
        let (go, wait) = mpsc::channel::<()>();
        let (wrote, written) = mpsc::channel::<()>();
        let writer_fifo = fifo.clone();
        let writer = std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(writer_fifo)
                .unwrap();
            f.write_all(&[1u8; 100]).unwrap();
            wrote.send(()).unwrap();
            wait.recv().unwrap();
            // Until the reader's end is closed, the pipe takes the bytes.
            let e = loop {
                if let Err(e) = f.write_all(&[2u8; 100]) {
                    break e;
                }
            };
            assert_eq!(e.kind(), ErrorKind::BrokenPipe);
        });
        rt.block_on(async {
            let mut read = Box::pin(fs::read(&fifo));
            // The open goes out (with the nop's batch); the writer's open waits for it.
            assert!(poll_once(&mut read).await);
            ringaio::nop().await.unwrap();
            written.recv().unwrap();
            // The first read (100 bytes), then the next, which waits for more.
            for _ in 0..5 {
                assert!(poll_once(&mut read).await, "{backend:?}: no end yet");
                ringaio::nop().await.unwrap();
            }
            drop(read);
            // The fd closes once the cancelled read has come back, while the runtime runs;
            // the writer writes until it sees that.
            go.send(()).unwrap();
            wait_until("the writer to see the read end closed", || {
                writer.is_finished()
            })
            .await;
        });
        writer.join().unwrap();
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slot"));
    }
}

#[test]
fn a_fifo_read_with_no_writer_is_cancelled_and_the_runtime_carries_on() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-fifo-none");
        let fifo = mkfifo(&dir, "fifo");
        let regular = dir.path().join("regular");
        std::fs::write(&regular, b"still here").unwrap();
        rt.block_on(async {
            for _ in 0..3 {
                let mut read = Box::pin(fs::read(&fifo));
                assert!(
                    poll_once(&mut read).await,
                    "{backend:?}: no writer: it blocks"
                );
                ringaio::nop().await.unwrap();
                drop(read);
                let mut write = Box::pin(fs::write(&fifo, b"x"));
                assert!(
                    poll_once(&mut write).await,
                    "{backend:?}: no reader: it blocks"
                );
                ringaio::nop().await.unwrap();
                drop(write);
                assert_eq!(fs::read(&regular).await.unwrap(), b"still here");
            }
        });
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slots"));
    }
}

#[test]
fn a_runtime_dropped_with_reads_in_flight_shuts_down() {
    for backend in BACKENDS {
        watchdog("drop-with-fifo-read", move || {
            let rt = runtime(backend);
            let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-rt-drop");
            let fifo = mkfifo(&dir, "fifo");
            let big = dir.path().join("big");
            std::fs::write(&big, vec![3u8; 1 << 20]).unwrap();
            rt.block_on(async {
                let _blocked = ringaio::spawn(fs::read(fifo.clone()));
                let _busy = ringaio::spawn(fs::read(big.clone()));
                ringaio::nop().await.unwrap();
            });
            drop(rt);
            drop(dir);
        });
    }
}

#[test]
fn a_full_file_table_falls_back_to_plain_fds() {
    for backend in BACKENDS {
        let rt = Runtime::builder()
            .backend(backend)
            .fixed_files(1)
            .build()
            .unwrap();
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-full");
        let fifo = mkfifo(&dir, "fifo");
        let regular = dir.path().join("regular");
        rt.block_on(async {
            // The one slot is lent to a write waiting for a FIFO reader.
            let mut blocked = Box::pin(fs::write(&fifo, b"late"));
            assert!(poll_once(&mut blocked).await);
            if backend == Backend::Uring && rt.backend() == Backend::Uring {
                assert_eq!(rt.stats().file_slots_free, 0, "the slot is lent");
            }
            fs::write(&regular, vec![9u8; 40_000]).await.unwrap();
            assert_eq!(fs::read(&regular).await.unwrap(), vec![9u8; 40_000]);
            // A reader lets the blocked write finish.
            let reader_fifo = fifo.clone();
            let reader = std::thread::spawn(move || std::fs::read(reader_fifo).unwrap());
            blocked.await.unwrap();
            assert_eq!(reader.join().unwrap(), b"late");
        });
    }
}

#[test]
fn a_write_to_a_slow_fifo_reader_delivers_every_byte() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-fifo-write");
        let fifo = mkfifo(&dir, "fifo");
        let mut data = vec![0u8; 1 << 20];
        Rng::new(3).fill(&mut data);
        let reader_fifo = fifo.clone();
        let reader = std::thread::spawn(move || {
            let mut f = std::fs::File::open(reader_fifo).unwrap();
            let mut got = Vec::new();
            let mut piece = [0u8; 1000];
            loop {
                // Small reads, with a pause: the pipe fills and the write comes up short.
                std::thread::sleep(std::time::Duration::from_micros(50));
                match f.read(&mut piece).unwrap() {
                    0 => return got,
                    n => got.extend_from_slice(&piece[..n]),
                }
            }
        });
        rt.block_on(fs::write(&fifo, &data)).unwrap();
        let got = reader.join().unwrap();
        assert!(
            got == data,
            "{backend:?}: the reader got {} bytes",
            got.len()
        );
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slot"));
    }
}

#[test]
fn a_write_dropped_while_a_fifo_reader_stalls_closes_the_fifo() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        if rt.backend() != Backend::Uring {
            // Known, and not `fs::write`'s: a named FIFO refuses `RWF_NOWAIT` (EOPNOTSUPP), so
            // the pool's poller writes to it blocking, and that write cannot be cancelled.
            eprintln!("skipped on the fallback: a write to a named FIFO cannot be cancelled there");
            continue;
        }
        let free = rt.stats().file_slots_free;
        let dir = TempDir::new(env!("CARGO_TARGET_TMPDIR"), "no-statx-fifo-stall");
        let fifo = mkfifo(&dir, "fifo");
        let (go, wait) = mpsc::channel::<()>();
        let (opened, open) = mpsc::channel::<()>();
        let reader_fifo = fifo.clone();
        let reader = std::thread::spawn(move || {
            let mut f = std::fs::File::open(reader_fifo).unwrap();
            opened.send(()).unwrap();
            // Stalls until the writer was dropped, then drains to the end.
            wait.recv().unwrap();
            let mut got = Vec::new();
            f.read_to_end(&mut got).unwrap();
            got.len()
        });
        let data = vec![5u8; 1 << 20];
        rt.block_on(async {
            let mut write = Box::pin(fs::write(&fifo, &data));
            assert!(
                poll_once(&mut write).await,
                "{backend:?}: the reader stalls"
            );
            // Both ends open (dropped before, the write's open would leave the reader's
            // waiting for a writer for ever).
            wait_until("the reader to open", || open.try_recv().is_ok()).await;
            // The chain's write (short: the pipe holds 64 KiB), the rest waiting.
            for _ in 0..5 {
                assert!(
                    poll_once(&mut write).await,
                    "{backend:?}: the reader stalls"
                );
                ringaio::nop().await.unwrap();
            }
            drop(write);
            go.send(()).unwrap();
            // The reader sees the end only once the dropped write's file is closed.
            wait_until("the reader to see the end", || reader.is_finished()).await;
        });
        let got = reader.join().unwrap();
        assert!(got < data.len(), "{backend:?}: {got} bytes");
        slots_come_back(&rt, free, &format!("{backend:?}: the lent slot"));
    }
}
