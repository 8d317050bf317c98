//! A directory walk on ringaio: every regular file under a directory (the argument, or the
//! current one) with its size, listed with `fs::read_dir` and stat'ed through the ring.
//!
//! `cargo run -p ringaio-examples --example walk -- [DIR]`

use std::path::PathBuf;

use futures::TryStreamExt;

#[ringaio::main]
async fn main() -> std::io::Result<()> {
    let top = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut todo = vec![top];
    while let Some(dir) = todo.pop() {
        let mut entries = ringaio::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.try_next().await? {
            let kind = entry.file_type()?;
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file() {
                let len = entry.metadata().await?.len();
                println!("{len:>12} {}", entry.path().display());
                files += 1;
                bytes += len;
            }
        }
    }
    println!("{files} files, {bytes} bytes");
    Ok(())
}
