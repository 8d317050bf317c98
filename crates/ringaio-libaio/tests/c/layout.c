/* Prints the layout of libaio's structures as the system's <libaio.h> declares them:
   "name value" per line, compared with the Rust definitions by tests/c_abi.rs. */
#include <libaio.h>
#include <stddef.h>
#include <stdio.h>

#define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))

int main(void)
{
	P("sizeof_iocb", sizeof(struct iocb));
	P("iocb.data", offsetof(struct iocb, data));
	P("iocb.key", offsetof(struct iocb, key));
	P("iocb.aio_rw_flags", offsetof(struct iocb, aio_rw_flags));
	P("iocb.aio_lio_opcode", offsetof(struct iocb, aio_lio_opcode));
	P("iocb.aio_reqprio", offsetof(struct iocb, aio_reqprio));
	P("iocb.aio_fildes", offsetof(struct iocb, aio_fildes));
	P("iocb.buf", offsetof(struct iocb, u.c.buf));
	P("iocb.nbytes", offsetof(struct iocb, u.c.nbytes));
	P("iocb.offset", offsetof(struct iocb, u.c.offset));
	P("iocb.reserved2", offsetof(struct iocb, u.c.__pad3));
	P("iocb.flags", offsetof(struct iocb, u.c.flags));
	P("iocb.resfd", offsetof(struct iocb, u.c.resfd));
	P("iocb.vec", offsetof(struct iocb, u.v.vec));
	P("iocb.nr", offsetof(struct iocb, u.v.nr));
	P("iocb.voffset", offsetof(struct iocb, u.v.offset));
	P("iocb.poll_events", offsetof(struct iocb, u.poll.events));
	P("sizeof_io_event", sizeof(struct io_event));
	P("io_event.data", offsetof(struct io_event, data));
	P("io_event.obj", offsetof(struct io_event, obj));
	P("io_event.res", offsetof(struct io_event, res));
	P("io_event.res2", offsetof(struct io_event, res2));
	P("IO_CMD_PREAD", IO_CMD_PREAD);
	P("IO_CMD_PWRITE", IO_CMD_PWRITE);
	P("IO_CMD_FSYNC", IO_CMD_FSYNC);
	P("IO_CMD_FDSYNC", IO_CMD_FDSYNC);
	P("IO_CMD_POLL", IO_CMD_POLL);
	P("IO_CMD_NOOP", IO_CMD_NOOP);
	P("IO_CMD_PREADV", IO_CMD_PREADV);
	P("IO_CMD_PWRITEV", IO_CMD_PWRITEV);
	return 0;
}
