/*
 * proc - making and ending processes.
 *
 *   fork+exit+wait         fork() a child that _exit(0)s at once, wait4()
 *                          for it: copy the mm (copy-on-write), run the
 *                          child, tear it down, reap it
 *   fork+execve+exit+wait  the same, but the child first execve()s this
 *                          program (small, static, musl) with "--exit", which
 *                          returns from main at once: adds loading an ELF,
 *                          a new mm and a new stack
 *
 * Everything runs pinned to CPU 0, so the child runs where the parent
 * waits and the count is one CPU's work (plus, under -smp 2, whatever the
 * other CPU does meanwhile: little, it idles).
 */
#include "bench.h"
#include <sys/wait.h>

static const char *self;

static void op_fork(void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	int status;
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("fork child: status %#x", status);
}

static void op_exec(void *arg)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { (char *)self, "--exit", NULL };
		char *envp[] = { NULL };
		execve(self, argv, envp);
		_exit(127);
	}
	int status;
	if (waitpid(pid, &status, 0) != pid || status != 0)
		die("execve %s: child status %#x", self, status);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exit") == 0)
		return 0;
	bench_init(argc, argv, "proc");
	self = argv[0];
	if (pin_to(0) != 0)
		die("pin to CPU 0: %s", strerror(errno));
	bench_run("fork+exit+wait", iters(60), 4, op_fork, NULL);
	bench_run("fork+execve+exit+wait", iters(40), 4, op_exec, NULL);
	return 0;
}
