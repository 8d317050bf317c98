/* A libaio program, compiled against the system's <libaio.h> and linked with the shim
   (-laio from the shim's directory; run with LD_LIBRARY_PATH there). It writes, reads back
   and checks a file through io_prep_* requests, checks the error codes of a few misuses,
   and prints the path of the libaio.so.1 it loaded. Exit 0 on success; on failure, the
   line of the failed check. Usage: shim_test <scratch-dir> */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "check failed at line %d: %s\n",    \
				__LINE__, #cond);                           \
			return __LINE__ % 250 + 1;                          \
		}                                                           \
	} while (0)

static void print_loaded_libaio(void)
{
	char line[4096];
	FILE *maps = fopen("/proc/self/maps", "r");
	if (!maps)
		return;
	while (fgets(line, sizeof line, maps)) {
		char *path = strchr(line, '/');
		if (path && strstr(path, "libaio.so")) {
			printf("loaded %s", path);
			break;
		}
	}
	fclose(maps);
}

int main(int argc, char **argv)
{
	io_context_t ctx = 0;
	struct iocb w, r, v, s, bad, *list[4];
	struct io_event ev[4];
	struct timespec zero = { 0, 0 };
	char path[4096], out[4096], in[4096], a[100], b[100];
	struct iovec iov[2] = { { a, sizeof a }, { b, sizeof b } };
	int fd, efd, i;
	unsigned long long count;

	if (argc != 2)
		return 100;
	print_loaded_libaio();
	snprintf(path, sizeof path, "%s/shim_test.data", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	for (i = 0; i < (int)sizeof out; i++)
		out[i] = (char)(i * 31);

	CHECK(io_setup(0, &ctx) == -EINVAL);
	CHECK(io_setup(16, NULL) == -EFAULT);
	CHECK(io_setup(16, &ctx) == 0);
	CHECK(ctx != 0);
	CHECK(((unsigned *)ctx)[4] == 0xa10a10a1); /* aio_ring magic */

	io_prep_pwrite(&w, fd, out, sizeof out, 0);
	w.data = (void *)0x1234;
	list[0] = &w;
	CHECK(io_submit(ctx, 1, list) == 1);
	CHECK(io_getevents(ctx, 1, 4, ev, NULL) == 1);
	CHECK(ev[0].obj == &w && ev[0].data == (void *)0x1234);
	CHECK(ev[0].res == sizeof out && ev[0].res2 == 0);

	efd = eventfd(0, 0);
	CHECK(efd >= 0);
	io_prep_pread(&r, fd, in, sizeof in, 0);
	io_set_eventfd(&r, efd);
	io_prep_preadv(&v, fd, iov, 2, 1000);
	io_prep_fdsync(&s, fd);
	list[0] = &r;
	list[1] = &v;
	list[2] = &s;
	CHECK(io_submit(ctx, 3, list) == 3);
	CHECK(read(efd, &count, sizeof count) == sizeof count && count >= 1);
	for (i = 0; i < 3;) {
		int n = io_getevents(ctx, 1, 3 - i, ev + i, NULL);
		CHECK(n > 0);
		i += n;
	}
	for (i = 0; i < 3; i++) {
		if (ev[i].obj == &r)
			CHECK(ev[i].res == sizeof in);
		else if (ev[i].obj == &v)
			CHECK(ev[i].res == sizeof a + sizeof b);
		else
			CHECK(ev[i].obj == &s && ev[i].res == 0);
	}
	CHECK(memcmp(in, out, sizeof in) == 0);
	CHECK(memcmp(a, out + 1000, sizeof a) == 0);
	CHECK(memcmp(b, out + 1100, sizeof b) == 0);

	/* A bad fd stops the batch: the good one before it counts. */
	io_prep_pread(&r, fd, in, 10, 0);
	io_prep_pread(&bad, 999999, in, 10, 0);
	list[0] = &r;
	list[1] = &bad;
	CHECK(io_submit(ctx, 2, list) == 1);
	CHECK(io_submit(ctx, 1, &list[1]) == -EBADF);
	CHECK(io_getevents(ctx, 1, 1, ev, NULL) == 1 && ev[0].res == 10);
	CHECK(io_getevents(ctx, 0, 1, ev, &zero) == 0);
	CHECK(io_getevents(ctx, 2, 1, ev, NULL) == -EINVAL);
	CHECK(io_cancel(ctx, &r, ev) == -EINVAL);

	CHECK(io_destroy(ctx) == 0);
	CHECK(io_destroy(ctx) == -EINVAL);
	close(efd);
	close(fd);
	unlink(path);
	printf("ok\n");
	return 0;
}
