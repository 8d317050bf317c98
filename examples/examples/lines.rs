//! An `AsyncRead` pipeline on ringaio: counts the lines, words and bytes of a file (the
//! argument, or `Cargo.toml`) through `futures::io::AsyncBufRead` on an `io::BufFile`, then
//! copies it to a temporary file with `futures::io::copy` and checks the copy.
//!
//! `cargo run -p ringaio-examples --example lines -- [FILE]`

use futures::io::{AsyncBufReadExt, AsyncWriteExt};
use futures::TryStreamExt;
use ringaio::fs::File;
use ringaio::io::BufFile;

#[ringaio::main(entries = 64)]
async fn main() -> std::io::Result<()> {
    let path = std::env::args_os()
        .nth(1)
        .unwrap_or_else(|| "Cargo.toml".into());
    let (lines, words, bytes) = BufFile::new(File::open(&path).await?)
        .lines()
        .try_fold((0usize, 0usize, 0usize), |(l, w, b), line| async move {
            Ok((
                l + 1,
                w + line.split_whitespace().count(),
                b + line.len() + 1,
            ))
        })
        .await?;
    println!("{lines} lines, {words} words, about {bytes} bytes");

    let copy = std::env::temp_dir().join(format!("ringaio-lines-{}", std::process::id()));
    let mut reader = BufFile::new(File::open(&path).await?);
    let mut writer = BufFile::new(File::create(&copy).await?);
    let copied = futures::io::copy(&mut reader, &mut writer).await?;
    writer.close().await?;
    let same = ringaio::fs::read(&copy).await? == ringaio::fs::read(&path).await?;
    ringaio::fs::remove_file(&copy).await?;
    println!(
        "copied {copied} bytes: {}",
        if same { "identical" } else { "DIFFERENT" }
    );
    Ok(())
}
