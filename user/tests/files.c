/*
 * files - the file system calls: open, openat, read, pread64, readv,
 * write, writev, lseek, close, dup, dup2, fcntl, stat, fstat, lstat,
 * newfstatat, access, getdents64, getcwd, ioctl, with valid and invalid
 * arguments and Linux's errno values.
 *
 * The file under test is this program itself (argv[0]): it exists under
 * Switchyard (/tests/files, in the read-only initrd) and on the host (the
 * build directory), is an ELF file, and its directory lists it.  Nothing
 * here writes to a file: the initrd is read-only.
 */
#include "ktap.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <termios.h>

static char self_dir[PATH_MAX];		/* dirname(argv[0]) */
static const char *self_base;		/* basename(argv[0]) */

static const char *self(void)
{
	return ktap.argv0;
}

static void split_self(void)
{
	snprintf(self_dir, sizeof(self_dir), "%s", self());
	char *slash = strrchr(self_dir, '/');
	if (slash == self_dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(self_dir, sizeof(self_dir), ".");
	const char *s = strrchr(self(), '/');
	self_base = s ? s + 1 : self();
}

static off_t file_size(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	return st.st_size;
}

/* Read the whole of PATH with pread into a new buffer (for comparisons). */
static unsigned char *slurp(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	off_t len = file_size(fd);
	unsigned char *buf = len > 0 ? malloc((size_t)len) : NULL;
	size_t got = 0;
	while (buf && got < (size_t)len) {
		ssize_t n = pread(fd, buf + got, (size_t)len - got, (off_t)got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)len) {
		free(buf);
		return NULL;
	}
	*size = got;
	return buf;
}

TEST(open_read_close)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_GE(fd, 3);		/* 0, 1, 2 are taken */
	char magic[4];
	EXPECT_EQ(read(fd, magic, 4), 4);
	EXPECT(memcmp(magic, "\177ELF", 4) == 0);
	EXPECT_EQ(read(fd, magic, 0), 0);
	EXPECT_EQ(read(fd, NULL, 0), 0);
	EXPECT_EQ(close(fd), 0);
	EXPECT_ERRNO(close(fd), EBADF);

	/* open returns the lowest free descriptor */
	int a = EXPECT_OK(open(self(), O_RDONLY));
	int b = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_EQ(b, a + 1);
	close(a);
	int c = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_EQ(c, a);
	close(b);
	close(c);
}

TEST(open_errors)
{
	char path[PATH_MAX + 64];

	EXPECT_ERRNO(open("", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("/no-such-file-anywhere", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("/no-such-dir/x", O_RDONLY), ENOENT);
	EXPECT_ERRNO(syscall(SYS_open, NULL, O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_open, BAD_PTR, O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_open, KERNEL_PTR, O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_open, NONCANON_PTR, O_RDONLY), EFAULT);

	/* a regular file used as a directory */
	snprintf(path, sizeof(path), "%s/x", self());
	EXPECT_ERRNO(open(path, O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(open(self(), O_RDONLY | O_DIRECTORY), ENOTDIR);
	/* a directory opened for writing */
	EXPECT_ERRNO(open(self_dir, O_WRONLY), EISDIR);
	EXPECT_ERRNO(open(self_dir, O_RDWR), EISDIR);
	/* a running program cannot be written: EROFS on a read-only file
	 * system (Switchyard's initrd); on a host ETXTBSY, or EACCES for a
	 * user without write permission */
	errno = 0;
	int w = open(self(), O_WRONLY);
	if (w >= 0 || (errno != EROFS && errno != ETXTBSY && errno != EACCES))
		FAIL("open(self, O_WRONLY): %d/%s, expected -1/EROFS, ETXTBSY or EACCES",
		     w, errname(errno));
	if (w >= 0)
		close(w);

	/* a path longer than PATH_MAX, a name longer than NAME_MAX */
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	EXPECT_ERRNO(open(path, O_RDONLY), ENAMETOOLONG);
	snprintf(path, sizeof(path), "%s/", self_dir);
	size_t len = strlen(path);
	memset(path + len, 'n', NAME_MAX + 1);
	path[len + NAME_MAX + 1] = '\0';
	EXPECT_ERRNO(open(path, O_RDONLY), ENAMETOOLONG);

	/* a path that runs into unmapped memory before its NUL */
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(page != MAP_FAILED);
	munmap(page + 4096, 4096);
	memset(page, 'x', 4096);
	EXPECT_ERRNO(open(page + 4096 - 100, O_RDONLY), EFAULT);
	munmap(page, 4096);
}

TEST(open_flags)
{
	/* open(2) ignores flags it does not know (only openat2 refuses them) */
	int fd = EXPECT_OK(open(self(), O_RDONLY | 0x40000000));
	if (fd >= 0)
		close(fd);
	/* O_CLOEXEC shows up as FD_CLOEXEC, O_NONBLOCK in F_GETFL */
	fd = EXPECT_OK(open(self(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
	if (fd >= 0) {
		EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
		int fl = EXPECT_OK(fcntl(fd, F_GETFL));
		EXPECT_EQ(fl & O_ACCMODE, O_RDONLY);
		EXPECT(fl & O_NONBLOCK);
		close(fd);
	}
	/* a directory opens read-only, with or without O_DIRECTORY */
	fd = EXPECT_OK(open(self_dir, O_RDONLY));
	if (fd >= 0)
		close(fd);
	fd = EXPECT_OK(open(self_dir, O_RDONLY | O_DIRECTORY));
	if (fd >= 0)
		close(fd);
}

TEST(openat_relative)
{
	int dfd = EXPECT_OK(open(self_dir, O_RDONLY | O_DIRECTORY));
	ASSERT(dfd >= 0);
	int fd = EXPECT_OK(openat(dfd, self_base, O_RDONLY));
	if (fd >= 0) {
		char magic[4];
		EXPECT_EQ(read(fd, magic, 4), 4);
		EXPECT(memcmp(magic, "\177ELF", 4) == 0);
		close(fd);
	}
	fd = EXPECT_OK(openat(AT_FDCWD, self(), O_RDONLY));
	if (fd >= 0)
		close(fd);
	/* an absolute path ignores the directory descriptor, even a bad one */
	if (self()[0] == '/') {
		fd = EXPECT_OK(openat(999, self(), O_RDONLY));
		if (fd >= 0)
			close(fd);
	}
	EXPECT_ERRNO(openat(999, self_base, O_RDONLY), EBADF);
	EXPECT_ERRNO(openat(-5, self_base, O_RDONLY), EBADF);
	int file = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_ERRNO(openat(file, "x", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(openat(dfd, "no-such-file", O_RDONLY), ENOENT);
	EXPECT_ERRNO(syscall(SYS_openat, dfd, BAD_PTR, O_RDONLY), EFAULT);
	close(file);
	close(dfd);
}

TEST(read_errors)
{
	char buf[64];
	EXPECT_ERRNO(read(999, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(read(-1, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(read(INT_MAX, buf, sizeof(buf)), EBADF);

	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_ERRNO(read(fd, BAD_PTR, 16), EFAULT);
	EXPECT_ERRNO(read(fd, KERNEL_PTR, 16), EFAULT);
	EXPECT_ERRNO(read(fd, NONCANON_PTR, 16), EFAULT);
	/* a buffer that wraps around the top of the address space */
	EXPECT_ERRNO(read(fd, (void *)-16L, 64), EFAULT);
	/* nothing was consumed by the failed reads */
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 0);
	/* writing to a descriptor opened read-only */
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);

	/* reading a directory */
	int dfd = EXPECT_OK(open(self_dir, O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(read(dfd, buf, sizeof(buf)), EISDIR);
	close(dfd);
}

TEST(read_into_partly_unmapped_buffer)
{
	/* Linux copies what fits before the hole and returns that count; it
	 * only fails with EFAULT if nothing could be copied. */
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(p != MAP_FAILED);
	EXPECT_EQ(munmap(p + 4096, 4096), 0);
	char *dst = p + 4096 - 100;
	errno = 0;
	ssize_t n = read(fd, dst, 1000);
	if (n == -1) {
		EXPECT_EQ(errno, EFAULT);
	} else {
		EXPECT_EQ(n, 100);
		EXPECT(memcmp(dst, "\177ELF", 4) == 0);
		EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 100);
	}
	/* the process is fine and the mapping below the hole too */
	EXPECT_EQ(probe_write(p), 0);
	munmap(p, 4096);
	close(fd);
}

TEST(read_whole_file)
{
	/* read() in odd-sized pieces gives the same bytes as pread() */
	size_t size;
	unsigned char *all = slurp(self(), &size);
	ASSERT(all != NULL);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_EQ(size, (size_t)file_size(fd));
	unsigned char buf[1237];
	size_t off = 0;
	int mismatch = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0) {
			EXPECT_EQ(n, 0);
			break;
		}
		if (off + (size_t)n > size || memcmp(buf, all + off, (size_t)n) != 0)
			mismatch = 1;
		off += (size_t)n;
	}
	EXPECT_EQ(off, size);
	EXPECT(!mismatch);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 0);	/* still at EOF */
	close(fd);
	free(all);
}

TEST(lseek_whence)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	off_t size = file_size(fd);
	ASSERT(size > 4096);
	EXPECT_EQ(lseek(fd, 100, SEEK_SET), 100);
	EXPECT_EQ(lseek(fd, 10, SEEK_CUR), 110);
	EXPECT_EQ(lseek(fd, -10, SEEK_CUR), 100);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), size);
	EXPECT_EQ(lseek(fd, -4, SEEK_END), size - 4);
	/* past the end is allowed; reading there gives end of file */
	EXPECT_EQ(lseek(fd, size + 1000, SEEK_SET), size + 1000);
	char c;
	EXPECT_EQ(read(fd, &c, 1), 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	char magic[4];
	EXPECT_EQ(read(fd, magic, 4), 4);
	EXPECT(memcmp(magic, "\177ELF", 4) == 0);

	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, -5, SEEK_CUR), EINVAL);	/* 4 - 5 < 0 */
	EXPECT_ERRNO(lseek(fd, -(size + 1), SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, 42), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, -1), EINVAL);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 4);		/* unchanged by errors */
	EXPECT_ERRNO(lseek(999, 0, SEEK_SET), EBADF);
	close(fd);

	if (isatty(0))
		EXPECT_ERRNO(lseek(0, 0, SEEK_CUR), ESPIPE);
}

TEST(pread_keeps_position)
{
	size_t size;
	unsigned char *all = slurp(self(), &size);
	ASSERT(all != NULL && size > 8192);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_EQ(lseek(fd, 7, SEEK_SET), 7);
	unsigned char buf[300];
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 4000), (ssize_t)sizeof(buf));
	EXPECT(memcmp(buf, all + 4000, sizeof(buf)) == 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
	/* a short read at the end, then nothing past it */
	EXPECT_EQ(pread(fd, buf, sizeof(buf), (off_t)size - 10), 10);
	EXPECT(memcmp(buf, all + size - 10, 10) == 0);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), (off_t)size), 0);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), (off_t)size + 12345), 0);
	EXPECT_ERRNO(pread(fd, buf, sizeof(buf), -1), EINVAL);
	EXPECT_ERRNO(pread(fd, BAD_PTR, sizeof(buf), 0), EFAULT);
	EXPECT_ERRNO(pread(fd, KERNEL_PTR, sizeof(buf), 0), EFAULT);
	EXPECT_ERRNO(pread(999, buf, sizeof(buf), 0), EBADF);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
	close(fd);
	if (isatty(0))
		EXPECT_ERRNO(pread(0, buf, 1, 0), ESPIPE);
	free(all);
}

TEST(readv_scatter)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	char a[3], b[5], c[8];
	struct iovec iov[4] = {
		{ a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) }, { c, sizeof(c) },
	};
	EXPECT_EQ(readv(fd, iov, 4), 16);
	unsigned char want[16];
	EXPECT_EQ(pread(fd, want, 16, 0), 16);
	EXPECT(memcmp(a, want, 3) == 0);
	EXPECT(memcmp(b, want + 3, 5) == 0);
	EXPECT(memcmp(c, want + 8, 8) == 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 16);
	EXPECT_EQ(readv(fd, iov, 0), 0);

	EXPECT_ERRNO(readv(fd, iov, -1), EINVAL);
	EXPECT_ERRNO(readv(fd, iov, 1025), EINVAL);		/* > IOV_MAX */
	EXPECT_ERRNO(readv(fd, BAD_PTR, 1), EFAULT);
	EXPECT_ERRNO(readv(fd, KERNEL_PTR, 1), EFAULT);
	struct iovec bad[2] = { { KERNEL_PTR, 8 }, { a, 3 } };
	EXPECT_ERRNO(readv(fd, bad, 2), EFAULT);
	/* a length that is negative as an ssize_t */
	struct iovec huge[2] = { { a, 3 }, { b, (size_t)SSIZE_MAX + 1 } };
	EXPECT_ERRNO(readv(fd, huge, 2), EINVAL);
	EXPECT_ERRNO(readv(999, iov, 1), EBADF);
	close(fd);
}

TEST(write_and_writev_console)
{
	/* these go to our standard output: keep them KTAP diagnostics */
	char line[128];
	int n = snprintf(line, sizeof(line), "%*s# write: one line\n", ktap.indent, "");
	EXPECT_EQ(write(1, line, (size_t)n), n);
	EXPECT_EQ(write(1, line, 0), 0);
	EXPECT_EQ(write(1, NULL, 0), 0);

	char pad[40];
	snprintf(pad, sizeof(pad), "%*s", ktap.indent, "");
	struct iovec iov[5] = {
		{ pad, strlen(pad) }, { "# writev: ", 10 }, { NULL, 0 },
		{ "three pieces", 12 }, { "\n", 1 },
	};
	EXPECT_EQ(writev(1, iov, 5), (ssize_t)(strlen(pad) + 23));
	EXPECT_EQ(writev(1, iov, 0), 0);

	EXPECT_ERRNO(write(1, BAD_PTR, 5), EFAULT);
	EXPECT_ERRNO(write(1, KERNEL_PTR, 5), EFAULT);
	EXPECT_ERRNO(write(1, NONCANON_PTR, 5), EFAULT);
	EXPECT_ERRNO(write(999, "x", 1), EBADF);
	EXPECT_ERRNO(write(-1, "x", 1), EBADF);
	EXPECT_ERRNO(writev(1, iov, -1), EINVAL);
	EXPECT_ERRNO(writev(1, iov, 1025), EINVAL);
	EXPECT_ERRNO(writev(1, BAD_PTR, 1), EFAULT);
	struct iovec bad[1] = { { KERNEL_PTR, 4 } };
	EXPECT_ERRNO(writev(1, bad, 1), EFAULT);
	EXPECT_ERRNO(writev(999, iov, 1), EBADF);
}

TEST(dup_and_dup2)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	int d = EXPECT_OK(dup(fd));
	EXPECT_EQ(d, fd + 1);
	/* the two descriptors share one file position */
	EXPECT_EQ(lseek(fd, 1234, SEEK_SET), 1234);
	EXPECT_EQ(lseek(d, 0, SEEK_CUR), 1234);
	/* dup clears close-on-exec on the copy */
	EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	int d2 = EXPECT_OK(dup(fd));
	EXPECT_EQ(fcntl(d2, F_GETFD), 0);
	close(d2);

	EXPECT_EQ(dup2(fd, fd), fd);
	int target = fd + 20;
	EXPECT_EQ(dup2(fd, target), target);
	EXPECT_EQ(lseek(target, 0, SEEK_CUR), 1234);
	/* dup2 onto an open descriptor closes it first */
	int other = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_EQ(dup2(other, target), target);
	EXPECT_EQ(lseek(target, 0, SEEK_CUR), 0);
	close(other);

	EXPECT_ERRNO(dup(999), EBADF);
	EXPECT_ERRNO(dup(-1), EBADF);
	EXPECT_ERRNO(dup2(999, target), EBADF);
	EXPECT_ERRNO(dup2(999, 999), EBADF);	/* even when old == new */
	EXPECT_ERRNO(dup2(fd, -1), EBADF);
	EXPECT_ERRNO(dup2(fd, INT_MAX), EBADF);
	/* target is still the copy of `other` after the failed calls */
	EXPECT_EQ(fcntl(target, F_GETFD), 0);
	close(target);
	close(d);
	close(fd);
}

TEST(fd_table_full)
{
	/* open until EMFILE, then everything closes again.  On a host with a
	 * big limit, lower the soft limit to 64 first (Switchyard's table has
	 * 64 slots; its prlimit64 is ENOSYS and the call just fails). */
	struct rlimit old;
	int lowered = 0;
	if (getrlimit(RLIMIT_NOFILE, &old) == 0 && old.rlim_cur > 64) {
		struct rlimit low = { 64, old.rlim_max };
		lowered = setrlimit(RLIMIT_NOFILE, &low) == 0;
	}
	int lowest = dup(1);		/* the lowest free descriptor */
	close(lowest);
	int fds[2048], n = 0, err = 0;
	for (;;) {
		if (n == (int)(sizeof(fds) / sizeof(fds[0])))
			break;
		int fd = dup(1);
		if (fd < 0) {
			err = errno;
			break;
		}
		fds[n++] = fd;
	}
	if (n == (int)(sizeof(fds) / sizeof(fds[0]))) {
		for (int i = 0; i < n; i++)
			close(fds[i]);
		if (lowered)
			setrlimit(RLIMIT_NOFILE, &old);
		SKIP("more than %d descriptors allowed", n);
	}
	EXPECT_EQ(err, EMFILE);
	EXPECT_GT(n, 10);
	DIAG("%d more descriptors opened before EMFILE", n);
	EXPECT_ERRNO(open(self(), O_RDONLY), EMFILE);
	EXPECT_ERRNO(fcntl(1, F_DUPFD, 0), EMFILE);
	for (int i = 0; i < n; i++)
		EXPECT_EQ(close(fds[i]), 0);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_EQ(fd, lowest);
	close(fd);
	if (lowered)
		setrlimit(RLIMIT_NOFILE, &old);
}

TEST(fcntl_commands)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	EXPECT_EQ(fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_SETFD, 0), 0);
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);

	int d = EXPECT_OK(fcntl(fd, F_DUPFD, 10));
	EXPECT_GE(d, 10);
	EXPECT_EQ(fcntl(d, F_GETFD), 0);
	int e = EXPECT_OK(fcntl(fd, F_DUPFD_CLOEXEC, 10));
	EXPECT_GT(e, d);
	EXPECT_EQ(fcntl(e, F_GETFD), FD_CLOEXEC);
	close(d);
	close(e);

	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	int acc = fcntl(1, F_GETFL) & O_ACCMODE;	/* the console: O_RDWR or O_WRONLY */
	EXPECT(acc == O_WRONLY || acc == O_RDWR);

	EXPECT_ERRNO(fcntl(fd, F_DUPFD, -1), EINVAL);
	EXPECT_ERRNO(fcntl(fd, F_DUPFD, INT_MAX), EINVAL);
	EXPECT_ERRNO(syscall(SYS_fcntl, fd, 9999, 0), EINVAL);
	EXPECT_ERRNO(fcntl(999, F_GETFD), EBADF);
	EXPECT_ERRNO(fcntl(-1, F_GETFL), EBADF);
	close(fd);
}

TEST(stat_family)
{
	struct stat st, fst, lst;
	EXPECT_EQ(stat(self(), &st), 0);
	EXPECT(S_ISREG(st.st_mode));
	EXPECT(st.st_mode & S_IXUSR);
	EXPECT_GT(st.st_size, 4096);
	EXPECT_EQ(lstat(self(), &lst), 0);
	EXPECT_EQ(lst.st_ino, st.st_ino);
	EXPECT_EQ(lst.st_size, st.st_size);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	ASSERT(fd >= 0);
	EXPECT_EQ(fstat(fd, &fst), 0);
	EXPECT_EQ(fst.st_ino, st.st_ino);
	EXPECT_EQ(fst.st_dev, st.st_dev);
	EXPECT_EQ(fst.st_mode, st.st_mode);
	EXPECT_EQ(fst.st_size, st.st_size);
	EXPECT_EQ(lseek(fd, 0, SEEK_END), st.st_size);
	EXPECT_EQ(fst.st_nlink >= 1, 1);

	struct stat dst;
	EXPECT_EQ(stat(self_dir, &dst), 0);
	EXPECT(S_ISDIR(dst.st_mode));
	EXPECT_NE(dst.st_ino, st.st_ino);

	EXPECT_ERRNO(stat("", &st), ENOENT);
	EXPECT_ERRNO(stat("/no-such-file-anywhere", &st), ENOENT);
	EXPECT_ERRNO(syscall(SYS_stat, BAD_PTR, &st), EFAULT);
	EXPECT_ERRNO(syscall(SYS_stat, self(), BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_stat, self(), KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_lstat, KERNEL_PTR, &st), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstat, fd, BAD_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstat, fd, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(syscall(SYS_fstat, 999, &st), EBADF);
	EXPECT_ERRNO(syscall(SYS_fstat, -1, &st), EBADF);
	close(fd);

	/* the console */
	EXPECT_EQ(fstat(1, &st), 0);
	if (isatty(1))
		EXPECT(S_ISCHR(st.st_mode));
}

TEST(newfstatat_flags)
{
	struct stat st, want;
	ASSERT(stat(self(), &want) == 0);
	EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, self(), &st, 0), 0);
	EXPECT_EQ(st.st_ino, want.st_ino);
	EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, self(), &st, AT_SYMLINK_NOFOLLOW), 0);
	EXPECT_EQ(st.st_size, want.st_size);

	int dfd = EXPECT_OK(open(self_dir, O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(syscall(SYS_newfstatat, dfd, self_base, &st, 0), 0);
	EXPECT_EQ(st.st_ino, want.st_ino);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	memset(&st, 0, sizeof(st));
	EXPECT_EQ(syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), 0);
	EXPECT_EQ(st.st_ino, want.st_ino);
	EXPECT_ERRNO(syscall(SYS_newfstatat, fd, "", &st, 0), ENOENT);
	EXPECT_ERRNO(syscall(SYS_newfstatat, fd, "x", &st, 0), ENOTDIR);
	EXPECT_ERRNO(syscall(SYS_newfstatat, 999, self_base, &st, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_newfstatat, dfd, self_base, &st, 0x1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_newfstatat, dfd, self_base, &st, 0x40000000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_newfstatat, dfd, BAD_PTR, &st, 0), EFAULT);
	EXPECT_ERRNO(syscall(SYS_newfstatat, dfd, self_base, KERNEL_PTR, 0), EFAULT);
	close(fd);
	close(dfd);
}

TEST(access_modes)
{
	EXPECT_EQ(access(self(), F_OK), 0);
	EXPECT_EQ(access(self(), R_OK), 0);
	EXPECT_EQ(access(self(), X_OK), 0);
	EXPECT_EQ(access(self(), R_OK | X_OK), 0);
	EXPECT_EQ(access(self_dir, X_OK), 0);
	EXPECT_ERRNO(access("/no-such-file-anywhere", F_OK), ENOENT);
	EXPECT_ERRNO(access(self(), 8), EINVAL);
	EXPECT_ERRNO(access(self(), -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_access, BAD_PTR, F_OK), EFAULT);
	EXPECT_ERRNO(syscall(SYS_access, KERNEL_PTR, F_OK), EFAULT);
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/x", self());
	EXPECT_ERRNO(access(path, F_OK), ENOTDIR);
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* List DIR with getdents64 and a buffer of BUFSIZE; the number of
 * entries, whether SELF_BASE was among them (as a regular file), and
 * whether every record was well formed. */
static int list_dir(const char *dir, size_t bufsize, int *found, int *well_formed)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -1;
	char *buf = malloc(bufsize);
	int count = 0;
	*found = 0;
	*well_formed = 1;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, bufsize);
		if (n < 0) {
			count = -1;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (d->d_reclen == 0 || d->d_reclen % 8 != 0 || off + d->d_reclen > n ||
			    strnlen(d->d_name, d->d_reclen - 19) >= (size_t)d->d_reclen - 19) {
				*well_formed = 0;
				break;
			}
			if (strcmp(d->d_name, self_base) == 0 &&
			    (d->d_type == DT_REG || d->d_type == DT_UNKNOWN))
				(*found)++;
			count++;
			off += d->d_reclen;
		}
	}
	free(buf);
	close(fd);
	return count;
}

TEST(getdents64_listing)
{
	int found, ok;
	int big = list_dir(self_dir, 65536, &found, &ok);
	EXPECT_GT(big, 0);
	EXPECT_EQ(found, 1);
	EXPECT(ok);
	/* one record at a time gives the same entries */
	int small = list_dir(self_dir, 64 + 256, &found, &ok);
	EXPECT_EQ(small, big);
	EXPECT_EQ(found, 1);
	EXPECT(ok);
	/* opendir/readdir (musl uses getdents64) agrees */
	DIR *d = opendir(self_dir);
	ASSERT(d != NULL);
	int n = 0, seen = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		n++;
		seen += strcmp(e->d_name, self_base) == 0;
	}
	closedir(d);
	EXPECT_EQ(n, big);
	EXPECT_EQ(seen, 1);
}

TEST(getdents64_errors)
{
	char buf[4096];
	int dfd = EXPECT_OK(open(self_dir, O_RDONLY | O_DIRECTORY));
	ASSERT(dfd >= 0);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, buf, 1), EINVAL);	/* too small */
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, BAD_PTR, sizeof(buf)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, KERNEL_PTR, sizeof(buf)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	/* after the errors the directory still lists from the start */
	EXPECT_GT(syscall(SYS_getdents64, dfd, buf, sizeof(buf)), 0);
	close(dfd);
}

TEST(getcwd_raw)
{
	char buf[PATH_MAX];
	long n = EXPECT_OK(syscall(SYS_getcwd, buf, sizeof(buf)));
	ASSERT(n > 0);
	EXPECT_EQ(buf[0], '/');
	EXPECT_EQ((size_t)n, strlen(buf) + 1);	/* the raw call counts the NUL */
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 0), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, (size_t)n - 1), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, BAD_PTR, sizeof(buf)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getcwd, KERNEL_PTR, sizeof(buf)), EFAULT);
	char *p = getcwd(NULL, 0);		/* musl allocates */
	EXPECT(p != NULL && strcmp(p, buf) == 0);
	free(p);
}

TEST(ioctl_terminal)
{
	int fd = EXPECT_OK(open(self(), O_RDONLY));
	struct winsize ws;
	struct termios t;
	EXPECT_ERRNO(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
	EXPECT_EQ(isatty(fd), 0);
	close(fd);
	EXPECT_ERRNO(ioctl(999, TIOCGWINSZ, &ws), EBADF);

	if (!isatty(1))
		SKIP("standard output is not a terminal");
	memset(&ws, 0, sizeof(ws));
	EXPECT_EQ(ioctl(1, TIOCGWINSZ, &ws), 0);
	DIAG("terminal %u x %u", ws.ws_col, ws.ws_row);	/* 0 x 0 is allowed */
	EXPECT_EQ(ioctl(1, TCGETS, &t), 0);
	EXPECT_EQ(tcgetattr(1, &t), 0);
	EXPECT_ERRNO(ioctl(1, TIOCGWINSZ, BAD_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(1, TIOCGWINSZ, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(1, TCGETS, KERNEL_PTR), EFAULT);
	EXPECT_ERRNO(ioctl(1, 0x7fff1234, &ws), ENOTTY);	/* unknown request */
}

TEST(close_on_exec)
{
	/* FD_CLOEXEC descriptors are gone after execve, others survive */
	int keep = EXPECT_OK(open(self(), O_RDONLY));
	int gone = EXPECT_OK(open(self(), O_RDONLY | O_CLOEXEC));
	ASSERT(keep >= 0 && gone >= 0);
	EXPECT_EQ(lseek(keep, 42, SEEK_SET), 42);
	char a[16], b[16];
	snprintf(a, sizeof(a), "%d", keep);
	snprintf(b, sizeof(b), "%d", gone);
	char *args[] = { "cloexec", a, b, NULL };
	EXPECT_EXIT(run_child_mode(args), 0);
	close(keep);
	close(gone);
}

/* `files --child cloexec KEEP GONE`, after execve */
static int child_main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[0], "cloexec") == 0) {
		int keep = atoi(argv[1]), gone = atoi(argv[2]);
		EXPECT_EQ(fcntl(keep, F_GETFD), 0);
		EXPECT_EQ(lseek(keep, 0, SEEK_CUR), 42);	/* same open file */
		EXPECT_ERRNO(fcntl(gone, F_GETFD), EBADF);
		return ktap.failed ? 1 : 0;
	}
	return 2;
}

static const struct ktap_test tests[] = {
	T(open_read_close),
	T(open_errors),
	T(open_flags),
	T(openat_relative),
	T(read_errors),
	T(read_into_partly_unmapped_buffer),
	T(read_whole_file),
	T(lseek_whence),
	T(pread_keeps_position),
	T(readv_scatter),
	T(write_and_writev_console),
	T(dup_and_dup2),
	T(fd_table_full),
	T(fcntl_commands),
	T(stat_family),
	T(newfstatat_flags),
	T(access_modes),
	T(getdents64_listing),
	T(getdents64_errors),
	T(getcwd_raw),
	T(ioctl_terminal),
	T(close_on_exec),
};

int main(int argc, char **argv)
{
	ktap.argv0 = argv[0];
	split_self();
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), child_main);
}
