//! Issue 18: `File::{try_clone, into_std, set_permissions, set_times, metadata_with,
//! fadvise, sync_file_range}`.

use std::fs::{FileTimes, Permissions};
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

use ringaio::fs::File;
use ringaio::Backend;
use ringaio_tests::{create_rw, runtime, TempPath, BACKENDS};

fn handles(backend: Backend) {
    let rt = runtime(backend);
    let tmp = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "handles");
    rt.block_on(async {
        let file = create_rw(tmp.path()).await.expect("open");
        let (res, _) = file.write_all_at(vec![7u8; 16384], 0).await;
        res.expect("write");

        let twin = file.try_clone().expect("try_clone");
        drop(file);
        let (n, buf) = twin.read_at(Vec::with_capacity(4), 0).await;
        assert_eq!(n.expect("read through the clone"), 4);
        assert_eq!(buf, [7u8; 4]);

        twin.set_permissions(Permissions::from_mode(0o612))
            .await
            .expect("fchmod");
        let then = SystemTime::UNIX_EPOCH + Duration::new(1_234_567_890, 500);
        twin.set_times(FileTimes::new().set_modified(then).set_accessed(then))
            .await
            .expect("futimens");
        let meta = twin.metadata().await.expect("stat");
        assert_eq!(meta.permissions().mode(), 0o612);
        assert_eq!(meta.modified(), then);
        assert_eq!(meta.accessed(), then);

        let meta = twin
            .metadata_with(libc::STATX_SIZE | libc::STATX_MODE)
            .await
            .expect("statx with a mask");
        assert_ne!(meta.mask() & libc::STATX_SIZE, 0);
        assert_eq!(meta.len(), 16384);

        twin.fadvise(0, 0, libc::POSIX_FADV_DONTNEED)
            .await
            .expect("fadvise");
        twin.sync_file_range(0, 16384, libc::SYNC_FILE_RANGE_WRITE)
            .await
            .expect("sync_file_range");
        let e = twin
            .fadvise(0, u64::from(u32::MAX) + 1, libc::POSIX_FADV_NORMAL)
            .await
            .expect_err("a length the ring cannot carry");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        let e = twin
            .sync_file_range(0, 10, u32::MAX)
            .await
            .expect_err("unknown flags");
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");

        let std_file = twin.into_std().expect("nothing in flight");
        assert_eq!(std_file.metadata().expect("std stat").len(), 16384);
    });
}

fn into_std_while_busy(backend: Backend) {
    let rt = runtime(backend);
    let (reader, writer) = ringaio_tests::pipe().expect("pipe");
    rt.block_on(async {
        let file = File::from_std(reader);
        // A read that cannot finish: dropped, it stays in flight until the pipe has data.
        let read = file.read_at(Vec::with_capacity(8), 0);
        let timed = ringaio::time::timeout(Duration::from_millis(5), read).await;
        assert!(timed.is_err());
        let file = match file.into_std() {
            Ok(_) => panic!("into_std while a request still uses the fd"),
            Err(file) => file,
        };
        drop(writer);
        // The dropped read ends with the pipe closed; then the fd is the handle's alone.
        let mut file = Some(file);
        ringaio_tests::wait_until("the cancelled read to let go of the fd", || {
            let f = file.take().expect("file present");
            match f.into_std() {
                Ok(_) => true,
                Err(f) => {
                    file = Some(f);
                    false
                }
            }
        })
        .await;
    });
}

#[test]
fn file_handle_operations() {
    for backend in BACKENDS {
        handles(backend);
    }
}

#[test]
fn into_std_gives_the_file_back_while_requests_use_it() {
    for backend in BACKENDS {
        into_std_while_busy(backend);
    }
}
