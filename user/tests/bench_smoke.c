/*
 * bench_smoke - keeps the benchmarks working: runs every program in the
 * benchmark directory once with --quick (one iteration of each operation,
 * docs/performance.md) and checks that it exits with status 0.  Measuring
 * is `make bench`'s job, not this test's.
 *
 * The directory is the sibling "bench" of this program's: /tests -> /bench
 * under Switchyard, build/user/tests -> build/user/bench on the host, where
 * the programs run too (their kernel counters then say n/a).
 */
#include "ktap.h"

#include <dirent.h>
#include <sys/stat.h>

static const char *bench_dir(void)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "%.200s", ktap.argv0);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(dir, '/');
	if (!slash)
		return "/bench";
	snprintf(slash, sizeof(dir) - (size_t)(slash - dir), "/bench");
	return dir;
}

TEST(quick_run)
{
	const char *dir = bench_dir();
	DIR *d = opendir(dir);
	if (!d)
		SKIP("no benchmark directory");
	char names[32][256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 32)
		if (e->d_name[0] != '.')
			snprintf(names[n++], sizeof(names[0]), "%s", e->d_name);
	closedir(d);
	EXPECT_GT(n, 0);
	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%.255s/%.255s", dir, names[i]);
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		pid_t pid = fork();
		if (pid == 0) {
			char *argv[] = { path, "--quick", NULL };
			extern char **environ;
			execve(path, argv, environ);
			_exit(127);
		}
		ASSERT(pid > 0);
		int status = wait_for(pid);
		char how[64];
		ktap_describe_status(how, sizeof(how), status);
		DIAG("%s --quick: %s", path, how);
		EXPECT_EXIT(status, 0);
	}
}

int main(int argc, char **argv)
{
	static const struct ktap_test tests[] = { T(quick_run) };
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
