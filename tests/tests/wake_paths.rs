//! Every way a request's waiter can be named ends in a wake-up: the running task's own waker
//! (recorded as a token), a combinator's waker (`FuturesUnordered`, `join_all` past 30
//! futures), the main future of `block_on`, and a mix of them at once, with data checked.

use std::io;

use futures::stream::{FuturesUnordered, StreamExt};
use ringaio::fs::File;

use ringaio_tests::{runtime, TempPath, BACKENDS};

async fn file_with(bytes: &[u8], tag: &str) -> io::Result<(File, TempPath)> {
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), &format!("wake-{tag}"));
    let file = ringaio_tests::create_rw(path.path()).await?;
    let (res, _) = file.write_all_at(bytes.to_vec(), 0).await;
    res?;
    Ok((file, path))
}

/// Reads block `i` (64 bytes) and checks it.
async fn read_block(file: &File, i: u64) {
    let (res, buf) = file.read_at(vec![0u8; 64], i * 64).await;
    assert_eq!(res.expect("read"), 64);
    assert!(buf.iter().all(|&b| b == i as u8), "block {i} corrupted");
}

fn data() -> Vec<u8> {
    (0..256u64).flat_map(|i| [i as u8; 64]).collect()
}

#[test]
fn tasks_main_future_and_combinators_all_get_woken() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        let total = rt.block_on(async {
            let (file, _tmp) = file_with(&data(), &format!("{backend:?}"))
                .await
                .expect("file");
            let file = std::rc::Rc::new(file);
            // Tasks awaiting one request at a time (token path).
            let tasks: Vec<_> = (0..16u64)
                .map(|t| {
                    let file = file.clone();
                    ringaio::spawn(async move {
                        for round in 0..20u64 {
                            read_block(&file, (t * 16 + round) % 256).await;
                            ringaio::nop().await.expect("nop");
                        }
                        20
                    })
                })
                .collect();
            // A task whose requests are polled by FuturesUnordered (its own wakers).
            let unordered = {
                let file = file.clone();
                ringaio::spawn(async move {
                    let mut set: FuturesUnordered<_> =
                        (0..64u64).map(|i| read_block(&file, i)).collect();
                    let mut n = 0;
                    while set.next().await.is_some() {
                        n += 1;
                    }
                    n
                })
            };
            // join_all past 30 futures also polls through its own wakers.
            let joined = {
                let file = file.clone();
                ringaio::spawn(async move {
                    futures::future::join_all((64..128u64).map(|i| read_block(&file, i)))
                        .await
                        .len() as u64
                })
            };
            // The main future itself waits on requests between the joins.
            read_block(&file, 200).await;
            let mut total = 0;
            for t in tasks {
                total += t.await.expect("task");
            }
            total += unordered.await.expect("unordered");
            total += joined.await.expect("joined");
            futures::join!(read_block(&file, 1), read_block(&file, 2));
            total
        });
        assert_eq!(total, 16 * 20 + 64 + 64, "{backend:?}");
    }
}
