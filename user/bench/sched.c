/*
 * sched - switching between tasks on purpose.
 *
 *   yield thread-thread   two threads of one process on one CPU, each
 *                         calling sched_yield(): one iteration is a round
 *                         trip, two switches, no CR3 write (same mm)
 *   yield process-process the same between two processes: two CR3 writes
 *   futex ping-pong 1 CPU two threads take turns through FUTEX_WAIT and
 *                         FUTEX_WAKE: each side blocks, the other wakes it
 *   futex ping-pong 2 CPUs the same with the threads on CPUs 0 and 1: the
 *                         wake-up of a waiter on another CPU (a reschedule
 *                         IPI when that CPU idles in HLT)
 *   pipe ping-pong 1cpu   two processes pass a byte back and forth through
 *                         two pipes (skipped while pipe(2) says ENOSYS)
 *
 * Under QEMU -smp 2 the instruction count is the machine's, both CPUs'
 * (icount is one clock): the idle CPU's few instructions are in it.
 */
#include "bench.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>


static volatile int stop;
static int turn;		/* futex word: 0 main's turn, 1 the partner's */

static void *yielder(void *arg)
{
	while (!stop)
		sched_yield();
	return NULL;
}

static void op_yield(void *arg)
{
	sched_yield();
}

static long futex(int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
	int cpu = (int)(long)arg;
	if (cpu >= 0 && pin_to(cpu) != 0)
		die("pin to CPU %d: %s", cpu, strerror(errno));
	for (;;) {
		while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) == 0)
			futex(&turn, FUTEX_WAIT_PRIVATE, 0);
		if (stop)
			return NULL;
		__atomic_store_n(&turn, 0, __ATOMIC_RELEASE);
		futex(&turn, FUTEX_WAKE_PRIVATE, 1);
	}
}

static void op_ping(void *arg)
{
	__atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
	futex(&turn, FUTEX_WAKE_PRIVATE, 1);
	while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) == 1)
		futex(&turn, FUTEX_WAIT_PRIVATE, 1);
}

static void ping_pong(const char *name, int partner_cpu)
{
	pthread_t t;
	stop = 0;
	turn = 0;
	if (pthread_create(&t, NULL, ponger, (void *)(long)partner_cpu) != 0)
		die("pthread_create failed");
	bench_run(name, iters(300), 20, op_ping, NULL);
	stop = 1;
	__atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
	futex(&turn, FUTEX_WAKE_PRIVATE, 1);
	pthread_join(t, NULL);
}

static int to_child[2], to_parent[2];

static void op_pipe(void *arg)
{
	char c = 'x';
	if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
		die("pipe ping-pong: %s", strerror(errno));
}

static void pipe_ping_pong(void)
{
	if (pipe(to_child) != 0 || pipe(to_parent) != 0) {
		bench_skip("pipe ping-pong 1cpu", errno == ENOSYS ? "no pipe(2)" : strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char c;
		close(to_child[1]);	/* else its own copy keeps EOF away */
		close(to_parent[0]);
		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	bench_run("pipe ping-pong 1cpu", iters(300), 20, op_pipe, NULL);
	close(to_child[1]);		/* the child reads EOF and exits... */
	kill(pid, SIGKILL);		/* ...or is made to (seen hanging on Linux) */
	waitpid(pid, NULL, 0);
	close(to_parent[0]);
}

int main(int argc, char **argv)
{
	bench_init(argc, argv, "sched");
	if (pin_to(0) != 0)
		die("pin to CPU 0: %s", strerror(errno));

	/* thread <-> thread, same CPU (the thread inherits the pinning) */
	pthread_t t;
	stop = 0;
	if (pthread_create(&t, NULL, yielder, NULL) != 0)
		die("pthread_create failed");
	bench_run("yield thread-thread 1cpu", iters(500), 20, op_yield, NULL);
	stop = 1;
	pthread_join(t, NULL);

	/* process <-> process, same CPU */
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		for (;;)
			sched_yield();
	}
	bench_run("yield process-process 1cpu", iters(500), 20, op_yield, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);

	pipe_ping_pong();
	ping_pong("futex ping-pong 1cpu", -1);
	if (online_cpus() >= 2)
		ping_pong("futex ping-pong 2cpu", 1);
	else
		bench_skip("futex ping-pong 2cpu", "one CPU");
	return 0;
}
