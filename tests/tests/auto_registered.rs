//! `AlignedBuf`s register themselves with the ring after 16 reads or writes, and from then on
//! go out as `READ_FIXED` / `WRITE_FIXED`: the bytes must be the same before and after, the
//! slot must come back when the buffer dies (on the runtime's thread or another one), and a
//! buffer registered with one runtime must still work, unregistered, on another.

use std::io;
use std::time::Duration;

use ringaio::buf::AlignedBuf;
use ringaio::fs::File;
use ringaio::{Backend, Opcode, Runtime};
use ringaio_tests::TempPath;

const BLOCK: usize = 4096;
const BLOCKS: u64 = 64;

fn with_slots(slots: u16) -> Option<Runtime> {
    ringaio_tests::slot_table_runtime(Runtime::builder().fixed_buffers(slots))
}

fn block_byte(block: u64) -> u8 {
    (block * 7 + 3) as u8
}

async fn make_file(tag: &str) -> io::Result<(File, TempPath)> {
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), &format!("autoreg-{tag}"));
    let file = ringaio_tests::create_rw(path.path()).await?;
    let data: Vec<u8> = (0..BLOCKS).flat_map(|b| [block_byte(b); BLOCK]).collect();
    let (res, _) = file.write_all_at(data, 0).await;
    res?;
    Ok((file, path))
}

/// Reads every block through `buf` `rounds` times, checking each.
async fn read_rounds(file: &File, mut buf: AlignedBuf, rounds: u64) -> AlignedBuf {
    for i in 0..rounds {
        let block = (i * 13) % BLOCKS;
        let (res, back) = file.read_at(buf, block * BLOCK as u64).await;
        assert_eq!(res.expect("read"), BLOCK, "round {i}");
        assert!(
            back.as_slice().iter().all(|&b| b == block_byte(block)),
            "round {i}: block {block} read back wrong (registered: {})",
            back.is_registered()
        );
        buf = back;
    }
    buf
}

#[test]
fn reads_and_writes_stay_right_across_registration() {
    let Some(rt) = with_slots(8) else {
        return;
    };
    rt.block_on(async {
        let (file, _tmp) = make_file("rw").await.expect("file");
        let buf = AlignedBuf::new(BLOCK, 4096).expect("buf");
        let buf = read_rounds(&file, buf, 10).await;
        assert!(!buf.is_registered(), "not after 10 uses");
        assert_eq!(rt.stats().buffer_slots_free, 8);
        let buf = read_rounds(&file, buf, 40).await;
        assert!(buf.is_registered(), "registered after 16 uses");
        assert_eq!(rt.stats().buffer_slots_free, 7);
        // Writes from the registered buffer land in the file.
        let mut buf = buf;
        buf.as_mut_slice().fill(0xee);
        let (res, buf) = file.write_at(buf, 5 * BLOCK as u64).await;
        assert_eq!(res.expect("write_fixed"), BLOCK);
        let (res, check) = file.read_at(vec![0u8; BLOCK], 5 * BLOCK as u64).await;
        assert_eq!(res.expect("read back"), BLOCK);
        assert!(check.iter().all(|&b| b == 0xee));
        drop(buf);
        ringaio::time::sleep(Duration::from_millis(1))
            .await
            .expect("sleep");
        assert_eq!(rt.stats().buffer_slots_free, 8, "the slot came back");
    });
}

#[test]
fn buffers_outnumbering_the_slots_still_work() {
    let Some(rt) = with_slots(2) else {
        return;
    };
    rt.block_on(async {
        let (file, _tmp) = make_file("many").await.expect("file");
        let file = std::rc::Rc::new(file);
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let file = file.clone();
                ringaio::spawn(async move {
                    let buf = AlignedBuf::new(BLOCK, 4096).expect("buf");
                    read_rounds(&file, buf, 40).await.is_registered()
                })
            })
            .collect();
        let mut registered = 0;
        for t in tasks {
            registered += usize::from(t.await.expect("task"));
        }
        assert_eq!(registered, 2, "two slots, two registered buffers");
    });
}

#[test]
fn a_buffer_moves_to_another_runtime_and_dies_there() {
    let Some(rt) = with_slots(4) else {
        return;
    };
    let buf = rt.block_on(async {
        let (file, _tmp) = make_file("move-a").await.expect("file");
        let buf = read_rounds(&file, AlignedBuf::new(BLOCK, 4096).expect("buf"), 20).await;
        assert!(buf.is_registered());
        buf
    });
    assert_eq!(rt.stats().buffer_slots_free, 3);
    std::thread::spawn(move || {
        let other = Runtime::new().expect("second runtime");
        other.block_on(async {
            let (file, _tmp) = make_file("move-b").await.expect("file");
            // Registered with the first ring, so plain reads here; still the right bytes.
            let buf = read_rounds(&file, buf, 20).await;
            drop(buf); // dies on this thread: the slot goes back to the first runtime.
        });
    })
    .join()
    .expect("other thread");
    rt.block_on(async {
        ringaio::time::sleep(Duration::from_millis(1))
            .await
            .expect("sleep");
    });
    assert_eq!(
        rt.stats().buffer_slots_free,
        4,
        "the slot came back across threads"
    );
}

#[test]
fn no_slot_table_means_plain_reads() {
    let rt = Runtime::builder()
        .fixed_buffers(0)
        .build()
        .expect("runtime");
    if rt.backend() != Backend::Uring {
        ringaio_tests::say!("skipped: no io_uring here ({:?})", rt.fallback_reason());
        return;
    }
    rt.block_on(async {
        let (file, _tmp) = make_file("none").await.expect("file");
        let buf = read_rounds(&file, AlignedBuf::new(BLOCK, 4096).expect("buf"), 40).await;
        assert!(!buf.is_registered());
    });
}

/// Reads sent to the pool with `forbid_opcode(Pread)` stay there, and the buffer is not
/// registered for them.
#[test]
fn forbidden_reads_stay_on_the_pool() {
    let Some(rt) =
        ringaio_tests::slot_table_runtime(Runtime::builder().forbid_opcode(Opcode::Pread))
    else {
        return;
    };
    rt.block_on(async {
        let (file, _tmp) = make_file("forbid").await.expect("file");
        let before = rt.stats().via_pool;
        let buf = read_rounds(&file, AlignedBuf::new(BLOCK, 4096).expect("buf"), 40).await;
        assert!(
            !buf.is_registered(),
            "nothing pinned for reads the ring does not run"
        );
        assert_eq!(
            rt.stats().via_pool - before,
            40,
            "every read ran on the pool"
        );
    });
}

/// With READ_FIXED sent to the pool, buffers are not registered (nothing pinned for nothing).
#[test]
fn no_registration_when_the_fixed_opcode_is_forbidden() {
    let Some(rt) =
        ringaio_tests::slot_table_runtime(Runtime::builder().forbid_opcode(Opcode::ReadFixed))
    else {
        return;
    };
    rt.block_on(async {
        let (file, _tmp) = make_file("forbid-fixed").await.expect("file");
        let before = rt.stats().via_pool;
        let buf = read_rounds(&file, AlignedBuf::new(BLOCK, 4096).expect("buf"), 40).await;
        assert!(!buf.is_registered());
        assert_eq!(
            rt.stats().via_pool,
            before,
            "plain reads stayed on the ring"
        );
    });
}
