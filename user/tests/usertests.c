/*
 * usertests - in the spirit of xv6's usertests: hostile arguments and
 * resource exhaustion.  Bad pointers of every kind for each pointer-taking
 * system call (NULL, the kernel half, non-canonical, unmapped, a buffer
 * running from a mapped page into an unmapped one or off the top of user
 * space, a read-only page as an output buffer), huge and negative lengths,
 * invalid flags; fork until EAGAIN, mmap and touch until ENOMEM (the
 * counters in /proc/switchyard must come back), deep recursion into the
 * stack guard, executing a non-executable page, malformed executables, a
 * thread exiting while others sleep in futex waits, and exit_group racing
 * thread creation.
 *
 * Every test runs in a forked child (in_child()): whatever the kernel does
 * wrong, this program survives to report the rest.  Parts that only make
 * sense on Switchyard (the counters, exhausting all memory) are skipped on a
 * Linux host.
 */
#include "ktap.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>

#define PAGE		4096UL
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_WAIT_PRIVATE	128
#define FUTEX_WAKE_PRIVATE	129
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#define COUNTERS	"/proc/switchyard"

extern char **environ;

static int on_switchyard(void)
{
	return access(COUNTERS, F_OK) == 0;
}

/* ------------------------------------------------------------ helpers */

/* Wait for PID at most TIMEOUT_MS; SIGKILL it (and fail) after that. */
static int wait_timeout(pid_t pid, long timeout_ms, const char *what)
{
	long long end = now_ns() + timeout_ms * 1000000LL;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR) {
			FAIL("%s: waitpid(%d): %s", what, (int)pid, errname(errno));
			return -1;
		}
		if (now_ns() > end) {
			FAIL("%s: child %d still running after %ld ms (hang?), killing it",
			     what, (int)pid, timeout_ms);
			kill(pid, SIGKILL);
			return wait_for(pid);
		}
		sleep_ms(2);
	}
}

/* Run FN in a forked child; it passes if the child exits 0 in time. */
static void in_child(void (*fn)(void), long timeout_ms, const char *what)
{
	pid_t pid = fork();
	if (pid == 0) {
		ktap.failed = 0;
		fn();
		CHILD_EXIT();
	}
	if (pid < 0) {
		FAIL("fork: %s", errname(errno));
		return;
	}
	int st = wait_timeout(pid, timeout_ms, what);
	EXPECT_EXIT(st, 0);
}

struct counters {
	long long tasks, free_pages, mms, kstacks, open_files;
	int ok;
};

static struct counters read_counters(void)
{
	struct counters c = { 0 };
	char buf[4096];
	int fd = open(COUNTERS, O_RDONLY);
	if (fd < 0)
		return c;
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[48];
		long long v;
		if (sscanf(line, " %47[A-Za-z0-9_.-]%*[: \t=]%lld", name, &v) != 2)
			continue;
		if (!strcmp(name, "tasks")) c.tasks = v;
		else if (!strcmp(name, "free_pages")) c.free_pages = v;
		else if (!strcmp(name, "mms")) c.mms = v;
		else if (!strcmp(name, "kstacks")) c.kstacks = v;
		else if (!strcmp(name, "open_files")) c.open_files = v;
	}
	c.ok = c.tasks > 0 && c.free_pages > 0;
	return c;
}

#define SLACK_PAGES 64

/* A snapshot taken once the tasks of earlier tests are gone: a reaped
 * process's other threads may be freed a little later. */
static struct counters settled_counters(void)
{
	struct counters c = read_counters(), n;
	if (!c.ok)
		return c;
	for (int i = 0; i < 100; i++) {
		sleep_ms(20);
		n = read_counters();
		if (n.tasks == c.tasks && n.free_pages == c.free_pages)
			return n;
		c = n;
	}
	DIAG("counters did not settle: tasks %lld", c.tasks);
	return c;
}

/* After a test: the counters must come back (some frees may lag a bit). */
static void check_counters(struct counters before, const char *what)
{
	if (!before.ok)
		return;
	struct counters after = { 0 };
	for (int i = 0; i < 200; i++) {
		after = read_counters();
		if (after.tasks == before.tasks && after.mms == before.mms &&
		    after.kstacks == before.kstacks &&
		    after.free_pages >= before.free_pages - SLACK_PAGES)
			break;
		sleep_ms(10);
	}
	DIAG("%s: tasks %lld->%lld mms %lld->%lld kstacks %lld->%lld free_pages %lld->%lld",
	     what, before.tasks, after.tasks, before.mms, after.mms, before.kstacks,
	     after.kstacks, before.free_pages, after.free_pages);
	EXPECT_EQ(after.tasks, before.tasks);
	EXPECT_EQ(after.mms, before.mms);
	EXPECT_EQ(after.kstacks, before.kstacks);
	EXPECT_GE(after.free_pages, before.free_pages - SLACK_PAGES);
}

/* ------------------------------------------------------------ bad pointers */

enum { BP_IN = 1, BP_OUT = 2, BP_NULL_OK = 4 };

struct badp {
	const char *name;
	char *p;
	int straddle;	/* part of the buffer is good: partial results allowed */
	int ro;		/* readable: bad only as an output buffer */
};

static struct badp bad[16];
static int nbad;
static char *ro_page;

/* Build the table of bad addresses (once per child). */
static void setup_bad(void)
{
	nbad = 0;
	bad[nbad++] = (struct badp){ "NULL", NULL, 0, 0 };
	bad[nbad++] = (struct badp){ "0x1", (char *)1, 0, 0 };
	bad[nbad++] = (struct badp){ "kernel 0xffffffff80000000", (char *)0xffffffff80000000UL, 0, 0 };
	bad[nbad++] = (struct badp){ "kernel 0xffff800000000000", (char *)0xffff800000000000UL, 0, 0 };
	bad[nbad++] = (struct badp){ "noncanonical 0x800000000000", (char *)0x800000000000UL, 0, 0 };
	bad[nbad++] = (struct badp){ "noncanonical 0x8000000000000000", (char *)0x8000000000000000UL, 0, 0 };
	bad[nbad++] = (struct badp){ "TASK_SIZE 0x7ffffffff000", (char *)0x7ffffffff000UL, 0, 0 };

	/* an unmapped page, far from anything mmap hands out (so that
	 * nothing maps it again behind our back) */
	bad[nbad++] = (struct badp){ "unmapped", (char *)0x300000000040UL, 0, 0 };
	/* a mapped page followed by an unmapped one; the last byte is good */
	char *want = (char *)0x200000000000UL;
	char *s = mmap(want, 2 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (s != MAP_FAILED) {
		if (s != want)
			DIAG("MAP_FIXED_NOREPLACE hint not honoured: %p", (void *)s);
		munmap(s + PAGE, PAGE);
		memset(s, 'a', PAGE);		/* no NUL: strings run off the end */
		bad[nbad++] = (struct badp){ "straddle into unmapped", s + PAGE - 1, 1, 0 };
	}
	/* the last page of user space, running off into the non-canonical hole */
	char *top = (char *)0x7fffffffe000UL;
	char *t = mmap(top, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (t == top) {
		memset(t, 'a', PAGE);
		bad[nbad++] = (struct badp){ "straddle off top of user space", t + PAGE - 1, 1, 0 };
	} else if (t != MAP_FAILED) {
		munmap(t, PAGE);
	}
	/* a read-only page (zeroed) */
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro_page != MAP_FAILED)
		bad[nbad++] = (struct badp){ "read-only page", ro_page, 0, 1 };
}

/*
 * For each bad address B usable as DIR (BP_IN: read by the kernel; BP_OUT:
 * written), CALL (which uses `p`) must fail with EFAULT.  A straddling
 * buffer may instead give a partial result when PARTIAL_OK.
 */
#define FOR_BAD(dir, partial_ok, call) do {				\
	for (int _i = 0; _i < nbad; _i++) {				\
		char *p = bad[_i].p;					\
		(void)p;						\
		if (bad[_i].ro && ((dir) & BP_OUT) == 0)		\
			continue;					\
		if (p == NULL && ((dir) & BP_NULL_OK))			\
			continue;					\
		errno = 0;						\
		long _r = (long)(call);					\
		int _e = errno;						\
		if (_r == -1 && _e == EFAULT)				\
			continue;					\
		if (bad[_i].straddle && (partial_ok) && _r >= 0)	\
			continue;					\
		FAIL("%s with %s (%p): expected -1/EFAULT, got %ld/%s",	\
		     #call, bad[_i].name, (void *)p, _r, errname(_e));	\
	}								\
} while (0)

static long sys_futex(void *uaddr, int op, int val, const void *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void bad_pointers_files_body(void)
{
	setup_bad();
	for (int i = 0; i < nbad; i++)
		DIAG("bad address %d: %s %p", i, bad[i].name, (void *)bad[i].p);
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT(dfd >= 0);
	struct stat st;

	/* path names (input) */
	FOR_BAD(BP_IN, 0, syscall(SYS_open, p, O_RDONLY));
	FOR_BAD(BP_IN, 0, syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
	FOR_BAD(BP_IN, 0, syscall(SYS_openat, dfd, p, O_RDONLY));
	FOR_BAD(BP_IN, 0, syscall(SYS_stat, p, &st));
	FOR_BAD(BP_IN, 0, syscall(SYS_lstat, p, &st));
	FOR_BAD(BP_IN, 0, syscall(SYS_access, p, F_OK));
	FOR_BAD(BP_IN, 0, syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
	FOR_BAD(BP_IN, 0, syscall(SYS_newfstatat, dfd, p, &st, AT_SYMLINK_NOFOLLOW));

	/* struct stat (output) */
	FOR_BAD(BP_OUT, 0, syscall(SYS_stat, ktap.argv0, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_lstat, ktap.argv0, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_fstat, fd, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_newfstatat, AT_FDCWD, ktap.argv0, p, 0));

	/* read buffers (output; a partial read into a straddling buffer is Linux) */
	FOR_BAD(BP_OUT, 1, syscall(SYS_pread64, fd, p, 64, 0));
	lseek(fd, 0, SEEK_SET);
	FOR_BAD(BP_OUT, 1, syscall(SYS_read, fd, p, 64));
	lseek(fd, 0, SEEK_SET);
	/* readv: the iovec array (input), and an iovec's buffer (output) */
	FOR_BAD(BP_IN, 0, syscall(SYS_readv, fd, p, 1));
	{
		struct iovec iov[2];
		char small[8];
		iov[0].iov_base = small;
		iov[0].iov_len = sizeof(small);
		iov[1].iov_len = 64;
		FOR_BAD(BP_OUT, 1, (iov[1].iov_base = p, lseek(fd, 0, SEEK_SET),
				    syscall(SYS_readv, fd, iov + 1, 1)));
	}
	/* write and writev (input); never the straddling buffers: they would
	 * put stray bytes on the console */
	for (int i = 0; i < nbad; i++) {
		if (bad[i].ro || bad[i].straddle)
			continue;
		char *p = bad[i].p;
		errno = 0;
		long r = write(1, p, 16);
		if (r != -1 || errno != EFAULT)
			FAIL("write(1, %s, 16): %ld/%s", bad[i].name, r, errname(errno));
		struct iovec iov = { p, 16 };
		errno = 0;
		r = writev(1, &iov, 1);
		if (r != -1 || errno != EFAULT)
			FAIL("writev(1, {%s, 16}): %ld/%s", bad[i].name, r, errname(errno));
	}
	FOR_BAD(BP_IN, 0, syscall(SYS_writev, 1, p, 1));

	/* getdents64 (output), getcwd (output) */
	FOR_BAD(BP_OUT, 0, (lseek(dfd, 0, SEEK_SET), syscall(SYS_getdents64, dfd, p, 256)));
	FOR_BAD(BP_OUT, 0, syscall(SYS_getcwd, p, 64));
	/* ioctl output buffers (only where the console is a terminal) */
	if (isatty(1)) {
		FOR_BAD(BP_OUT, 0, ioctl(1, TIOCGWINSZ, p));
		FOR_BAD(BP_OUT, 0, ioctl(1, TCGETS, p));
		FOR_BAD(BP_IN, 0, ioctl(1, TCSETS, p));
		FOR_BAD(BP_OUT, 0, ioctl(0, FIONREAD, p));
	}
	close(fd);
	close(dfd);
}

TEST(bad_pointers_files)
{
	in_child(bad_pointers_files_body, 20000, "bad_pointers_files");
}

static void bad_pointers_process_body(void)
{
	setup_bad();
	/* signals */
	FOR_BAD(BP_IN | BP_NULL_OK, 0, syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8));
	FOR_BAD(BP_IN | BP_NULL_OK, 0, syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8));
	FOR_BAD(BP_IN | BP_NULL_OK, 0, syscall(SYS_sigaltstack, p, NULL));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_sigaltstack, NULL, p));
	/* the process is still intact: no signal got blocked by garbage */
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	EXPECT_EQ(sigismember(&cur, SIGUSR1), 0);

	/* system information */
	FOR_BAD(BP_OUT, 0, syscall(SYS_uname, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_arch_prctl, 0x1004 /* ARCH_GET_GS */, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_sched_getaffinity, 0, 128, p));
	FOR_BAD(BP_IN, 0, syscall(SYS_sched_setaffinity, 0, 8, p));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_getcpu, p, NULL, NULL));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_getcpu, NULL, p, NULL));
	FOR_BAD(BP_OUT, 1, syscall(SYS_getrandom, p, 16, 0));

	/* time */
	FOR_BAD(BP_OUT, 0, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
	FOR_BAD(BP_OUT, 0, syscall(SYS_clock_gettime, CLOCK_REALTIME, p));
	FOR_BAD(BP_OUT | BP_NULL_OK, 0, syscall(SYS_clock_getres, CLOCK_MONOTONIC, p));
	FOR_BAD(BP_IN, 0, syscall(SYS_nanosleep, p, NULL));
	FOR_BAD(BP_IN, 0, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, p, NULL));
	FOR_BAD(BP_IN, 0, syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, p, NULL));

	/* futex: the word (never a readable page: that could wait forever),
	 * and the timeout with a value that does not match */
	for (int i = 0; i < nbad; i++) {
		if (bad[i].ro || bad[i].straddle || bad[i].p == (char *)1)
			continue;	/* 0x1: EINVAL (misaligned) comes first */
		char *p = bad[i].p;
		errno = 0;
		long r = sys_futex(p, FUTEX_WAIT, 0, NULL);
		if (r != -1 || errno != EFAULT)
			FAIL("futex(%s, FUTEX_WAIT): %ld/%s", bad[i].name, r, errname(errno));
		errno = 0;
		r = sys_futex(p, FUTEX_WAIT_PRIVATE, 0, NULL);
		if (r != -1 || errno != EFAULT)
			FAIL("futex(%s, FUTEX_WAIT_PRIVATE): %ld/%s", bad[i].name, r, errname(errno));
	}
	int word = 1;
	FOR_BAD(BP_IN | BP_NULL_OK, 0, sys_futex(&word, FUTEX_WAIT, 0, p));	/* 1 != 0 */

	/* wait4: the status word and the rusage (output); the child is
	 * reaped all the same */
	for (int i = 0; i < nbad; i++) {
		if (bad[i].p == NULL)
			continue;	/* NULL: no status/rusage wanted */
		for (int which = 0; which < 2; which++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(3);
			if (pid < 0) {
				FAIL("fork: %s", errname(errno));
				return;
			}
			errno = 0;
			long r = which == 0 ? syscall(SYS_wait4, pid, bad[i].p, 0, NULL)
					    : syscall(SYS_wait4, pid, NULL, 0, bad[i].p);
			int e = errno;
			if (r != -1 || e != EFAULT)
				FAIL("wait4(%s = %s): %ld/%s", which ? "rusage" : "status",
				     bad[i].name, r, errname(e));
			/* reaped even so (else reap it now, and say so) */
			errno = 0;
			r = syscall(SYS_wait4, pid, NULL, WNOHANG, NULL);
			if (r != -1 || errno != ECHILD) {
				FAIL("wait4 with bad %s (%s) did not reap: then %ld/%s",
				     which ? "rusage" : "status", bad[i].name, r, errname(errno));
				waitpid(pid, NULL, 0);
			}
		}
	}

	/* execve: path, argv and envp, each in its own child */
	char *argv[] = { "hello", NULL };
	const char *hello = bin_path("hello");
	for (int i = 0; i < nbad; i++) {
		for (int which = 0; which < 3; which++) {
			if (bad[i].ro)
				continue;	/* a zeroed page: empty path/argv/envp */
			if (bad[i].p == NULL && which > 0)
				continue;	/* NULL argv/envp: empty, Linux runs it */
			pid_t pid = fork();
			if (pid == 0) {
				long r;
				errno = 0;
				if (which == 0)
					r = syscall(SYS_execve, bad[i].p, argv, environ);
				else if (which == 1)
					r = syscall(SYS_execve, hello, bad[i].p, environ);
				else
					r = syscall(SYS_execve, hello, argv, bad[i].p);
				/* the read-only page is a valid empty argv/envp */
				/* Linux gives ENOENT for a path of one byte
				 * before an unmapped page */
				if (r == -1 && bad[i].straddle && which == 0 && errno == ENOENT)
					_exit(0);
				_exit(r == -1 && errno == EFAULT ? 0 : 10 + errno);
			}
			int st = wait_timeout(pid, 5000, "execve");
			if ((st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
				char d[96];
				ktap_describe_status(d, sizeof(d), st);
				FAIL("execve(%s = %s): expected EFAULT, child %s",
				     which == 0 ? "path" : which == 1 ? "argv" : "envp",
				     bad[i].name, d);
			}
		}
	}

	/* brk ignores an impossible break and returns the current one */
	long curbrk = syscall(SYS_brk, 0);
	for (int i = 0; i < nbad; i++) {
		if (bad[i].p == NULL || bad[i].ro || bad[i].straddle)
			continue;
		long r = syscall(SYS_brk, bad[i].p);
		if (r != curbrk)
			FAIL("brk(%s): %#lx, the break is %#lx", bad[i].name, r, curbrk);
	}

	/* address-range calls on kernel and non-canonical addresses */
	void *krn[] = { (void *)0xffffffff80000000UL, (void *)0xffff800000000000UL,
			(void *)0x800000000000UL, (void *)0x8000000000000000UL };
	for (int i = 0; i < 4; i++) {
		EXPECT_ERRNO(munmap(krn[i], PAGE), EINVAL);
		EXPECT_ERRNO2(mprotect(krn[i], PAGE, PROT_READ), ENOMEM, EINVAL);
		EXPECT_ERRNO2(madvise(krn[i], PAGE, MADV_DONTNEED), ENOMEM, EINVAL);
	}
}

TEST(bad_pointers_process)
{
	in_child(bad_pointers_process_body, 60000, "bad_pointers_process");
}

/* ------------------------------------------------------------ lengths, flags */

static void huge_lengths_body(void)
{
	static char buf[2 * PAGE];
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	struct stat st;
	ASSERT(fstat(fd, &st) == 0);

	/* a count running past the end of user space: EFAULT, nothing read */
	EXPECT_ERRNO(read(fd, buf, (size_t)-1), EFAULT);
	EXPECT_ERRNO(read(fd, buf, (size_t)LONG_MAX), EFAULT);
	EXPECT_ERRNO(write(1, buf, (size_t)-1), EFAULT);
	EXPECT_ERRNO(pread(fd, buf, (size_t)-1, 0), EFAULT);
	/* a huge count that stays inside user space: only what the file
	 * has is copied (the kernel must not check or touch the whole range) */
	EXPECT_EQ(pread(fd, buf, 1UL << 40, st.st_size - 10), 10);
	EXPECT_EQ(pread(fd, buf, 1UL << 40, st.st_size), 0);
	EXPECT_EQ(pread(fd, buf, 1UL << 40, st.st_size + 100000), 0);
	/* negative offsets */
	EXPECT_ERRNO(pread(fd, buf, 16, -1), EINVAL);
	EXPECT_ERRNO(pread(fd, buf, 16, LLONG_MIN), EINVAL);
	EXPECT_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	EXPECT_ERRNO(lseek(fd, LLONG_MIN, SEEK_END), EINVAL);
	EXPECT_ERRNO(lseek(fd, 0, 7), EINVAL);
	/* readv: counts and lengths */
	struct iovec iov[2] = { { buf, 16 }, { buf + 16, 16 } };
	EXPECT_ERRNO(readv(fd, iov, -1), EINVAL);
	EXPECT_ERRNO(readv(fd, iov, 1025), EINVAL);
	EXPECT_ERRNO(writev(1, iov, -1), EINVAL);
	EXPECT_ERRNO(writev(1, iov, 1025), EINVAL);
	EXPECT_EQ(readv(fd, iov, 0), 0);
	struct iovec huge[2] = { { buf, (size_t)-1 }, { buf, 16 } };
	EXPECT_ERRNO(readv(fd, huge, 1), EINVAL);
	/* getcwd sizes */
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 0), ERANGE);
	EXPECT_ERRNO(syscall(SYS_getcwd, buf, 1), ERANGE);
	EXPECT_GT(syscall(SYS_getcwd, buf, 1UL << 40), 0);
	/* getdents64 with no room */
	int dfd = open("/", O_RDONLY | O_DIRECTORY);
	ASSERT(dfd >= 0);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, buf, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, buf, 10), EINVAL);
	EXPECT_ERRNO2(syscall(SYS_getdents64, dfd, buf, (size_t)-1), EINVAL, EFAULT);
	close(dfd);
	/* affinity masks: a huge length copies only the kernel's mask */
	static unsigned long mask[PAGE / sizeof(long)];
	memset(mask, 0xff, sizeof(mask));
	long r = syscall(SYS_sched_getaffinity, 0, 1UL << 20, mask);
	EXPECT_GT(r, 0);
	EXPECT_LE(r, (long)sizeof(mask));
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 0, mask), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, mask), EINVAL);
	memset(mask, 0xff, sizeof(mask));
	EXPECT_EQ(syscall(SYS_sched_setaffinity, 0, 1UL << 20, mask), 0);
	/* getrandom: zero bytes, bad flags */
	EXPECT_EQ(syscall(SYS_getrandom, buf, 0, 0), 0);
	EXPECT_ERRNO(syscall(SYS_getrandom, buf, 16, 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getrandom, buf, 16, -1), EINVAL);
	/* memory calls */
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(m != MAP_FAILED);
	/* raw calls: musl's mprotect wrapper rounds the range itself */
	EXPECT_ERRNO(syscall(SYS_munmap, m, (size_t)-PAGE), EINVAL);
	EXPECT_ERRNO(syscall(SYS_munmap, m, 1UL << 62), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mprotect, m, (size_t)-PAGE, PROT_READ), ENOMEM);
	EXPECT_ERRNO(syscall(SYS_mprotect, m + 1, PAGE, PROT_READ), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mprotect, m, PAGE, 0x100), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, m, PAGE, 12345), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, m, (size_t)-PAGE, MADV_DONTNEED), EINVAL);
	EXPECT_ERRNO(syscall(SYS_madvise, m + 1, PAGE, MADV_DONTNEED), EINVAL);
	/* a range running into a hole: ENOMEM (Linux changes the part before
	 * the hole all the same) */
	EXPECT_ERRNO(syscall(SYS_mprotect, m, 1UL << 46, PROT_READ), ENOMEM);
	EXPECT_EQ(mprotect(m, PAGE, PROT_READ | PROT_WRITE), 0);
	m[0] = 1;				/* still mapped and writable */
	EXPECT_EQ(m[0], 1);
	munmap(m, PAGE);
	close(fd);
}

TEST(huge_and_negative_lengths)
{
	in_child(huge_lengths_body, 20000, "huge_and_negative_lengths");
}

static void invalid_flags_body(void)
{
	int fd = open(ktap.argv0, O_RDONLY);
	ASSERT(fd >= 0);
	struct stat st;
	struct timespec ts = { 0, 1000 };
	struct timespec badns = { 0, 1000000000L }, negs = { -1, 0 };
	int word = 0;

	EXPECT_ERRNO(syscall(SYS_access, ktap.argv0, 0x10), EINVAL);
	EXPECT_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, ktap.argv0, &st, 0x8000000), EINVAL);
	EXPECT_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, ktap.argv0, &st, -1), EINVAL);
	EXPECT_ERRNO(fcntl(fd, 9999), EINVAL);
	EXPECT_ERRNO(dup2(fd, -1), EBADF);
	EXPECT_ERRNO(dup2(fd, INT_MAX), EBADF);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, 5, NULL, NULL, 8), 0);	/* how unused */
	sigset_t set;
	sigemptyset(&set);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 5, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, -1, NULL, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_kill, getpid(), 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_kill, getpid(), -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, -1, gettid(), 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, 0, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, -5, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_set_robust_list, NULL, 23), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, 1000, &ts), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_gettime, -1, &ts), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_getres, 1000, &ts), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &badns, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_nanosleep, &negs, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, 1000, 0, &ts, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &badns, NULL), EINVAL);
	EXPECT_ERRNO(sys_futex(&word, 99, 0, NULL), ENOSYS);
	EXPECT_ERRNO(sys_futex(&word, FUTEX_WAIT, 0, &badns), EINVAL);
	EXPECT_ERRNO(sys_futex((char *)&word + 1, FUTEX_WAIT, 0, NULL), EINVAL);
	stack_t ss = { .ss_sp = NULL, .ss_flags = 0x1234, .ss_size = 65536 };
	EXPECT_ERRNO(sigaltstack(&ss, NULL), EINVAL);
	char altbuf[64];
	stack_t small = { .ss_sp = altbuf, .ss_flags = 0, .ss_size = sizeof(altbuf) };
	EXPECT_ERRNO(sigaltstack(&small, NULL), ENOMEM);
	EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, 0, -1, 0), EBADF);	/* fd first */
	EXPECT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 1), EINVAL);
	/* clone: CLONE_THREAD needs CLONE_SIGHAND, CLONE_SIGHAND needs CLONE_VM;
	 * a kernel that accepts these anyway makes a child that exits at once */
	long r = syscall(SYS_clone, CLONE_THREAD | CLONE_VM, NULL, NULL, NULL, 0);
	if (r == 0)
		syscall(SYS_exit, 0);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, EINVAL);
	r = syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, NULL, NULL, NULL, 0);
	if (r == 0)
		_exit(0);
	EXPECT_EQ(r, -1);
	EXPECT_EQ(errno, EINVAL);
	close(fd);
}

TEST(invalid_flags)
{
	in_child(invalid_flags_body, 20000, "invalid_flags");
}

/* ------------------------------------------------------------ exhaustion */

#define MAX_CHILDREN 200

static void fork_bomb_body(void)
{
	volatile int *go = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(go != MAP_FAILED);
	*go = 0;
	static pid_t kids[MAX_CHILDREN];
	int n = 0, err = 0;
	while (n < MAX_CHILDREN) {
		pid_t pid = fork();
		if (pid == 0) {
			while (!*go)
				sys_futex((void *)go, FUTEX_WAIT, 0, NULL);
			_exit(7);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		kids[n++] = pid;
	}
	DIAG("forked %d children%s%s", n, err ? ", then " : "", err ? errname(err) : "");
	if (err)
		EXPECT(err == EAGAIN || err == ENOMEM);
	EXPECT_GT(n, 10);
	*go = 1;
	sys_futex((void *)go, FUTEX_WAKE, INT_MAX, NULL);
	for (int i = 0; i < n; i++) {
		int st = wait_timeout(kids[i], 20000, "fork bomb child");
		EXPECT_EXIT(st, 7);
	}
	EXPECT_ERRNO(wait(NULL), ECHILD);
	/* and forking works again */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	EXPECT_GT(pid, 0);
	if (pid > 0)
		EXPECT_EXIT(wait_for(pid), 0);
}

TEST(fork_until_eagain)
{
	struct counters before = settled_counters();
	in_child(fork_bomb_body, 120000, "fork_until_eagain");
	check_counters(before, "fork_until_eagain");
}

/* mmap PROT_NONE until ENOMEM (capped), then unmap everything */
static void mmap_none_body(void)
{
	enum { CHUNK = 256 * 1024, MAXN = 4096 };	/* 1 GiB */
	static char *maps[MAXN];
	int n = 0;
	for (; n < MAXN; n++) {
		/* alternate protections so the areas do not merge into one */
		maps[n] = mmap(NULL, CHUNK, (n & 1) ? PROT_NONE : PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[n] == MAP_FAILED) {
			EXPECT_EQ(errno, ENOMEM);
			break;
		}
	}
	DIAG("mapped %d areas of %d KiB", n, CHUNK / 1024);
	for (int i = 0; i < n; i++)
		if (munmap(maps[i], CHUNK) != 0)
			FAIL("munmap %d: %s", i, errname(errno));
	/* one more mapping works */
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	EXPECT(p != MAP_FAILED);
	if (p != MAP_FAILED)
		p[0] = 1;
}

TEST(mmap_many_areas)
{
	struct counters before = settled_counters();
	in_child(mmap_none_body, 60000, "mmap_many_areas");
	check_counters(before, "mmap_many_areas");
}

/* Map and touch until something gives: mmap fails (ENOMEM), or a fault
 * cannot be served and the child is killed. */
static volatile size_t *touched_mb;

static void mmap_touch_child(size_t cap_mb)
{
	enum { CHUNK = 4 << 20 };
	size_t total = 0;
	while (total < cap_mb << 20) {
		char *m = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			if (errno != ENOMEM)
				_exit(20);
			_exit(2);	/* mmap said ENOMEM */
		}
		for (size_t off = 0; off < CHUNK; off += PAGE)
			m[off] = 1;
		total += CHUNK;
		*touched_mb = total >> 20;
	}
	_exit(0);			/* the cap was reached */
}

TEST(mmap_touch_until_oom)
{
	int sy = on_switchyard();
	struct counters before = settled_counters();
	touched_mb = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(touched_mb != MAP_FAILED);
	/* Switchyard has 256 MiB: 1 GiB cannot fit; on a host stay small */
	size_t cap = sy ? 1024 : 128;
	for (int round = 0; round < 2; round++) {
		*touched_mb = 0;
		pid_t pid = fork();
		if (pid == 0)
			mmap_touch_child(cap);
		ASSERT(pid > 0);
		int st = wait_timeout(pid, 120000, "mmap_touch_until_oom");
		char d[96];
		ktap_describe_status(d, sizeof(d), st);
		DIAG("round %d: touched %zu MiB, child %s", round, *touched_mb, d);
		if (st == -1)
			continue;
		if (WIFEXITED(st))
			EXPECT(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 2);
		else
			EXPECT(WIFSIGNALED(st) && (WTERMSIG(st) == SIGKILL ||
						   WTERMSIG(st) == SIGBUS ||
						   WTERMSIG(st) == SIGSEGV));
		if (sy)
			EXPECT(!(WIFEXITED(st) && WEXITSTATUS(st) == 0));	/* 1 GiB fit? */
	}
	munmap((void *)touched_mb, PAGE);
	/* the system still works: fork and a small allocation */
	pid_t pid = fork();
	if (pid == 0) {
		char *m = malloc(1 << 20);
		if (!m)
			_exit(1);
		memset(m, 1, 1 << 20);
		_exit(0);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	check_counters(before, "mmap_touch_until_oom");
}

/* ------------------------------------------------------------ faults */

static volatile int depth_limit = INT_MAX;

static int __attribute__((noinline)) recurse(int depth)
{
	if (depth > depth_limit)
		return 0;
	volatile char frame[1024];
	frame[0] = (char)depth;
	frame[1023] = (char)depth;
	return recurse(depth + 1) + frame[512];
}

static int __attribute__((noinline)) recurse_syscall(int depth)
{
	struct utsname u;		/* the kernel writes into each frame */
	if (depth > depth_limit)
		return 0;
	if (uname(&u) != 0)
		_exit(30);
	return recurse_syscall(depth + 1) + u.release[0];
}

TEST(deep_recursion_sigsegv)
{
	struct counters before = settled_counters();
	for (int kind = 0; kind < 2; kind++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (kind == 0)
				recurse(0);
			else
				recurse_syscall(0);
			_exit(31);
		}
		ASSERT(pid > 0);
		EXPECT_KILLED(wait_timeout(pid, 30000, "deep recursion"), SIGSEGV);
	}
	check_counters(before, "deep_recursion_sigsegv");
}

TEST(execute_non_executable)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			unsigned char *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (code == MAP_FAILED)
				_exit(40);
			code[0] = 0xc3;		/* ret */
			if (mprotect(code, PAGE, prots[i]) != 0)
				_exit(41);
			((void (*)(void))code)();
			_exit(42);
		}
		ASSERT(pid > 0);
		EXPECT_KILLED(wait_timeout(pid, 10000, "exec from NX"), SIGSEGV);
	}
	/* from the stack and the heap, too */
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			unsigned char stackcode[16] = { 0xc3 };
			unsigned char *heap = malloc(64);
			unsigned char *code = i == 0 ? stackcode : heap;
			code[0] = 0xc3;
			((void (*)(void))code)();
			_exit(42);
		}
		ASSERT(pid > 0);
		EXPECT_KILLED(wait_timeout(pid, 10000, "exec from stack/heap"), SIGSEGV);
	}
	/* and after mprotect(PROT_EXEC) the same page runs */
	pid_t pid = fork();
	if (pid == 0) {
		unsigned char *code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		code[0] = 0xc3;
		if (mprotect(code, PAGE, PROT_READ | PROT_EXEC) != 0)
			_exit(41);
		((void (*)(void))code)();
		_exit(0);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_timeout(pid, 10000, "exec after PROT_EXEC"), 0);
}

/* ------------------------------------------------------------ execve */

static int exec_errno(const char *path)
{
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = { (char *)path, NULL };
		execve(path, argv, environ);
		_exit(errno);
	}
	if (pid < 0)
		return -1;
	int st = wait_timeout(pid, 10000, path);
	if (st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV)
		return -3;		/* failed after the point of no return */
	if (st == -1 || !WIFEXITED(st))
		return -2;
	return WEXITSTATUS(st);
}

TEST(execve_malformed)
{
	/* what exists on every initrd (and the host's build tree) */
	EXPECT_EQ(exec_errno(bin_path("notelf")), ENOEXEC);
	EXPECT_EQ(exec_errno(bindir()), EACCES);		/* a directory */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/no-such-program", bindir());
	EXPECT_EQ(exec_errno(missing), ENOENT);
	snprintf(missing, sizeof(missing), "%s/notelf/x", bindir());
	EXPECT_EQ(exec_errno(missing), ENOTDIR);
	EXPECT_EQ(exec_errno(""), ENOENT);
	/* regular files without any execute bit: EACCES (Linux checks the
	 * mode before reading the file) */
	static const char *const noexec[] = { "/etc/motd", COUNTERS, "/proc/meminfo" };
	for (int i = 0; i < 3; i++) {
		struct stat st;
		if (stat(noexec[i], &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111))
			continue;
		int e = exec_errno(noexec[i]);
		if (e != EACCES)
			FAIL("execve(%s) (mode %o): expected EACCES (errno 13), got %d = %s", noexec[i],
			     (unsigned)st.st_mode & 07777, e, e >= 0 ? strerror(e) : "child died");
	}
	/* Malformed ELF files (scripts/mkbadelf.py puts them in /bin/badelf/:
	 * truncated header, wrong machine, bad phentsize/phnum/phoff, and
	 * segments with p_filesz > p_memsz, outside the file, huge, in the
	 * kernel half, misaligned): each must fail with an errno, or - as
	 * Linux does for the segment cases, which it finds only while mapping
	 * after the point of no return - end the new process with SIGSEGV;
	 * never hurt the kernel. */
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/badelf", bindir());
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return;
	char buf[4096];
	long n;
	int count = 0;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			unsigned short reclen = *(unsigned short *)(buf + off + 16);
			const char *name = buf + off + 19;
			off += reclen;
			if (name[0] == '.')
				continue;
			char path[1200];
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			int e = exec_errno(path);
			count++;
			DIAG("execve(%s): errno %d", path, e);
			if (e != ENOEXEC && e != EINVAL && e != ENOMEM && e != EACCES &&
			    e != E2BIG && e != ELIBBAD && e != ENOENT && e != EIO && e != -3)
				FAIL("execve(%s): %d", path, e);
		}
	}
	close(dfd);
	DIAG("%d malformed executables tried", count);
	EXPECT(count >= 10);		/* the initrd carries them */
}

/* ------------------------------------------------------------ threads */

static atomic_int fw_word, fw_woken;

static void *futex_waiter(void *arg)
{
	(void)arg;
	while (atomic_load(&fw_word) == 0)
		sys_futex(&fw_word, FUTEX_WAIT_PRIVATE, 0, NULL);
	atomic_fetch_add(&fw_woken, 1);
	return NULL;
}

static void *exiter_pthread(void *arg)
{
	(void)arg;
	pthread_exit((void *)7);
}

static void *waker(void *arg)
{
	(void)arg;
	sleep_ms(50);
	atomic_store(&fw_word, 1);
	sys_futex(&fw_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
	return NULL;
}

/* raw clone thread that leaves with SYS_exit */
static int raw_exit_thread(void *arg)
{
	(void)arg;
	syscall(SYS_exit, 0);
	return 0;
}

#define NWAIT 6

static void thread_exit_child(int mode)
{
	pthread_t w[NWAIT], t;
	for (int i = 0; i < NWAIT; i++)
		if (pthread_create(&w[i], NULL, futex_waiter, NULL) != 0)
			_exit(50);
	sleep_ms(20);
	/* a thread exits while the others block */
	if (pthread_create(&t, NULL, exiter_pthread, NULL) != 0)
		_exit(51);
	void *ret;
	if (pthread_join(t, &ret) != 0 || ret != (void *)7)
		_exit(52);
	/* a raw thread leaves with SYS_exit */
	static char stack[65536] __attribute__((aligned(16)));
	int ctid = 1;
	int r = clone(raw_exit_thread, stack + sizeof(stack),
		      CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		      CLONE_SYSVSEM | CLONE_CHILD_CLEARTID, NULL, NULL, NULL, &ctid);
	if (r < 0)
		_exit(53);
	for (int i = 0; i < 5000 && ctid != 0; i++)
		sleep_ms(1);
	if (ctid != 0)
		_exit(54);
	if (atomic_load(&fw_woken) != 0)
		_exit(55);		/* spurious: nobody woke them */
	if (mode == 0) {
		/* the main thread wakes them and joins */
		waker(NULL);
		for (int i = 0; i < NWAIT; i++)
			pthread_join(w[i], NULL);
		_exit(atomic_load(&fw_woken) == NWAIT ? 0 : 56);
	}
	/* the main thread leaves first (a raw SYS_exit: musl's pthread_exit
	 * in the main thread leaves its thread-list lock held), the others
	 * wake and leave; the last thread out ends the process with the
	 * leader's status, 0 */
	pthread_t wk;
	if (pthread_create(&wk, NULL, waker, NULL) != 0)
		_exit(57);
	syscall(SYS_exit, 0);
}

TEST(thread_exit_while_others_wait)
{
	struct counters before = settled_counters();
	for (int mode = 0; mode < 2; mode++)
		for (int round = 0; round < 5; round++) {
			pid_t pid = fork();
			if (pid == 0)
				thread_exit_child(mode);
			ASSERT(pid > 0);
			int st = wait_timeout(pid, 15000, "thread_exit_while_others_wait");
			if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				char d[96];
				ktap_describe_status(d, sizeof(d), st);
				FAIL("mode %d round %d: %s", mode, round, d);
			}
		}
	check_counters(before, "thread_exit_while_others_wait");
}

static atomic_int race_created;

static void *race_leaf(void *arg)
{
	(void)arg;
	atomic_fetch_add(&race_created, 1);
	return NULL;
}

static volatile long *alive_counter;	/* MAP_SHARED: seen by the parent */

static void *race_spawner(void *arg)
{
	(void)arg;
	for (;;) {
		if (alive_counter)
			(*alive_counter)++;
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 16384);
		if (pthread_create(&t, &a, race_leaf, NULL) != 0)
			sched_yield();
		pthread_attr_destroy(&a);
	}
	return NULL;
}

static void exit_group_race_child(int round)
{
	pthread_t t;
	for (int i = 0; i < 4; i++)
		pthread_create(&t, NULL, race_spawner, NULL);
	/* exit_group at a slightly different moment each round */
	long long end = now_ns() + (round % 5) * 3000000LL;
	while (now_ns() < end)
		sched_yield();
	syscall(SYS_exit_group, 77);
	_exit(78);
}

TEST(exit_group_races_clone)
{
	struct counters before = settled_counters();
	for (int round = 0; round < 20; round++) {
		pid_t pid = fork();
		if (pid == 0)
			exit_group_race_child(round);
		ASSERT(pid > 0);
		int st = wait_timeout(pid, 15000, "exit_group_races_clone");
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 77) {
			char d[96];
			ktap_describe_status(d, sizeof(d), st);
			FAIL("round %d: expected exit status 77, got %s", round, d);
		}
	}
	check_counters(before, "exit_group_races_clone");
}

/* exit_group from a thread while the main thread sleeps in a futex wait
 * and others are being created */
static void *late_exit_group(void *arg)
{
	(void)arg;
	sleep_ms(5);
	syscall(SYS_exit_group, 66);
	return NULL;
}

TEST(exit_group_from_thread_while_main_waits)
{
	alive_counter = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(alive_counter != MAP_FAILED);
	for (int round = 0; round < 10; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			pthread_t t;
			pthread_create(&t, NULL, race_spawner, NULL);
			pthread_create(&t, NULL, late_exit_group, NULL);
			int w = 0;
			for (;;)
				sys_futex(&w, FUTEX_WAIT_PRIVATE, 0, NULL);
		}
		ASSERT(pid > 0);
		int st = wait_timeout(pid, 15000, "exit_group_from_thread");
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 66) {
			char d[96];
			ktap_describe_status(d, sizeof(d), st);
			FAIL("round %d: expected exit status 66, got %s", round, d);
		}
		/* reaped: no thread of it may still run user code */
		long a = *alive_counter;
		sleep_ms(30);
		long b = *alive_counter;
		if (a != b)
			FAIL("round %d: a thread of the reaped process still runs "
			     "(counter %ld -> %ld after wait4 returned)", round, a, b);
	}
	munmap((void *)alive_counter, PAGE);
	alive_counter = NULL;
}

static const struct ktap_test tests[] = {
	T(bad_pointers_files),
	T(bad_pointers_process),
	T(huge_and_negative_lengths),
	T(invalid_flags),
	T(execute_non_executable),
	T(deep_recursion_sigsegv),
	T(execve_malformed),
	T(thread_exit_while_others_wait),
	T(exit_group_races_clone),
	T(exit_group_from_thread_while_main_waits),
	T(fork_until_eagain),
	T(mmap_many_areas),
	T(mmap_touch_until_oom),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
