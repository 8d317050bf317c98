//! Adapters to the async ecosystem's I/O traits.
//!
//! [`BufFile`] puts a cursor and a buffer in front of a [`File`](crate::fs::File), so it
//! implements `futures::io::{AsyncRead, AsyncWrite, AsyncSeek, AsyncBufRead}` and, with the
//! `tokio` feature, `tokio::io::{AsyncRead, AsyncWrite, AsyncBufRead}`: `futures::io::copy`,
//! `tokio::io::copy`, `tokio_util::codec` and friends then work on ringaio files, on
//! ringaio's runtime.

mod buf_file;
mod futures_io;
#[cfg(feature = "tokio")]
mod tokio_io;

pub use buf_file::BufFile;
