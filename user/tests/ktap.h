/*
 * ktap.h - a tiny KTAP harness for Switchyard's ring-3 test programs.
 *
 * Each program in user/tests/ is an ordinary static Linux program: it runs
 * under Switchyard (init runs every /tests/ program at boot with `utest` on
 * the kernel command line) and natively on a Linux host, where the results
 * must be the same (make test runs them both ways).  A program prints one
 * KTAP document:
 *
 *     KTAP version 1
 *     # Subtest: files
 *     1..3
 *     # running: open_read
 *     ok 1 open_read
 *     # running: open_errors
 *     # files.c:57: open("", O_RDONLY): expected -1/ENOENT, got 3/0
 *     not ok 2 open_errors
 *     ...
 *
 * indented by $KTAP_INDENT spaces (init sets 4, so the document nests under
 * init's own), and exits with the number of failed tests (at most 100).
 *
 *     TEST(name) { EXPECT(...); EXPECT_EQ(a, b); EXPECT_ERRNO(call, EFAULT); }
 *     static const struct ktap_test tests[] = { T(name), ... };
 *     int main(int argc, char **argv) { return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL); }
 *
 * A test that is never listed is a compile error (-Wunused-function).
 * Tests run one after another in the same process, in the listed order.
 * `prog PATTERN...` runs only the tests whose names match (fnmatch);
 * `prog --child ...` calls the program's child function instead (programs
 * re-execute themselves to test execve).
 *
 * Output is written with one write(2) per line, never through stdio
 * buffers, so nothing is printed twice after fork() and lines from
 * different processes do not mix within a line.
 */
#ifndef USER_TESTS_KTAP_H
#define USER_TESTS_KTAP_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ktap_test {
	const char *name;
	void (*fn)(void);
};

#define TEST(name)	static void test_##name(void)
#define T(name)		{ #name, test_##name }
#define KTAP_COUNT(a)	((int)(sizeof(a) / sizeof((a)[0])))

/* Addresses no system call may accept from user space. */
#define BAD_PTR		((void *)1)
#define KERNEL_PTR	((void *)0xffffffff80000000UL)
#define NONCANON_PTR	((void *)0x8000000000000000UL)

static struct {
	int indent;		/* spaces in front of every line */
	int failed;		/* checks failed in the current test */
	const char *skip;	/* set by SKIP() */
	char skipbuf[160];
	const char *prog;	/* program name (basename of argv[0]) */
	const char *argv0;	/* as invoked: the path of this program */
} ktap;

static inline void ktap_write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(1, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* One line: indentation, the text, a newline; a single write(2). */
static inline void __attribute__((format(printf, 1, 2))) ktap_line(const char *fmt, ...)
{
	char buf[1024];
	int saved = errno;
	int n = ktap.indent;

	memset(buf, ' ', (size_t)n);
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		len = 0;
	if ((size_t)(n + len) > sizeof(buf) - 2)
		len = (int)sizeof(buf) - 2 - n;
	n += len;
	buf[n++] = '\n';
	ktap_write_all(buf, (size_t)n);
	errno = saved;
}

#define DIAG(...)	ktap_diag(__VA_ARGS__)
static inline void __attribute__((format(printf, 1, 2))) ktap_diag(const char *fmt, ...)
{
	char buf[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ktap_line("# %s", buf);
}

static inline const char *errname(int e)
{
	static const char *const names[] = {
		[0] = "0", [EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
		[EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG",
		[ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF", [ECHILD] = "ECHILD",
		[EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM", [EACCES] = "EACCES",
		[EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR",
		[EISDIR] = "EISDIR", [EINVAL] = "EINVAL", [ENFILE] = "ENFILE",
		[EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY",
		[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE",
		[EROFS] = "EROFS", [EMLINK] = "EMLINK", [EPIPE] = "EPIPE",
		[EDOM] = "EDOM", [ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK",
		[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS",
		[ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
		[EOVERFLOW] = "EOVERFLOW", [ETIMEDOUT] = "ETIMEDOUT",
		[EOPNOTSUPP] = "EOPNOTSUPP",
	};
	static char other[16];
	if (e >= 0 && e < (int)(sizeof(names) / sizeof(names[0])) && names[e])
		return names[e];
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

static inline void __attribute__((format(printf, 3, 4)))
ktap_fail(const char *file, int line, const char *fmt, ...)
{
	char buf[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ktap_line("# %s:%d: %s", file, line, buf);
	ktap.failed++;
}

#define FAIL(...)	ktap_fail(__FILE__, __LINE__, __VA_ARGS__)

#define EXPECT(cond) do {						\
	if (!(cond))							\
		FAIL("EXPECT(%s) failed", #cond);			\
} while (0)

#define ASSERT(cond) do {						\
	if (!(cond)) {							\
		FAIL("ASSERT(%s) failed", #cond);			\
		return;							\
	}								\
} while (0)

#define KTAP_CMP(a, op, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (!(_a op _b))						\
		FAIL("%s %s %s: %lld (%#llx) vs %lld (%#llx)",		\
		     #a, #op, #b, _a, (unsigned long long)_a, _b,	\
		     (unsigned long long)_b);				\
} while (0)
#define EXPECT_EQ(a, b)	KTAP_CMP(a, ==, b)
#define EXPECT_NE(a, b)	KTAP_CMP(a, !=, b)
#define EXPECT_GE(a, b)	KTAP_CMP(a, >=, b)
#define EXPECT_GT(a, b)	KTAP_CMP(a, >, b)
#define EXPECT_LE(a, b)	KTAP_CMP(a, <=, b)
#define EXPECT_LT(a, b)	KTAP_CMP(a, <, b)

#define EXPECT_STREQ(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b) != 0)					\
		FAIL("%s == %s: \"%s\" vs \"%s\"", #a, #b, _a, _b);	\
} while (0)

/* The call must fail with -1 and errno E. */
#define EXPECT_ERRNO(call, e) do {					\
	errno = 0;							\
	long _r = (long)(call);						\
	int _e = errno;							\
	if (_r != -1 || _e != (e))					\
		FAIL("%s: expected -1/%s, got %ld/%s", #call,		\
		     errname(e), _r, errname(_e));			\
} while (0)

/* The call must fail with -1 and errno E1 or E2 (Linux itself differs). */
#define EXPECT_ERRNO2(call, e1, e2) do {				\
	errno = 0;							\
	long _r = (long)(call);						\
	int _e = errno;							\
	if (_r != -1 || (_e != (e1) && _e != (e2)))			\
		FAIL("%s: expected -1/%s or %s, got %ld/%s", #call,	\
		     errname(e1), errname(e2), _r, errname(_e));	\
} while (0)

/* The call must not return -1; its value is the value of the macro. */
#define EXPECT_OK(call) ({						\
	errno = 0;							\
	long _r = (long)(call);						\
	if (_r == -1)							\
		FAIL("%s failed: %s", #call, errname(errno));		\
	_r;								\
})

#define SKIP(...) do {							\
	snprintf(ktap.skipbuf, sizeof(ktap.skipbuf), __VA_ARGS__);	\
	ktap.skip = ktap.skipbuf;					\
	return;								\
} while (0)

/* ---------------------------------------------------------------- helpers */

/* The whole of PATH (e.g. a /proc file, generated at open) into BUF, NUL
 * terminated: its length, or -1 (errno from open). */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	ssize_t n;
	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Wait for PID; its raw wait status, or -1 (and a failure) on error. */
static inline int wait_for(pid_t pid)
{
	int status;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	if (r != pid) {
		FAIL("waitpid(%d): %ld, %s", (int)pid, (long)r, errname(errno));
		return -1;
	}
	return status;
}

static inline void ktap_describe_status(char *buf, size_t size, int status)
{
	if (status == -1)
		snprintf(buf, size, "(no status)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "wait status %#x", status);
}

#define EXPECT_EXIT(status, code) do {					\
	int _s = (status);						\
	if (_s == -1 || !WIFEXITED(_s) || WEXITSTATUS(_s) != (code)) {	\
		char _d[96];						\
		ktap_describe_status(_d, sizeof(_d), _s);		\
		FAIL("%s: expected exit status %d, got %s", #status,	\
		     (int)(code), _d);					\
	}								\
} while (0)

#define EXPECT_KILLED(status, sig) do {					\
	int _s = (status);						\
	if (_s == -1 || !WIFSIGNALED(_s) || WTERMSIG(_s) != (sig)) {	\
		char _d[96];						\
		ktap_describe_status(_d, sizeof(_d), _s);		\
		FAIL("%s: expected death by signal %d (%s), got %s",	\
		     #status, (int)(sig), strsignal(sig), _d);		\
	}								\
} while (0)

/*
 * In a forked child: checks go through the same macros (their failure
 * lines are printed by the child), then CHILD_EXIT() exits with 0 if all
 * passed, 1 otherwise, and the parent checks EXPECT_EXIT(status, 0).
 */
#define CHILD_EXIT()	_exit(ktap.failed ? 1 : 0)

static inline long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * probe_*: touch ADDR and report whether that raised SIGSEGV/SIGBUS
 * (the fault is caught with a handler and siglongjmp).  The handler also
 * records si_addr and si_code, for tests of the fault report itself.
 */
static sigjmp_buf ktap_probe_jmp;
static volatile sig_atomic_t ktap_probe_armed;
static volatile int ktap_probe_sig, ktap_probe_code;
static void *volatile ktap_probe_addr;

static inline void ktap_probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!ktap_probe_armed) {
		signal(sig, SIG_DFL);
		return;		/* re-faults with the default action: dies */
	}
	ktap_probe_sig = sig;
	ktap_probe_code = si->si_code;
	ktap_probe_addr = si->si_addr;
	ktap_probe_armed = 0;
	siglongjmp(ktap_probe_jmp, 1);
}

/* Returns 0 if the access worked, else the signal number. */
static inline int ktap_probe(void *addr, int write, int exec)
{
	struct sigaction sa, old_segv, old_bus;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ktap_probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	ktap_probe_sig = 0;
	ktap_probe_code = 0;
	ktap_probe_addr = NULL;
	if (sigsetjmp(ktap_probe_jmp, 1) == 0) {
		ktap_probe_armed = 1;
		if (exec)
			((void (*)(void))addr)();
		else if (write)
			*(volatile char *)addr = *(volatile char *)addr;
		else
			(void)*(volatile char *)addr;
		ktap_probe_armed = 0;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ktap_probe_sig;
}
#define probe_read(a)	ktap_probe((void *)(a), 0, 0)
#define probe_write(a)	ktap_probe((void *)(a), 1, 0)
#define probe_exec(a)	ktap_probe((void *)(a), 0, 1)

/*
 * The directory holding the helper programs (hello, exitcode, segv,
 * notelf): $UTEST_BINDIR if set, else the sibling "bin" of the directory
 * this test program is in: /tests/files -> /bin under Switchyard,
 * build/user/tests/files -> build/user/bin on the host.
 */
static inline const char *bindir(void)
{
	static char dir[512];
	const char *env = getenv("UTEST_BINDIR");
	if (env && *env)
		return env;
	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "%s", ktap.argv0 ? ktap.argv0 : "");
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';			/* the tests directory */
	slash = strrchr(dir, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), "/bin");
		return dir;
	}
	snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/bin");
	return dir;
}

static inline const char *bin_path(const char *name)
{
	static char paths[4][600];
	static int next;
	char *p = paths[next++ % 4];
	snprintf(p, sizeof(paths[0]), "%s/%s", bindir(), name);
	return p;
}

/* Run this program again as `argv0 --child ARGS...`; its wait status. */
static inline int run_child_mode(char *const args[])
{
	char *argv[32];
	int n = 0;
	argv[n++] = (char *)ktap.argv0;
	argv[n++] = "--child";
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		extern char **environ;
		execve(ktap.argv0, argv, environ);
		ktap_line("# execve(%s): %s", ktap.argv0, errname(errno));
		_exit(127);
	}
	if (pid < 0) {
		FAIL("fork: %s", errname(errno));
		return -1;
	}
	return wait_for(pid);
}

/* ---------------------------------------------------------------- main */

static inline int ktap_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (fnmatch(argv[i], name, 0) == 0)
			return 1;
	return 0;
}

static inline int ktap_main(int argc, char **argv, const struct ktap_test *tests, int count,
			    int (*child)(int argc, char **argv))
{
	const char *indent = getenv("KTAP_INDENT");
	ktap.indent = indent ? atoi(indent) : 0;
	if (ktap.indent < 0 || ktap.indent > 32)
		ktap.indent = 0;
	ktap.argv0 = argc > 0 ? argv[0] : "?";
	const char *slash = strrchr(ktap.argv0, '/');
	ktap.prog = slash ? slash + 1 : ktap.argv0;

	if (argc >= 2 && strcmp(argv[1], "--child") == 0) {
		if (!child) {
			ktap_line("# %s: no --child mode", ktap.prog);
			return 2;
		}
		return child(argc - 2, argv + 2);
	}

	int planned = 0;
	for (int i = 0; i < count; i++)
		planned += ktap_selected(argc, argv, tests[i].name);

	ktap_line("KTAP version 1");
	ktap_line("# Subtest: %s", ktap.prog);
	ktap_line("1..%d", planned);
	int failed = 0, number = 0;
	for (int i = 0; i < count; i++) {
		if (!ktap_selected(argc, argv, tests[i].name))
			continue;
		number++;
		ktap.failed = 0;
		ktap.skip = NULL;
		ktap_line("# running: %s", tests[i].name);
		tests[i].fn();
		if (ktap.failed) {
			failed++;
			ktap_line("not ok %d %s", number, tests[i].name);
		} else if (ktap.skip) {
			ktap_line("ok %d %s # SKIP %s", number, tests[i].name, ktap.skip);
		} else {
			ktap_line("ok %d %s", number, tests[i].name);
		}
	}
	return failed > 100 ? 100 : failed;
}

#endif
