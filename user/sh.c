/*
 * sh - Switchyard's small interactive shell.
 *
 * Reads a line after the prompt "$ " (the console does the line editing:
 * canonical input with echo), splits it on blanks and runs it.  No quoting,
 * pipes, redirection or variables: one command per line.
 *
 * Builtins:
 *   help            this list
 *   exit [N]        leave the shell with status N (default 0); when init's
 *                   shell exits, the machine powers off
 *   echo WORDS...   print the words
 *   ls [DIR...]     list directories (getdents64) with sizes; default /
 *   cat FILE...     print files
 *   counters        print /proc/switchyard (the kernel's counters)
 *   status          the last command's exit status
 * Anything else is a program: NAME runs /bin/NAME, a word with a '/' is a
 * path.  It runs with fork + execve + wait4 and the shell reports a
 * non-zero exit status or the signal that killed it.  End of input (^D at
 * the start of a line) leaves the shell like `exit`.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64
static int last_status;

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void help(void)
{
	printf("builtins:\n"
	       "  help            this list\n"
	       "  exit [N]        leave the shell (init then powers off)\n"
	       "  echo WORDS...   print the words\n"
	       "  ls [DIR...]     list a directory with sizes (default /)\n"
	       "  cat FILE...     print files\n"
	       "  counters        the kernel's counters (/proc/switchyard)\n"
	       "  status          the last command's exit status\n"
	       "anything else runs a program: NAME is /bin/NAME, or give a path.\n"
	       "try: ls /bin, ls /tests, hello a b c, /tests/time, exitcode 3, segv\n");
}

static const char *type_name(unsigned char type)
{
	switch (type) {
	case DT_DIR: return "dir";
	case DT_REG: return "file";
	case DT_CHR: return "chr";
	case DT_LNK: return "link";
	default: return "?";
	}
}

static int ls(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		printf("ls: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char buf[4096];
	long n;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			off += d->d_reclen;
			if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
				continue;
			char path[1024];
			struct stat st;
			snprintf(path, sizeof(path), "%s%s%s", dir,
				 dir[strlen(dir) - 1] == '/' ? "" : "/", d->d_name);
			if (stat(path, &st) == 0)
				printf("%10lld  %-4s  %s%s\n", (long long)st.st_size,
				       type_name(d->d_type), d->d_name,
				       S_ISDIR(st.st_mode) ? "/" : "");
			else
				printf("%10s  %-4s  %s (%s)\n", "?", type_name(d->d_type),
				       d->d_name, strerror(errno));
		}
	}
	if (n < 0)
		printf("ls: %s: %s\n", dir, strerror(errno));
	close(fd);
	return n < 0;
}

static int cat(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("cat: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fflush(stdout);
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			break;
	if (n < 0)
		printf("cat: %s: %s\n", path, strerror(errno));
	close(fd);
	return n < 0;
}

static int run(char **argv)
{
	char path[512];
	if (strchr(argv[0], '/'))
		snprintf(path, sizeof(path), "%s", argv[0]);
	else
		snprintf(path, sizeof(path), "/bin/%s", argv[0]);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execve(path, argv, environ);
		printf("sh: %s: %s\n", path, strerror(errno));
		fflush(stdout);
		_exit(errno == ENOENT ? 127 : 126);
	}
	if (pid < 0) {
		printf("sh: fork: %s\n", strerror(errno));
		return 1;
	}
	int status;
	pid_t r;
	do
		r = wait4(pid, &status, 0, NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		printf("sh: wait4: %s\n", strerror(errno));
		return 1;
	}
	if (WIFSIGNALED(status)) {
		printf("sh: %s: killed by signal %d (%s)\n", argv[0], WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return 128 + WTERMSIG(status);
	}
	if (WEXITSTATUS(status) != 0)
		printf("sh: %s: exit status %d\n", argv[0], WEXITSTATUS(status));
	return WEXITSTATUS(status);
}

int main(void)
{
	char line[1024];

	/* the console is line-oriented: print each line as it is made */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("Switchyard shell; type help for the commands, exit or ^D to power off.\n");
	for (;;) {
		printf("$ ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin)) {
			if (ferror(stdin) && errno == EINTR) {
				clearerr(stdin);
				continue;
			}
			printf("\n");
			return 0;
		}
		char *argv[MAX_ARGS + 1];
		int argc = 0;
		for (char *w = strtok(line, " \t\r\n"); w && argc < MAX_ARGS; w = strtok(NULL, " \t\r\n"))
			argv[argc++] = w;
		argv[argc] = NULL;
		if (argc == 0)
			continue;

		int status = 0;
		if (strcmp(argv[0], "exit") == 0) {
			return argc > 1 ? atoi(argv[1]) : 0;
		} else if (strcmp(argv[0], "help") == 0) {
			help();
		} else if (strcmp(argv[0], "echo") == 0) {
			for (int i = 1; i < argc; i++)
				printf("%s%s", argv[i], i + 1 < argc ? " " : "");
			printf("\n");
		} else if (strcmp(argv[0], "ls") == 0) {
			if (argc == 1)
				status = ls("/");
			for (int i = 1; i < argc; i++) {
				if (argc > 2)
					printf("%s:\n", argv[i]);
				status |= ls(argv[i]);
			}
		} else if (strcmp(argv[0], "cat") == 0) {
			for (int i = 1; i < argc; i++)
				status |= cat(argv[i]);
		} else if (strcmp(argv[0], "counters") == 0) {
			status = cat("/proc/switchyard");
		} else if (strcmp(argv[0], "status") == 0) {
			printf("%d\n", last_status);
		} else {
			status = run(argv);
		}
		last_status = status;
	}
}
