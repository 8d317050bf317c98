//! Issue 18: `#[ringaio::test]` runs an async test on a runtime built with the options it
//! names; `?` works in the body; without `backend`, `RINGAIO_BACKEND` decides.

use std::io;

/// A write and a read through the runtime the macro built.
async fn write_and_read_back() -> io::Result<Vec<u8>> {
    let tmp = ringaio_tests::TempPath::new(env!("CARGO_TARGET_TMPDIR"), "macros");
    let file = ringaio_tests::create_rw(tmp.path()).await?;
    let (res, _) = file.write_all_at(b"macro".to_vec(), 0).await;
    res?;
    let (res, buf) = file.read_at(Vec::with_capacity(16), 0).await;
    res?;
    Ok(buf)
}

#[ringaio::test]
async fn runs_on_the_default_runtime() -> io::Result<()> {
    assert_eq!(write_and_read_back().await?, b"macro");
    Ok(())
}

#[ringaio::test(backend = "fallback", entries = 64, pool_threads = 2)]
async fn runs_with_builder_options() {
    assert_eq!(write_and_read_back().await.expect("round trip"), b"macro");
}

#[ringaio::test(backend = "uring", fixed_files = 0, fixed_buffers = 0)]
async fn runs_on_uring_when_asked() {
    assert_eq!(write_and_read_back().await.expect("round trip"), b"macro");
}
