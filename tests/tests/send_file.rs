//! A `File` opened on one pool thread is sent to another as a `SendFile` and used there: the
//! bytes written on one thread are read back on the other, on both backends; a file with an
//! operation in flight is not sent (it comes back), and a clone is.

use std::os::fd::AsRawFd;

use ringaio::fs::{File, SendFile};
use ringaio::Backend;
use ringaio_tests::{create_rw, pool, runtime, TempPath, BACKENDS};

fn moved_between_threads(backend: Backend) {
    let path = TempPath::new(env!("CARGO_TARGET_TMPDIR"), "send-file");
    let pool = pool(backend, 2);
    let p = path.path().to_owned();
    let written = pool.spawn_on(0, move || async move {
        let file = create_rw(&p).await?;
        let (n, _) = file.write_at(b"from thread 0".to_vec(), 0).await;
        n?;
        let thread = std::thread::current().id();
        let sent = file
            .into_send()
            .map_err(|_| std::io::Error::other("operations in flight"))?;
        Ok::<_, std::io::Error>((sent, thread))
    });
    let (sent, writer) = futures::executor::block_on(written)
        .expect("task")
        .expect("open and write");
    let read = pool.spawn_on(1, move || async move {
        let file = File::from_send(sent);
        let (n, buf) = file.read_at(Vec::with_capacity(64), 0).await;
        n?;
        let (n, _) = file.write_at(b"1".to_vec(), 12).await;
        n?;
        Ok::<_, std::io::Error>((buf, std::thread::current().id()))
    });
    let (buf, reader) = futures::executor::block_on(read)
        .expect("task")
        .expect("read");
    assert_ne!(writer, reader, "used on two threads");
    assert_eq!(buf, b"from thread 0");
    pool.shutdown().expect("shutdown");
    assert_eq!(
        std::fs::read(path.path()).expect("read back"),
        b"from thread 1"
    );
}

#[test]
fn a_file_moves_to_another_pool_thread() {
    for backend in BACKENDS {
        moved_between_threads(backend);
    }
}

#[test]
fn a_file_in_use_is_not_sent_but_a_clone_is() {
    for backend in BACKENDS {
        let rt = runtime(backend);
        rt.block_on(async {
            let (reader, writer) = std::os::unix::net::UnixStream::pair().expect("pair");
            let file = File::from_std(std::fs::File::from(std::os::fd::OwnedFd::from(reader)));
            // A read that waits: its request holds the fd.
            let mut read = Box::pin(file.read_at(vec![0u8; 8], 0));
            assert!(futures::poll!(read.as_mut()).is_pending());
            drop(read);
            let file = match file.into_send() {
                Ok(_) if backend == Backend::Uring => panic!("sent with a read in flight"),
                Ok(sent) => File::from_send(sent),
                Err(file) => file,
            };
            let clone: SendFile = file
                .try_clone()
                .expect("dup")
                .into_send()
                .expect("a fresh clone has nothing in flight");
            assert_ne!(clone.as_raw_fd(), file.as_raw_fd());
            drop(writer);
        });
    }
}
