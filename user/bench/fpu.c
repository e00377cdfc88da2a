/*
 * fpu - what the FPU state costs on a context switch, per backend.
 *
 *   fpu switch process-process  two processes on CPU 0 yield to each other
 *                               and each touches an XMM register after
 *                               every switch: each round trip saves and
 *                               restores both states once (saves= and
 *                               restores= near 2).  Boot with fpu=NAME to
 *                               pick the backend; bench: info says which
 *                               one this boot uses.
 *   fpu user-idle-user          sleep 100 us: this task blocks, the CPU runs
 *                               the idle kernel thread, the timer wakes us.
 *                               No other user state was loaded meanwhile,
 *                               so the return to user must restore nothing:
 *                               restores= must be 0 (skipped= counts the
 *                               restores avoided).  The instruction count
 *                               includes the idle time (under icount,
 *                               idle time advances the clock), so it is
 *                               not a path length; the counters are the
 *                               point of this row.
 */
#include "bench.h"
#include <signal.h>
#include <time.h>
#include <sys/wait.h>

static inline void touch_fpu(void)
{
	__asm__ volatile("paddq %%xmm1, %%xmm0" ::: "xmm0");
}

static void op_switch(void *arg)
{
	sched_yield();
	touch_fpu();
}

static void op_sleep(void *arg)
{
	struct timespec ts = { 0, 100000 };
	nanosleep(&ts, NULL);
	touch_fpu();
}

int main(int argc, char **argv)
{
	bench_init(argc, argv, "fpu");
	if (pin_to(0) != 0)
		die("pin to CPU 0: %s", strerror(errno));

	char backend[32];
	switchyard_word("fpu", backend, sizeof(backend));
	say("bench: info fpu=%s", backend);

	touch_fpu();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		for (;;) {
			sched_yield();
			touch_fpu();
		}
	}
	bench_run("fpu switch process-process", iters(400), 20, op_switch, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	bench_run("fpu user-idle-user", iters(20), 2, op_sleep, NULL);
	return 0;
}
