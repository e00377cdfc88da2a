/*
 * switchyard - the few things that are Switchyard's own rather than
 * Linux's: the process environment the kernel and init set up, the
 * read-only initrd, and /proc/switchyard (the counters init's leak check
 * reads).  Each test skips on a Linux host (there is no /proc/switchyard);
 * /proc/meminfo is checked everywhere, in the format Linux uses.
 */
#include "ktap.h"

#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#define COUNTERS "/proc/switchyard"

static int on_switchyard(void)
{
	return access(COUNTERS, F_OK) == 0;
}

#define NEED_SWITCHYARD() do {						\
	if (!on_switchyard())						\
		SKIP("not running on Switchyard (no " COUNTERS ")");	\
} while (0)

TEST(proc_meminfo)
{
	char buf[8192];
	ssize_t n = read_file("/proc/meminfo", buf, sizeof(buf));
	ASSERT(n > 0);
	unsigned long total = 0, free_kb = 0;
	char *p = strstr(buf, "MemTotal:");
	EXPECT(p != NULL && sscanf(p, "MemTotal: %lu kB", &total) == 1);
	p = strstr(buf, "MemFree:");
	EXPECT(p != NULL && sscanf(p, "MemFree: %lu kB", &free_kb) == 1);
	EXPECT_GT(total, 0);
	EXPECT_GT(free_kb, 0);
	EXPECT_LE(free_kb, total);
	DIAG("MemTotal %lu kB, MemFree %lu kB", total, free_kb);
}

TEST(proc_switchyard_counters)
{
	NEED_SWITCHYARD();
	char buf[4096];
	ssize_t n = read_file(COUNTERS, buf, sizeof(buf));
	ASSERT(n > 0);
	/* "name: value" lines (others, such as per-CPU lines with several
	 * counters, are allowed); init's leak check needs these two */
	int have_free = 0, have_tasks = 0, lines = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[48];
		long long value;
		if (sscanf(line, " %47[A-Za-z0-9_.-]%*[: \t=]%lld", name, &value) != 2)
			continue;
		lines++;
		have_free |= strcmp(name, "free_pages") == 0 && value > 0;
		have_tasks |= strcmp(name, "tasks") == 0 && value > 0;
	}
	EXPECT_GT(lines, 0);
	EXPECT(have_free);
	EXPECT(have_tasks);
	/* /proc files are read-only */
	EXPECT_EQ(open(COUNTERS, O_WRONLY) >= 0, 0);
}

TEST(environment_from_kernel)
{
	NEED_SWITCHYARD();
	const char *cmdline = getenv("SWITCHYARD_CMDLINE");
	EXPECT(cmdline != NULL);
	if (cmdline)
		DIAG("SWITCHYARD_CMDLINE=%s", cmdline);
	EXPECT(cmdline && strstr(cmdline, "utest") != NULL);
	EXPECT_STREQ(getenv("HOME") ? getenv("HOME") : "(unset)", "/");
	EXPECT_STREQ(getenv("TERM") ? getenv("TERM") : "(unset)", "linux");
	EXPECT_STREQ(getenv("PATH") ? getenv("PATH") : "(unset)", "/bin");
	/* init (pid 1) started this program */
	EXPECT_EQ(getppid(), 1);
	char cwd[256];
	EXPECT(getcwd(cwd, sizeof(cwd)) != NULL);
	EXPECT_STREQ(cwd, "/");
}

TEST(console_is_a_terminal)
{
	NEED_SWITCHYARD();
	for (int fd = 0; fd < 3; fd++) {
		EXPECT_EQ(isatty(fd), 1);
		struct termios t;
		EXPECT_EQ(tcgetattr(fd, &t), 0);
	}
	struct winsize ws;
	EXPECT_EQ(ioctl(1, TIOCGWINSZ, &ws), 0);
	EXPECT_GT(ws.ws_row, 0);
	EXPECT_GT(ws.ws_col, 0);
	DIAG("console %u x %u", ws.ws_col, ws.ws_row);
}

TEST(initrd_layout)
{
	NEED_SWITCHYARD();
	static const char *const programs[] = {
		"/bin/init", "/bin/sh", "/bin/hello", "/bin/exitcode", "/bin/segv",
	};
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct stat st;
		char magic[4] = { 0 };
		EXPECT_EQ(stat(programs[i], &st), 0);
		EXPECT(S_ISREG(st.st_mode));
		int fd = open(programs[i], O_RDONLY);
		EXPECT_GE(fd, 0);
		if (fd >= 0) {
			EXPECT_EQ(read(fd, magic, 4), 4);
			close(fd);
		}
		EXPECT(memcmp(magic, "\177ELF", 4) == 0);
	}
	struct stat st;
	EXPECT_EQ(stat("/", &st), 0);
	EXPECT(S_ISDIR(st.st_mode));
	EXPECT_EQ(stat("/bin", &st), 0);
	EXPECT(S_ISDIR(st.st_mode));
	EXPECT_EQ(stat("/tests", &st), 0);
	EXPECT(S_ISDIR(st.st_mode));
	/* read-only: a file system that cannot be written says EROFS */
	EXPECT_ERRNO(open("/bin/hello", O_RDWR), EROFS);
	EXPECT_ERRNO(open("/bin/hello", O_WRONLY | O_TRUNC), EROFS);
	EXPECT_ERRNO(open("/new-file", O_WRONLY | O_CREAT, 0644), EROFS);
}

/* fpuN's counters from /proc/switchyard; 0 if the line is missing. */
static int read_fpu_counters(int cpu, unsigned long *saves, unsigned long *restores,
			     unsigned long *skipped)
{
	char buf[8192], want[16];
	if (read_file(COUNTERS, buf, sizeof(buf)) <= 0)
		return 0;
	snprintf(want, sizeof(want), "fpu%d:", cpu);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, want, strlen(want)) == 0)
			return sscanf(line + strlen(want), " saves %lu restores %lu skipped %lu",
				      saves, restores, skipped) == 3;
	return 0;
}

/*
 * The lazy restore (fpu/core.c): a thread pinned to one CPU sleeps, so
 * that CPU runs its idle task (a kernel thread) and comes back to the
 * same thread.  Each sleep must save once (switch-out) and restore
 * nothing: the registers were never anyone else's.  Another user task
 * landing on this CPU in between would cost a restore, so a round
 * counts only if the CPU ran nobody else - several rounds are tried.
 */
TEST(fpu_lazy_restore_skips_kthread_round_trip)
{
	NEED_SWITCHYARD();
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	int cpu = ncpu - 1;
	if (ncpu < 2)	/* init's polling wait runs on the only CPU too */
		SKIP("needs a CPU that no other user task uses");
	cpu_set_t set, old;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT(sched_getaffinity(0, sizeof(old), &old) == 0);
	ASSERT(sched_setaffinity(0, sizeof(set), &set) == 0);
	/* init polls for this program's exit every 20 ms, and a woken task
	 * goes to an idle CPU - ours, while we sleep.  Keep it off. */
	cpu_set_t init_old, init_new;
	int init_pinned = sched_getaffinity(1, sizeof(init_old), &init_old) == 0;
	if (init_pinned) {
		init_new = init_old;
		CPU_CLR(cpu, &init_new);
		init_pinned = sched_setaffinity(1, sizeof(init_new), &init_new) == 0;
	}
	int clean = 0;
	for (int round = 0; round < 5 && !clean; round++) {
		unsigned long s0, r0, k0, s1, r1, k1;
		const int sleeps = 50;
		ASSERT(read_fpu_counters(cpu, &s0, &r0, &k0));
		for (int i = 0; i < sleeps; i++) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
		ASSERT(read_fpu_counters(cpu, &s1, &r1, &k1));
		DIAG("round %d on cpu%d: %lu saves, %lu restores, %lu skipped for %d sleeps",
		     round, cpu, s1 - s0, r1 - r0, k1 - k0, sleeps);
		/* clean: every sleep saved once and skipped its restore */
		clean = (r1 - r0) == 0 && s1 - s0 >= (unsigned long)sleeps &&
			k1 - k0 >= (unsigned long)sleeps;
	}
	EXPECT(clean);
	if (init_pinned)
		sched_setaffinity(1, sizeof(init_old), &init_old);
	sched_setaffinity(0, sizeof(old), &old);
}

static const struct ktap_test tests[] = {
	T(proc_meminfo),
	T(proc_switchyard_counters),
	T(environment_from_kernel),
	T(console_is_a_terminal),
	T(initrd_layout),
	T(fpu_lazy_restore_skips_kthread_round_trip),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
