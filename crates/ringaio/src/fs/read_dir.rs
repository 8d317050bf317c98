//! `read_dir`: a `Stream` of directory entries, read in batches off the runtime thread
//! (io_uring has no `getdents`).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::FileType;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use crate::fs::Metadata;
use crate::unblock::unblock;

/// Entries read per trip off the runtime thread.
const BATCH: usize = 128;

/// The entries of the directory at `path`, as a [`Stream`] (without `.` and `..`, in the
/// order the filesystem gives them).
///
/// ```
/// use futures::TryStreamExt;
///
/// # fn main() -> std::io::Result<()> {
/// let top = std::env::temp_dir().join(format!("ringaio-doc-readdir-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::create_dir_all(top.join("sub")).await?;
///     ringaio::fs::write(top.join("file"), b"x").await?;
///     let mut names: Vec<_> = ringaio::fs::read_dir(&top)
///         .await?
///         .map_ok(|entry| entry.file_name())
///         .try_collect()
///         .await?;
///     names.sort();
///     assert_eq!(names, ["file", "sub"]);
///     ringaio::fs::remove_dir_all(&top).await
/// })
/// # }
/// ```
///
/// # Errors
/// As `opendir(3)` (NotFound, PermissionDenied, `ENOTDIR`); the stream yields the errors of
/// reading entries.
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let dir = unblock(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir {
        dir: Some(dir),
        pending: None,
        ready: VecDeque::new(),
        ended: false,
    })
}

/// A batch read off the runtime thread: the directory handle back, its entries, and whether
/// the directory ended.
type Batch = (std::fs::ReadDir, Vec<io::Result<DirEntry>>, bool);

/// The entries of a directory: a [`Stream`] of `io::Result<DirEntry>`, from [`read_dir`].
pub struct ReadDir {
    /// The directory, while no batch is being read.
    dir: Option<std::fs::ReadDir>,
    pending: Option<Pin<Box<dyn Future<Output = io::Result<Batch>>>>>,
    ready: VecDeque<io::Result<DirEntry>>,
    ended: bool,
}

impl ReadDir {
    /// The next entry, `None` at the end: the stream's next item, without `StreamExt`.
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// ringaio::block_on(async {
    ///     let mut entries = ringaio::fs::read_dir("/").await?;
    ///     let mut count = 0;
    ///     while let Some(entry) = entries.next_entry().await? {
    ///         assert!(entry.path().starts_with("/"));
    ///         count += 1;
    ///     }
    ///     assert!(count > 0);
    ///     Ok(())
    /// })
    /// # }
    /// ```
    ///
    /// # Errors
    /// The error reading the directory.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx))
            .await
            .transpose()
    }

    /// Starts reading the next batch off the runtime thread.
    fn start_batch(&mut self, mut dir: std::fs::ReadDir) {
        self.pending = Some(Box::pin(unblock(move || {
            let mut batch = Vec::with_capacity(BATCH);
            let mut ended = false;
            while batch.len() < BATCH {
                match dir.next() {
                    Some(entry) => batch.push(entry.map(|e| DirEntry::from_std(&e))),
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            Ok((dir, batch, ended))
        })));
    }
}

impl Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(entry) = this.ready.pop_front() {
                return Poll::Ready(Some(entry));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            if let Some(dir) = this.dir.take() {
                this.start_batch(dir);
            }
            let Some(pending) = this.pending.as_mut() else {
                return Poll::Ready(None);
            };
            let Poll::Ready(batch) = pending.as_mut().poll(cx) else {
                return Poll::Pending;
            };
            this.pending = None;
            match batch {
                Ok((dir, entries, ended)) => {
                    this.dir = Some(dir);
                    this.ready.extend(entries);
                    this.ended = ended;
                }
                Err(e) => {
                    // The directory handle went with the failed trip: nothing more to read.
                    this.ended = true;
                    return Poll::Ready(Some(Err(e)));
                }
            }
        }
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("ready", &self.ready.len())
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

/// One entry of a directory, from [`ReadDir`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let top = std::env::temp_dir().join(format!("ringaio-doc-entry-{}", std::process::id()));
/// ringaio::block_on(async {
///     ringaio::fs::create_dir_all(&top).await?;
///     ringaio::fs::write(top.join("one"), b"1").await?;
///     let mut entries = ringaio::fs::read_dir(&top).await?;
///     let entry = entries.next_entry().await?.expect("one entry");
///     assert_eq!(entry.file_name(), "one");
///     assert_eq!(entry.path(), top.join("one"));
///     assert!(entry.file_type()?.is_file());
///     assert_eq!(entry.metadata().await?.len(), 1);
///     ringaio::fs::remove_dir_all(&top).await
/// })
/// # }
/// ```
#[derive(Debug)]
pub struct DirEntry {
    path: PathBuf,
    file_name: OsString,
    file_type: io::Result<FileType>,
}

impl DirEntry {
    fn from_std(entry: &std::fs::DirEntry) -> DirEntry {
        DirEntry {
            path: entry.path(),
            file_name: entry.file_name(),
            // From the directory entry itself where the filesystem records it (no stat).
            file_type: entry.file_type(),
        }
    }

    /// The directory's path joined with the entry's name.
    pub fn path(&self) -> PathBuf {
        self.path.clone()
    }

    /// The entry's name, without the directory.
    pub fn file_name(&self) -> OsString {
        self.file_name.clone()
    }

    /// The entry's type (a symlink is a symlink, not what it points at), read with the entry.
    ///
    /// # Errors
    /// The error finding it out (the entry was removed before it could be stat'ed).
    pub fn file_type(&self) -> io::Result<FileType> {
        match &self.file_type {
            Ok(t) => Ok(*t),
            Err(e) => Err(io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// The entry's metadata, not following a symlink
    /// ([`symlink_metadata`](crate::fs::symlink_metadata) of its path).
    ///
    /// # Errors
    /// As [`symlink_metadata`](crate::fs::symlink_metadata).
    pub async fn metadata(&self) -> io::Result<Metadata> {
        crate::fs::symlink_metadata(&self.path).await
    }
}
