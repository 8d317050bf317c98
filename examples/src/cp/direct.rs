//! `--direct`: opening with `O_DIRECT`, and buffered I/O where a filesystem refuses it.

use std::io;
use std::path::Path;

use ringaio::fs::File;

use crate::ctx::{Ctx, End};
use crate::errors::quote;

/// Buffer address, length and file offset alignment for `O_DIRECT`: 4 KiB suits every
/// device's logical block size.
pub(crate) const ALIGN: usize = 4096;

/// Rounds `n` up to a multiple of [`ALIGN`].
pub(crate) fn align_up(n: usize) -> usize {
    n.div_ceil(ALIGN) * ALIGN
}

/// A second descriptor of the source, with `O_DIRECT`, if its filesystem takes it. Returns
/// it (`None` after a warning, where refused) and whether it is direct.
///
/// # Errors
/// The open's error, other than the refusal.
pub(crate) async fn open_source(ctx: &Ctx, path: &Path) -> io::Result<(Option<File>, bool)> {
    let direct = File::options()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .await;
    match direct {
        Ok(file) => Ok((Some(file), true)),
        Err(e) if refused(&e) => {
            ctx.warn_direct_once(End::Source, &message(path));
            Ok((None, false))
        }
        Err(e) => Err(e),
    }
}

/// A second, `O_DIRECT` descriptor for the file being written at `path` (a temporary or the
/// destination), which is already open buffered (for the unaligned tail and the metadata). `None` when the filesystem refuses
/// `O_DIRECT` (after a warning).
///
/// # Errors
/// The open's error, other than the refusal.
pub(crate) async fn open_destination(
    ctx: &Ctx,
    path: &Path,
    shown: &Path,
) -> io::Result<Option<File>> {
    let direct = File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
        .await;
    match direct {
        Ok(file) => Ok(Some(file)),
        Err(e) if refused(&e) => {
            ctx.warn_direct_once(End::Destination, &message(shown));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// `open(2)` says EINVAL when the filesystem does not support `O_DIRECT`.
fn refused(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EINVAL)
}

fn message(path: &Path) -> String {
    format!(
        "the filesystem of {} refuses O_DIRECT; using buffered I/O for such files",
        quote(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(align_up(0), 0);
        assert_eq!(align_up(1), ALIGN);
        assert_eq!(align_up(ALIGN), ALIGN);
        assert_eq!(align_up(ALIGN + 1), 2 * ALIGN);
    }
}
