//! A read marks `at + n` bytes of its buffer initialized. `at` was clamped to the buffer's
//! room when the request was made, but not when the result came in: a buffer reporting less
//! room by then (its `bytes_total` may change: the `IoBufMut` contract only pins the memory)
//! was told bytes past its end were initialized. `set_init` must never see `pos` past
//! `bytes_total` (issue 13, item 4).

use std::cell::Cell;
use std::rc::Rc;

use ringaio::buf::{IoBuf, IoBufMut};
use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{runtime, TempPath};

/// 64 bytes on the heap whose reported room drops to 8 after the first read lands.
struct Shrinking {
    bytes: Box<[u8; 64]>,
    total: usize,
    init: usize,
    /// Every `pos` that `set_init` was given, with the room at the time.
    seen: Rc<Cell<Option<(usize, usize)>>>,
    bad: Rc<Cell<bool>>,
}

// SAFETY: the boxed bytes never move; `total` never exceeds their 64.
unsafe impl IoBuf for Shrinking {
    fn stable_ptr(&self) -> *const u8 {
        self.bytes.as_ptr()
    }
    fn bytes_init(&self) -> usize {
        self.init
    }
    fn bytes_total(&self) -> usize {
        self.total
    }
}

// SAFETY: as above; the kernel may write all `total` bytes.
unsafe impl IoBufMut for Shrinking {
    fn stable_mut_ptr(&mut self) -> *mut u8 {
        self.bytes.as_mut_ptr()
    }
    unsafe fn set_init(&mut self, pos: usize) {
        if pos > self.total {
            self.bad.set(true);
        }
        self.seen.set(Some((pos, self.total)));
        self.init = self.init.max(pos.min(self.total));
        // The first read is in: from now on report less room.
        self.total = 8;
    }
}

#[test]
fn set_init_never_passes_the_room() {
    for backend in [Backend::Uring, Backend::Fallback] {
        let rt = runtime(backend);
        let dir = TempPath::new(std::env::temp_dir(), "shrink");
        std::fs::create_dir_all(dir.path()).expect("dir");
        let path = dir.path().join("sixteen");
        std::fs::write(&path, [7u8; 16]).expect("write");
        let seen = Rc::new(Cell::new(None));
        let bad = Rc::new(Cell::new(false));
        let buf = Shrinking {
            bytes: Box::new([0; 64]),
            total: 64,
            init: 0,
            seen: seen.clone(),
            bad: bad.clone(),
        };
        let (res, buf) = rt.block_on(async {
            let file = File::open(&path).await.expect("open");
            file.read_exact_at(buf, 0).await
        });
        // 16 bytes, then the buffer says 8 bytes of room: the file "ended" for this buffer.
        let err = res.expect_err("the buffer cannot be filled");
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "{backend:?}");
        assert!(
            !bad.get(),
            "{backend:?}: set_init was given {:?} (pos, room)",
            seen.get()
        );
        assert_eq!(&buf.bytes[..16], &[7u8; 16]);
    }
}
