/*
 * init - the first user process (pid 1).
 *
 * The kernel starts /bin/init with argv ["/bin/init"] and an environment
 * holding SWITCHYARD_CMDLINE, the whole kernel command line.  init picks one
 * of three modes:
 *
 *   utest      the command line has the word "utest": run every program in
 *              /tests/ (sorted by name) one after another, print the results
 *              as one KTAP document, check that nothing leaked, and exit with
 *              the number of failures (0: all passed).
 *   run=       the command line names programs: run=/bin/hello,/bin/exitcode+3
 *              (commas between commands, '+' between a command's words,
 *              since the kernel command line itself is split on spaces);
 *              run them like the lines of /etc/run.
 *   /etc/run   the initrd has /etc/run (run-qemu.sh --run puts it there):
 *              run each line as a command, print "run: CMD: exit status N"
 *              after each, and exit with the last command's status.
 *   shell      otherwise: run /bin/sh; when it exits, init exits with 0 and
 *              the kernel powers the machine off.
 *
 * The kernel turns init's exit into the machine's: 0 is success, anything
 * else means tests failed.  Meanwhile init is also every orphan's parent:
 * its wait loops use wait4(-1, ...) and reap whatever exited.
 *
 * The same program runs natively on a Linux host (tests/user.py does):
 * SWITCHYARD_CMDLINE=utest UTEST_DIR=build/user/tests build/user/bin/init
 * runs the tests from that directory; there is no /proc/switchyard there, so
 * the leak check is skipped.
 *
 * Command-line words init understands (after "utest"):
 *   utest_filter=GLOB[,GLOB...]   run only the /tests/ programs matching
 *   utest_timeout=S               seconds each program may take (default 120)
 *   utest_loop=S                  run the suite in rounds until S seconds have
 *                                 passed, printing the counters after each
 *                                 (the soak, tests/soak.py)
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_TESTS	128
#define MAX_ARGS	64
#define RUN_FILE	"/etc/run"
#define COUNTERS_FILE	"/proc/switchyard"

/*
 * The leak check allows free pages to drop by this much over the whole
 * suite: memory the kernel keeps on purpose after the first use (slab
 * pages for its object caches, page-table pages for its own mappings).
 * Every other counter must come back exactly.  docs/userland.md.
 */
#define LEAK_SLACK_PAGES 32

static const char *cmdline = "";
static int timeout_s = 120;

/* ---------------------------------------------------------------- output */

/* Each line is one write(2): no stdio buffer to duplicate into children. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	for (char *p = buf; n > 0;) {
		ssize_t w = write(1, p, (size_t)n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (int)w;
	}
}

/* ---------------------------------------------------------------- command line */

/* The value of word NAME=VALUE in the kernel command line, or NULL; for a
 * bare word NAME, "" (so has_word() is value_of() != NULL). */
static const char *value_of(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name);
	for (const char *p = cmdline; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - p) >= len && strncmp(p, name, len) == 0 &&
		    (p + len == end || p[len] == '=')) {
			const char *v = p + len == end ? end : p + len + 1;
			size_t n = (size_t)(end - v);
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return buf;
		}
		p = end;
	}
	return NULL;
}

/* ---------------------------------------------------------------- processes */

static void describe(char *buf, size_t size, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "wait status %#x", status);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Wait for PID, reaping any other child that exits meanwhile (orphans the
 * kernel gave to pid 1).  With TIMEOUT_MS > 0 the wait polls (wait4 with
 * WNOHANG, then a short sleep) and kills PID with SIGKILL when time is
 * up; *timed_out says so.  Returns PID's wait status, or -1.
 */
static int wait_child(pid_t pid, long long timeout_ms, int *timed_out)
{
	long long deadline = now_ms() + timeout_ms;
	long nap_us = 1000;
	int status;

	if (timed_out)
		*timed_out = 0;
	for (;;) {
		pid_t r = wait4(-1, &status, timeout_ms > 0 ? WNOHANG : 0, NULL);
		if (r == pid)
			return status;
		if (r > 0) {
			char what[64];
			describe(what, sizeof(what), status);
			say("# init: reaped orphan %d (%s)", (int)r, what);
			continue;
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			say("# init: wait4: %s", strerror(errno));
			return -1;
		}
		/* r == 0: still running */
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			if (timed_out)
				*timed_out = 1;
			timeout_ms = 0;		/* now wait for it to die */
			continue;
		}
		struct timespec ts = { 0, nap_us * 1000 };
		nanosleep(&ts, NULL);
		if (nap_us < 20000)
			nap_us *= 2;
	}
}

/* Reap whatever already exited, without waiting. */
static void reap_orphans(void)
{
	int status;
	pid_t r;
	while ((r = wait4(-1, &status, WNOHANG, NULL)) > 0) {
		char what[64];
		describe(what, sizeof(what), status);
		say("# init: reaped orphan %d (%s)", (int)r, what);
	}
}

/* fork + execve ARGV[0] with ENVP; the child's pid, or -1. */
static pid_t spawn(char *const argv[], char *const envp[], const char *prefix)
{
	pid_t pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, envp);
		say("%s%s: %s", prefix, argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		say("%sfork: %s", prefix, strerror(errno));
	return pid;
}

/* ---------------------------------------------------------------- utest */

struct counter {
	char name[48];
	long long value;
};

/* Read "name value" or "name: value" lines from /proc/switchyard. */
static int read_counters(struct counter *c, int max)
{
	int fd = open(COUNTERS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';

	int count = 0;
	for (char *line = strtok(buf, "\n"); line && count < max; line = strtok(NULL, "\n")) {
		char name[48];
		long long value;
		if (sscanf(line, " %47[A-Za-z0-9_.-]%*[: \t=]%lld", name, &value) == 2) {
			snprintf(c[count].name, sizeof(c[count].name), "%s", name);
			c[count].value = value;
			count++;
		}
	}
	return count;
}

static const long long *find_counter(const struct counter *c, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return &c[i].value;
	return NULL;
}

/*
 * Counters that must come back exactly once every test program has been
 * reaped; free_pages may come back short by LEAK_SLACK_PAGES.  Counters
 * with other names are shown but not judged.
 */
static const char *const exact_counters[] = {
	"tasks", "nr_tasks", "processes", "mms", "kstacks", "files", "open_files",
};

static int leak_check(const struct counter *before, int nb, int *skipped)
{
	struct counter after[64];
	int na = read_counters(after, 64);
	int bad = 0, judged = 0;

	*skipped = 0;
	if (nb < 0 || na < 0) {
		*skipped = 1;
		return 0;
	}
	for (int i = 0; i < na; i++) {
		const long long *b = find_counter(before, nb, after[i].name);
		if (!b)
			continue;
		long long a = after[i].value;
		const char *verdict = "";
		if (strcmp(after[i].name, "free_pages") == 0) {
			judged++;
			if (a < *b - LEAK_SLACK_PAGES) {
				bad++;
				verdict = "  <- leaked";
			}
		} else {
			for (size_t k = 0; k < sizeof(exact_counters) / sizeof(exact_counters[0]); k++) {
				if (strcmp(after[i].name, exact_counters[k]) == 0) {
					judged++;
					if (a != *b) {
						bad++;
						verdict = "  <- differs";
					}
				}
			}
		}
		say("# leak_check: %-14s before %lld after %lld%s", after[i].name, *b, a, verdict);
	}
	if (judged == 0) {
		say("# leak_check: no known counter (free_pages, tasks, ...) in %s", COUNTERS_FILE);
		bad++;
	}
	return bad;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int selected(const char *name, const char *filter)
{
	if (!filter || !*filter)
		return 1;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", filter);
	for (char *glob = strtok(buf, ","); glob; glob = strtok(NULL, ","))
		if (fnmatch(glob, name, 0) == 0)
			return 1;
	return 0;
}

static int run_tests(void)
{
	const char *dir = getenv("UTEST_DIR");
	char filter_buf[256];
	const char *filter = value_of("utest_filter", filter_buf, sizeof(filter_buf));
	char *names[MAX_TESTS];
	int count = 0;

	if (!dir || !*dir)
		dir = "/tests";
	DIR *d = opendir(dir);
	if (!d) {
		say("# init: cannot open %s: %s", dir, strerror(errno));
	} else {
		struct dirent *e;
		while ((e = readdir(d)) != NULL && count < MAX_TESTS) {
			if (e->d_name[0] == '.' || !selected(e->d_name, filter))
				continue;
			char path[512];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
				continue;
			names[count++] = strdup(e->d_name);
		}
		closedir(d);
	}
	qsort(names, (size_t)count, sizeof(names[0]), by_name);

	/* The test programs nest their KTAP documents under this one. */
	setenv("KTAP_INDENT", "4", 1);

	/* Counters after everything init itself needs is allocated. */
	struct counter before[64];
	int nb = read_counters(before, 64);

	say("KTAP version 1");
	say("# Subtest: user");
	say("1..%d", count + 1);
	int failed = 0, passed = 0, skipped = 0;
	for (int i = 0; i < count; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		say("# running: %s", names[i]);
		char *argv[] = { path, NULL };
		long long start = now_ms();
		pid_t pid = spawn(argv, environ, "# init: ");
		int timed_out = 0;
		int status = pid > 0 ? wait_child(pid, timeout_s * 1000LL, &timed_out) : -1;
		long long ms = now_ms() - start;
		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			say("# %s: exit status 0 after %lld ms", names[i], ms);
			say("ok %d %s", i + 1, names[i]);
			passed++;
			continue;
		}
		char what[64];
		if (timed_out)
			snprintf(what, sizeof(what), "timed out after %d s", timeout_s);
		else if (status == -1)
			snprintf(what, sizeof(what), "could not be run");
		else
			describe(what, sizeof(what), status);
		say("# %s: %s after %lld ms", names[i], what, ms);
		say("not ok %d %s", i + 1, names[i]);
		failed++;
	}
	reap_orphans();

	int leak_skipped;
	int leaks = leak_check(before, nb, &leak_skipped);
	if (leak_skipped) {
		say("ok %d leak_check # SKIP no %s", count + 1, COUNTERS_FILE);
		skipped++;
	} else if (leaks) {
		say("not ok %d leak_check", count + 1);
		failed++;
	} else {
		say("ok %d leak_check", count + 1);
		passed++;
	}
	say("# Totals: pass:%d fail:%d skip:%d", passed, failed, skipped);
	if (count == 0) {
		say("# init: no test programs in %s", dir);
		failed++;
	}
	for (int i = 0; i < count; i++)
		free(names[i]);
	return failed > 125 ? 125 : failed;
}

/*
 * utest_loop=S: the suite again and again until S seconds have passed (at
 * least once), the counters printed after each round as "# soak: round N:
 * NAME VALUE".  Round 1 warms the kernel's caches; tests/soak.py compares
 * the last round's counters with round 1's, so a leak too small for one
 * round's leak_check still shows once it has added up.
 */
static int run_loop(int seconds)
{
	long long end = now_ms() + seconds * 1000LL;
	int failed = 0, round = 0;

	do {
		struct counter c[64];

		say("# soak: round %d", ++round);
		failed += run_tests();
		int n = read_counters(c, 64);
		for (int i = 0; i < n; i++)
			say("# soak: round %d: %s %lld", round, c[i].name, c[i].value);
	} while (now_ms() < end);
	say("# soak: %d rounds, %d failed", round, failed);
	return failed > 125 ? 125 : failed;
}

/* ---------------------------------------------------------------- /etc/run */

static int run_file(FILE *f)
{
	char line[1024];
	int last = 0;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *argv[MAX_ARGS + 1];
		int argc = 0;
		for (char *w = strtok(line, " \t"); w && argc < MAX_ARGS; w = strtok(NULL, " \t"))
			argv[argc++] = w;
		argv[argc] = NULL;
		if (argc == 0 || argv[0][0] == '#')
			continue;

		/* the command as it will be reported: words joined by spaces */
		char cmd[1024] = "";
		for (int i = 0; i < argc; i++) {
			strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
			if (i + 1 < argc)
				strcat(cmd, " ");
		}
		char path[512];
		if (!strchr(argv[0], '/')) {
			snprintf(path, sizeof(path), "/bin/%s", argv[0]);
			argv[0] = path;
		}
		char prefix[1100];
		snprintf(prefix, sizeof(prefix), "run: %s: ", cmd);
		pid_t pid = spawn(argv, environ, prefix);
		int status = pid > 0 ? wait_child(pid, 0, NULL) : -1;
		if (status == -1) {
			say("run: %s: exit status 127", cmd);
			last = 127;
		} else if (WIFSIGNALED(status)) {
			say("run: %s: killed by signal %d", cmd, WTERMSIG(status));
			last = 128 + WTERMSIG(status);
		} else {
			say("run: %s: exit status %d", cmd, WEXITSTATUS(status));
			last = WEXITSTATUS(status);
		}
	}
	reap_orphans();
	return last;
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const char *c = getenv("SWITCHYARD_CMDLINE");
	char buf[32];

	if (c)
		cmdline = c;
	if (value_of("utest_timeout", buf, sizeof(buf)) && atoi(buf) > 0)
		timeout_s = atoi(buf);

	if (value_of("utest", buf, sizeof(buf))) {
		int failed = value_of("utest_loop", buf, sizeof(buf)) ? run_loop(atoi(buf)) :
			     run_tests();
		say("init: user tests done, %d failed", failed);
		return failed;
	}

	char runbuf[1024];
	if (value_of("run", runbuf, sizeof(runbuf)) && runbuf[0]) {
		for (char *p = runbuf; *p; p++)
			if (*p == ',')
				*p = '\n';
			else if (*p == '+')
				*p = ' ';
		FILE *m = fmemopen(runbuf, strlen(runbuf), "r");
		if (m) {
			int status = run_file(m);
			fclose(m);
			return status;
		}
	}

	FILE *f = fopen(RUN_FILE, "re");
	if (f) {
		int status = run_file(f);
		fclose(f);
		return status;
	}

	char *sh_argv[] = { "/bin/sh", NULL };
	pid_t pid = spawn(sh_argv, environ, "init: ");
	if (pid < 0)
		return 1;
	int status = wait_child(pid, 0, NULL);
	char what[64];
	describe(what, sizeof(what), status);
	say("init: /bin/sh ended (%s); powering off", what);
	reap_orphans();
	return 0;
}
