//! Errors as cp prints them: `ringaio-cp: cannot stat 'x': No such file or directory`.

use std::fmt;
use std::io;
use std::path::Path;

/// One failed step: what was being done, to which file, and the OS's reason.
#[derive(Debug)]
pub(crate) struct Failure {
    what: String,
    cause: Option<io::Error>,
}

impl Failure {
    /// `what` failed because of `cause` (printed as `what: strerror`).
    pub(crate) fn os(what: impl Into<String>, cause: io::Error) -> Failure {
        Failure {
            what: what.into(),
            cause: Some(cause),
        }
    }

    /// A failure with no OS error behind it.
    pub(crate) fn plain(what: impl Into<String>) -> Failure {
        Failure {
            what: what.into(),
            cause: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {}", self.what, strerror(cause)),
            None => f.write_str(&self.what),
        }
    }
}

/// The error's text without std's ` (os error N)` tail: what `strerror(3)` says.
pub(crate) fn strerror(e: &io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let tail = format!(" (os error {code})");
            text.strip_suffix(&tail).unwrap_or(&text).to_owned()
        }
        None => text,
    }
}

/// A path as cp quotes it in messages: `'dir/file'`.
pub(crate) fn quote(path: &Path) -> String {
    format!("'{}'", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_like_strerror() {
        let e = io::Error::from_raw_os_error(libc::ENOENT);
        let f = Failure::os(format!("cannot stat {}", quote(Path::new("x"))), e);
        assert_eq!(f.to_string(), "cannot stat 'x': No such file or directory");
    }

    #[test]
    fn other_errors_keep_their_text() {
        let e = io::Error::new(io::ErrorKind::UnexpectedEof, "file ended early");
        assert_eq!(strerror(&e), "file ended early");
        assert_eq!(Failure::plain("boom").to_string(), "boom");
    }
}
