/*
 * process - fork, clone, execve, exit, exit_group, wait4, getpid, getppid,
 * gettid: exit statuses through wait4, execve with arguments and
 * environment (and its errors), exec chains, copy-on-write isolation after
 * fork, many children at once, orphans, and a child killed by a fault while
 * everything else runs on.
 *
 * Helper programs (hello, exitcode, segv, notelf) are found next to the
 * tests directory: /bin under Switchyard, build/user/bin on the host (see
 * bindir() in ktap.h).
 */
#include "ktap.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>

extern char **environ;

static int run_argv(const char *path, char *const argv[], char *const envp[])
{
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		ktap_line("# execve(%s): %s", path, errname(errno));
		_exit(127);
	}
	if (pid < 0) {
		FAIL("fork: %s", errname(errno));
		return -1;
	}
	return wait_for(pid);
}

TEST(ids)
{
	pid_t pid = getpid();
	EXPECT_GT(pid, 0);
	EXPECT_EQ(gettid(), pid);		/* the main thread */
	EXPECT_EQ(syscall(SYS_getpid), pid);
	EXPECT_GT(getppid(), 0);
	EXPECT_NE(getppid(), pid);
}

TEST(fork_and_exit_status)
{
	static const int codes[] = { 0, 1, 42, 127, 255, 256, 257 };
	pid_t me = getpid();
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			/* the child's own view */
			if (getppid() != me || getpid() == me || gettid() != getpid())
				_exit(200);
			_exit(codes[i]);
		}
		ASSERT(pid > 0);
		EXPECT_NE(pid, me);
		EXPECT_EXIT(wait_for(pid), codes[i] & 0xff);
	}
	/* exit() flushes stdio and runs atexit, _exit and exit_group do not,
	 * but all three end the process with the status */
	pid_t pid = fork();
	if (pid == 0)
		exit(9);
	EXPECT_EXIT(wait_for(pid), 9);
	pid = fork();
	if (pid == 0)
		syscall(SYS_exit_group, 10);
	EXPECT_EXIT(wait_for(pid), 10);
	pid = fork();
	if (pid == 0)
		syscall(SYS_exit, 11);		/* the only thread: the process ends */
	EXPECT_EXIT(wait_for(pid), 11);
}

TEST(wait4_semantics)
{
	int status;
	struct rusage ru;
	/* no children at all */
	EXPECT_ERRNO(wait4(-1, &status, 0, NULL), ECHILD);
	EXPECT_ERRNO(wait4(-1, &status, WNOHANG, NULL), ECHILD);
	EXPECT_ERRNO(wait4(getpid(), &status, 0, NULL), ECHILD);	/* not our child */
	EXPECT_ERRNO(wait4(1, &status, 0, NULL), ECHILD);

	/* the child runs until the parent says so, through a shared page */
	volatile int *go = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(go != MAP_FAILED);
	*go = 0;
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 10000 && !*go; i++)
			sleep_ms(1);
		_exit(5);
	}
	ASSERT(pid > 0);
	/* WNOHANG while it runs */
	EXPECT_EQ(wait4(pid, &status, WNOHANG, NULL), 0);
	EXPECT_ERRNO(wait4(pid, &status, 0x12345678, NULL), EINVAL);
	*go = 1;
	/* rusage is optional but must be accepted */
	EXPECT_EQ(wait4(pid, &status, 0, &ru), pid);
	munmap((void *)go, 4096);
	EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	EXPECT_ERRNO(wait4(pid, &status, 0, NULL), ECHILD);	/* reaped */

	/* NULL status is fine */
	pid = fork();
	if (pid == 0)
		_exit(0);
	EXPECT_EQ(wait4(pid, NULL, 0, NULL), pid);

	/* a bad status pointer: EFAULT (the child is reaped all the same) */
	pid = fork();
	if (pid == 0)
		_exit(0);
	ASSERT(pid > 0);
	sleep_ms(20);
	EXPECT_ERRNO(wait4(pid, KERNEL_PTR, 0, NULL), EFAULT);
	while (wait4(pid, NULL, 0, NULL) == pid)
		;
	EXPECT_ERRNO(wait4(-1, &status, WNOHANG, NULL), ECHILD);
}

TEST(wait_any_many_children)
{
	/* 32 children at once, reaped in whatever order they finish */
	enum { N = 32 };
	pid_t pids[N];
	int seen[N] = { 0 };
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			if (i % 3 == 0)
				sched_yield();
			_exit(i);
		}
		ASSERT(pids[i] > 0);
	}
	for (int n = 0; n < N; n++) {
		int status;
		pid_t r = wait4(-1, &status, 0, NULL);
		ASSERT(r > 0);
		int i;
		for (i = 0; i < N && pids[i] != r; i++)
			;
		ASSERT(i < N);
		EXPECT(WIFEXITED(status));
		EXPECT_EQ(WEXITSTATUS(status), i);
		seen[i]++;
	}
	for (int i = 0; i < N; i++)
		EXPECT_EQ(seen[i], 1);
	EXPECT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD);
}

TEST(clone_as_fork)
{
	/* clone(SIGCHLD) with no stack is fork */
	pid_t me = getpid();
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		syscall(SYS_exit_group, getppid() == me ? 0 : 1);
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for((pid_t)pid), 0);
	/* raw fork too (musl's fork() calls it) */
	pid = syscall(SYS_fork);
	if (pid == 0)
		syscall(SYS_exit_group, 4);
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for((pid_t)pid), 4);

	/* flag combinations Linux refuses */
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_THREAD | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
}

TEST(exec_hello_with_args)
{
	const char *hello = bin_path("hello");
	char *argv[] = { "hello", "from", "the process test", NULL };
	char *envp[] = { "A=1", NULL };
	EXPECT_EXIT(run_argv(hello, argv, envp), 0);
	/* an empty environment */
	char *none[] = { NULL };
	EXPECT_EXIT(run_argv(hello, argv, none), 0);
}

TEST(exec_exit_status)
{
	const char *exitcode = bin_path("exitcode");
	static const char *const codes[] = { "0", "3", "77", "255" };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char *argv[] = { "exitcode", (char *)codes[i], NULL };
		EXPECT_EXIT(run_argv(exitcode, argv, environ), atoi(codes[i]));
	}
}

TEST(exec_segv_helper)
{
	/* the kernel reports the fault to the parent and carries on */
	char *argv[] = { "segv", NULL };
	EXPECT_KILLED(run_argv(bin_path("segv"), argv, environ), SIGSEGV);
	EXPECT_EQ(getpid() > 0, 1);
}

TEST(exec_passes_argv_envp_auxv)
{
	/* many and long arguments, an environment, and the aux vector */
	static char big[20000];
	memset(big, 'b', sizeof(big) - 1);
	char *args[24];
	int n = 0;
	args[n++] = "argv";
	args[n++] = "";
	args[n++] = "two words";
	args[n++] = big;
	for (int i = 0; i < 16; i++) {
		static char num[16][8];
		snprintf(num[i], sizeof(num[i]), "%d", i);
		args[n++] = num[i];
	}
	args[n] = NULL;
	char *argv[32];
	int m = 0;
	argv[m++] = (char *)ktap.argv0;
	argv[m++] = "--child";
	for (int i = 0; i < n; i++)
		argv[m++] = args[i];
	argv[m] = NULL;
	char indent[32];
	snprintf(indent, sizeof(indent), "KTAP_INDENT=%d", ktap.indent);
	char *envp[] = { "ONE=1", "EMPTY=", indent, "LAST=last", NULL };
	EXPECT_EXIT(run_argv(ktap.argv0, argv, envp), 0);
}

static int check_argv_child(int argc, char **argv)
{
	/* argv: "argv" "" "two words" BIG "0" ... "15" */
	EXPECT_EQ(argc, 20);
	if (argc == 20) {
		EXPECT_STREQ(argv[1], "");
		EXPECT_STREQ(argv[2], "two words");
		EXPECT_EQ(strlen(argv[3]), 19999);
		EXPECT_EQ(strspn(argv[3], "b"), 19999);
		for (int i = 0; i < 16; i++)
			EXPECT_EQ(atoi(argv[4 + i]), i);
	}
	EXPECT(argv[argc] == NULL);
	int count = 0;
	for (char **e = environ; *e; e++)
		count++;
	EXPECT_EQ(count, 4);
	EXPECT_STREQ(getenv("ONE") ? getenv("ONE") : "(null)", "1");
	EXPECT_STREQ(getenv("EMPTY") ? getenv("EMPTY") : "(null)", "");
	EXPECT_STREQ(getenv("LAST") ? getenv("LAST") : "(null)", "last");
	/* the aux vector: what musl and every static program rely on */
	EXPECT_EQ(getauxval(AT_PAGESZ), 4096);
	EXPECT_NE(getauxval(AT_PHDR), 0);
	EXPECT_NE(getauxval(AT_PHNUM), 0);
	EXPECT_NE(getauxval(AT_ENTRY), 0);
	unsigned char *rnd = (unsigned char *)getauxval(AT_RANDOM);
	EXPECT(rnd != NULL);
	return ktap.failed ? 1 : 0;
}

static int chain_child(int argc, char **argv)
{
	/* chain N: exec ourselves with N-1 until 0, which exits with 7 */
	int n = argc > 1 ? atoi(argv[1]) : 0;
	if (n == 0)
		return 7;
	char next[16];
	snprintf(next, sizeof(next), "%d", n - 1);
	char *args[] = { (char *)ktap.argv0, "--child", "chain", next, NULL };
	execve(ktap.argv0, args, environ);
	return 100;
}

TEST(exec_chain)
{
	char *args[] = { "chain", "20", NULL };
	EXPECT_EXIT(run_child_mode(args), 7);
}

TEST(exec_errors)
{
	char *argv[] = { "x", NULL };
	char path[PATH_MAX];
	EXPECT_ERRNO(execve("/no-such-program", argv, environ), ENOENT);
	EXPECT_ERRNO(execve("", argv, environ), ENOENT);
	/* a directory, a file that is not a program */
	snprintf(path, sizeof(path), "%s", bindir());
	EXPECT_ERRNO(execve(path, argv, environ), EACCES);
	EXPECT_ERRNO(execve(bin_path("notelf"), argv, environ), ENOEXEC);
	snprintf(path, sizeof(path), "%s/x", bin_path("hello"));
	EXPECT_ERRNO(execve(path, argv, environ), ENOTDIR);
	/* bad pointers: the path, argv, an argv entry, envp, an envp entry */
	const char *hello = bin_path("hello");
	EXPECT_ERRNO(syscall(SYS_execve, BAD_PTR, argv, environ), EFAULT);
	EXPECT_ERRNO(syscall(SYS_execve, KERNEL_PTR, argv, environ), EFAULT);
	EXPECT_ERRNO(syscall(SYS_execve, hello, BAD_PTR, environ), EFAULT);
	EXPECT_ERRNO(syscall(SYS_execve, hello, KERNEL_PTR, environ), EFAULT);
	char *bad_argv[] = { "hello", KERNEL_PTR, NULL };
	EXPECT_ERRNO(syscall(SYS_execve, hello, bad_argv, environ), EFAULT);
	EXPECT_ERRNO(syscall(SYS_execve, hello, argv, BAD_PTR), EFAULT);
	char *bad_envp[] = { "A=1", BAD_PTR, NULL };
	EXPECT_ERRNO(syscall(SYS_execve, hello, argv, bad_envp), EFAULT);
	/* after all that this process is still intact */
	EXPECT_EQ(getpid(), gettid());
}

TEST(exec_too_many_args)
{
	/* arguments bigger than the limit (Linux: a quarter of the stack
	 * limit, at most 6 MiB for 8 MiB stacks; any kernel must draw the
	 * line somewhere below 256 MiB) give E2BIG, and the caller lives */
	size_t each = 128 * 1024 - 1;		/* < MAX_ARG_STRLEN */
	int count = 2048;			/* 256 MiB in all */
	char *s = malloc(each + 1);
	char **argv = calloc((size_t)count + 2, sizeof(char *));
	ASSERT(s && argv);
	memset(s, 'a', each);
	s[each] = '\0';
	argv[0] = "hello";
	for (int i = 1; i <= count; i++)
		argv[i] = s;
	argv[count + 1] = NULL;
	EXPECT_ERRNO(execve(bin_path("hello"), argv, environ), E2BIG);
	free(argv);
	free(s);
}

static volatile int cow_value = 1;

TEST(cow_after_fork)
{
	/* a global: the child's write stays in the child */
	cow_value = 1;
	pid_t pid = fork();
	if (pid == 0) {
		EXPECT_EQ(cow_value, 1);
		cow_value = 2;
		EXPECT_EQ(cow_value, 2);
		CHILD_EXIT();
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	EXPECT_EQ(cow_value, 1);

	/* a big heap buffer: the child rewrites every page, the parent
	 * rewrites every page while the child may still be reading */
	size_t len = 8UL << 20;
	unsigned char *buf = malloc(len);
	ASSERT(buf != NULL);
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7);
	pid = fork();
	if (pid == 0) {
		for (size_t i = 0; i < len; i += 4096)
			buf[i] ^= 0xff;
		size_t bad = 0;
		for (size_t i = 0; i < len; i++)
			bad += buf[i] != (unsigned char)((i * 7) ^ (i % 4096 == 0 ? 0xff : 0));
		EXPECT_EQ(bad, 0);
		CHILD_EXIT();
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	size_t bad = 0;
	for (size_t i = 0; i < len; i++)
		bad += buf[i] != (unsigned char)(i * 7);
	EXPECT_EQ(bad, 0);

	pid = fork();
	if (pid == 0) {
		sleep_ms(30);	/* let the parent write first, probably */
		size_t wrong = 0;
		for (size_t i = 0; i < len; i += 512)
			wrong += buf[i] != (unsigned char)(i * 7);
		_exit(wrong ? 1 : 0);
	}
	ASSERT(pid > 0);
	for (size_t i = 0; i < len; i += 512)
		buf[i] = 0;
	EXPECT_EXIT(wait_for(pid), 0);
	free(buf);
}

TEST(cow_stack_and_mmap)
{
	/* the stack and a private mapping are copied on write too */
	volatile int on_stack = 10;
	int *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(m != MAP_FAILED);
	m[0] = 20;
	pid_t pid = fork();
	if (pid == 0) {
		on_stack = 11;
		m[0] = 21;
		_exit(on_stack == 11 && m[0] == 21 ? 0 : 1);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	EXPECT_EQ(on_stack, 10);
	EXPECT_EQ(m[0], 20);
	/* and a page the parent never touched before fork: the child's
	 * first touch must not show up in the parent */
	int *fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(fresh != MAP_FAILED);
	pid = fork();
	if (pid == 0) {
		fresh[0] = 99;
		_exit(0);
	}
	EXPECT_EXIT(wait_for(pid), 0);
	EXPECT_EQ(fresh[0], 0);
	munmap(fresh, 4096);
	munmap(m, 4096);
}

TEST(nested_fork_tree)
{
	/* three generations; each waits for its own child */
	pid_t pid = fork();
	if (pid == 0) {
		pid_t c = fork();
		if (c == 0) {
			pid_t g = fork();
			if (g == 0)
				_exit(3);
			int s = wait_for(g);
			_exit(WIFEXITED(s) ? WEXITSTATUS(s) + 1 : 50);
		}
		int s = wait_for(c);
		_exit(WIFEXITED(s) ? WEXITSTATUS(s) + 1 : 60);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 5);
}

TEST(orphan_is_adopted)
{
	/* The child exits while its own child still runs; the grandchild
	 * gets a new parent (init, pid 1, under Switchyard; on a host maybe
	 * a "subreaper") that reaps it.  The grandchild reports its parent
	 * before and after through a shared page. */
	volatile pid_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(page != MAP_FAILED);
	page[0] = page[1] = page[2] = 0;
	pid_t pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			pid_t parent = getppid();
			page[0] = parent;
			for (int i = 0; i < 2000 && getppid() == parent; i++)
				sleep_ms(1);
			page[1] = getppid();
			page[2] = 1;
			_exit(0);
		}
		/* exit only once the grandchild has seen us as its parent */
		for (int i = 0; i < 2000 && page[0] == 0; i++)
			sleep_ms(1);
		_exit(g > 0 ? 0 : 1);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	for (int i = 0; i < 3000 && page[2] == 0; i++)
		sleep_ms(1);
	EXPECT_EQ(page[2], 1);
	EXPECT_EQ(page[0], pid);
	EXPECT_NE(page[1], pid);		/* adopted... */
	EXPECT_GT(page[1], 0);
	if (access("/proc/switchyard", F_OK) == 0)
		EXPECT_EQ(page[1], 1);		/* ...by init, under Switchyard */
	EXPECT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD);	/* not ours */
	munmap((void *)page, 4096);
}

TEST(fault_in_child_only)
{
	/* a fault kills only the child, with the matching signal */
	pid_t pid = fork();
	if (pid == 0) {
		*(volatile int *)0 = 1;
		_exit(0);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);
	/* ...and the machine carries on: fork again right away */
	pid = fork();
	if (pid == 0)
		_exit(12);
	EXPECT_EXIT(wait_for(pid), 12);
}

static int child_main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "argv") == 0)
		return check_argv_child(argc, argv);
	if (argc >= 1 && strcmp(argv[0], "chain") == 0)
		return chain_child(argc, argv);
	return 2;
}

static const struct ktap_test tests[] = {
	T(ids),
	T(fork_and_exit_status),
	T(wait4_semantics),
	T(wait_any_many_children),
	T(clone_as_fork),
	T(exec_hello_with_args),
	T(exec_exit_status),
	T(exec_segv_helper),
	T(exec_passes_argv_envp_auxv),
	T(exec_chain),
	T(exec_errors),
	T(exec_too_many_args),
	T(cow_after_fork),
	T(cow_stack_and_mmap),
	T(nested_fork_tree),
	T(orphan_is_adopted),
	T(fault_in_child_only),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), child_main);
}
