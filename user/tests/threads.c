/*
 * threads - clone with CLONE_VM|CLONE_THREAD|CLONE_SETTLS|..., as musl's
 * pthread_create uses it, and futex: create/join, 16 threads on a mutex and
 * a condition variable (musl builds both on futex), raw FUTEX_WAIT/WAKE with
 * EAGAIN and ETIMEDOUT, set_tid_address and the clear-child-tid wake-up
 * pthread_join relies on, set_robust_list, thread-local storage (FS base
 * per thread), signals to one thread, exit_group and execve from a thread.
 */
#include "ktap.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NTHREADS 16

/* <linux/futex.h> values (musl-gcc has no kernel headers) */
#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_WAIT_BITSET	9
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_WAIT_PRIVATE	(FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE	(FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_BITSET_MATCH_ANY	0xffffffff

struct robust_list { struct robust_list *next; };
struct robust_list_head {
	struct robust_list list;
	long futex_offset;
	struct robust_list *list_op_pending;
};

static long futex(volatile int *uaddr, int op, int val, const struct timespec *timeout,
		  volatile int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, uaddr2, val3);
}

/* ---------------------------------------------------------------- create/join */

static void *return_arg(void *arg)
{
	return (char *)arg + 1;
}

static volatile pid_t thread_pid, thread_tid;

static void *report_ids(void *arg)
{
	(void)arg;
	thread_pid = getpid();
	thread_tid = gettid();
	return NULL;
}

TEST(create_join)
{
	pthread_t t;
	void *ret = NULL;
	ASSERT(pthread_create(&t, NULL, return_arg, (void *)0x1000) == 0);
	EXPECT_EQ(pthread_join(t, &ret), 0);
	EXPECT(ret == (void *)0x1001);

	thread_pid = thread_tid = 0;
	ASSERT(pthread_create(&t, NULL, report_ids, NULL) == 0);
	EXPECT_EQ(pthread_join(t, NULL), 0);
	EXPECT_EQ(thread_pid, getpid());	/* one process */
	EXPECT_NE(thread_tid, gettid());	/* another thread */
	EXPECT_GT(thread_tid, 0);
}

TEST(create_join_many_rounds)
{
	/* 200 rounds of 4 threads: stacks, TLS and tasks must all come back
	 * (the leak check after the suite counts them) */
	int bad = 0;
	for (int round = 0; round < 200; round++) {
		pthread_t t[4];
		for (int i = 0; i < 4; i++)
			if (pthread_create(&t[i], NULL, return_arg, (void *)(long)i) != 0)
				bad++;
		for (int i = 0; i < 4; i++) {
			void *ret = NULL;
			if (pthread_join(t[i], &ret) != 0 || ret != (void *)(long)(i + 1))
				bad++;
		}
		if (bad)
			break;
	}
	EXPECT_EQ(bad, 0);
}

static void *detached_fn(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	return NULL;
}

TEST(detached_threads)
{
	static atomic_int done;
	atomic_store(&done, 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 8; i++) {
		pthread_t t;
		EXPECT_EQ(pthread_create(&t, &attr, detached_fn, &done), 0);
	}
	pthread_attr_destroy(&attr);
	for (int i = 0; i < 2000 && atomic_load(&done) < 8; i++)
		sleep_ms(1);
	EXPECT_EQ(atomic_load(&done), 8);
	sleep_ms(20);		/* let them finish exiting */
}

/* ---------------------------------------------------------------- mutex + cond */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static double fsum[NTHREADS];

static void *mutex_worker(void *arg)
{
	long id = (long)arg;
	double acc = 0;
	for (int i = 0; i < 5000; i++) {
		pthread_mutex_lock(&lock);
		long c = counter;
		if (i % 64 == 0)
			sched_yield();		/* hold the lock across a switch */
		counter = c + 1;
		pthread_mutex_unlock(&lock);
		acc += (double)(id + 1) * 0.5;	/* FPU state per thread */
	}
	fsum[id] = acc;
	return NULL;
}

TEST(mutex_16_threads)
{
	pthread_t t[NTHREADS];
	counter = 0;
	for (long i = 0; i < NTHREADS; i++)
		ASSERT(pthread_create(&t[i], NULL, mutex_worker, (void *)i) == 0);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(pthread_join(t[i], NULL), 0);
	EXPECT_EQ(counter, NTHREADS * 5000L);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT(fsum[i] == 5000.0 * (i + 1) * 0.5);
}

/* A bounded queue: 8 producers, 8 consumers, one mutex, two conditions. */
#define QSIZE 8
static int queue[QSIZE], qhead, qcount;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long consumed_sum, consumed_count;
#define ITEMS_PER_PRODUCER 2000

static void *producer(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ITEMS_PER_PRODUCER; i++) {
		pthread_mutex_lock(&lock);
		while (qcount == QSIZE)
			pthread_cond_wait(&not_full, &lock);
		queue[(qhead + qcount) % QSIZE] = (int)(id * 100000 + i);
		qcount++;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (qcount == 0 && consumed_count < (NTHREADS / 2) * ITEMS_PER_PRODUCER)
			pthread_cond_wait(&not_empty, &lock);
		if (qcount == 0) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		int v = queue[qhead];
		qhead = (qhead + 1) % QSIZE;
		qcount--;
		consumed_sum += v;
		consumed_count++;
		if (consumed_count == (NTHREADS / 2) * ITEMS_PER_PRODUCER)
			pthread_cond_broadcast(&not_empty);	/* wake the others to leave */
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
	}
}

TEST(condvar_producers_consumers)
{
	pthread_t t[NTHREADS];
	qhead = qcount = 0;
	consumed_sum = consumed_count = 0;
	for (long i = 0; i < NTHREADS / 2; i++) {
		ASSERT(pthread_create(&t[i], NULL, producer, (void *)i) == 0);
		ASSERT(pthread_create(&t[NTHREADS / 2 + i], NULL, consumer, NULL) == 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(pthread_join(t[i], NULL), 0);
	long want = 0;
	for (long p = 0; p < NTHREADS / 2; p++)
		for (int i = 0; i < ITEMS_PER_PRODUCER; i++)
			want += p * 100000 + i;
	EXPECT_EQ(consumed_count, (NTHREADS / 2) * ITEMS_PER_PRODUCER);
	EXPECT_EQ(consumed_sum, want);
}

static int gate_open;
static atomic_int waiting;

static void *gate_waiter(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	atomic_fetch_add(&waiting, 1);
	while (!gate_open)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

TEST(condvar_broadcast)
{
	pthread_t t[NTHREADS];
	gate_open = 0;
	atomic_store(&waiting, 0);
	for (int i = 0; i < NTHREADS; i++)
		ASSERT(pthread_create(&t[i], NULL, gate_waiter, NULL) == 0);
	for (int i = 0; i < 5000 && atomic_load(&waiting) < NTHREADS; i++)
		sleep_ms(1);
	EXPECT_EQ(atomic_load(&waiting), NTHREADS);
	pthread_mutex_lock(&lock);
	gate_open = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < NTHREADS; i++)
		EXPECT_EQ(pthread_join(t[i], NULL), 0);
}

TEST(condvar_timedwait)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_nsec += 50 * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	long long start = now_ns();
	pthread_mutex_lock(&lock);
	int r = pthread_cond_timedwait(&cond, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	long long took = now_ns() - start;
	EXPECT_EQ(r, ETIMEDOUT);
	EXPECT_GE(took, 45 * 1000000LL);
	EXPECT_LT(took, 5000 * 1000000LL);
}

/* ---------------------------------------------------------------- raw futex */

static volatile int fword;
static atomic_int woken;

static void *futex_waiter(void *arg)
{
	(void)arg;
	while (fword == 0) {
		long r = futex(&fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
		if (r == 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
			continue;
		return (void *)1;
	}
	atomic_fetch_add(&woken, 1);
	return NULL;
}

TEST(futex_wait_wake)
{
	fword = 0;
	atomic_store(&woken, 0);
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ASSERT(pthread_create(&t[i], NULL, futex_waiter, NULL) == 0);
	sleep_ms(50);				/* let them block */
	EXPECT_EQ(atomic_load(&woken), 0);
	fword = 1;
	long total = 0;
	for (int i = 0; i < 100 && total < 4; i++) {
		long r = futex(&fword, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
		EXPECT_GE(r, 0);
		if (r > 0)
			total += r;
		if (atomic_load(&woken) == 4)
			break;
		sleep_ms(5);
	}
	for (int i = 0; i < 4; i++) {
		void *ret = (void *)2;
		EXPECT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT(ret == NULL);
	}
	EXPECT_EQ(atomic_load(&woken), 4);
	EXPECT_LE(total, 4);
	/* waking a word nobody waits on wakes nobody */
	EXPECT_EQ(futex(&fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	EXPECT_EQ(futex(&fword, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
}

static void *wake_one_later(void *arg)
{
	(void)arg;
	sleep_ms(30);
	fword = 1;
	futex(&fword, FUTEX_WAKE, 1, NULL, NULL, 0);
	return NULL;
}

TEST(futex_shared_op_wakes)
{
	/* FUTEX_WAIT without the private flag, woken by another thread */
	fword = 0;
	pthread_t t;
	ASSERT(pthread_create(&t, NULL, wake_one_later, NULL) == 0);
	struct timespec ts = { 5, 0 };
	long r;
	do
		r = futex(&fword, FUTEX_WAIT, 0, &ts, NULL, 0);
	while (r < 0 && errno == EINTR);
	EXPECT(r == 0 || (r < 0 && errno == EAGAIN));	/* woken, or the word already changed */
	EXPECT_EQ(fword, 1);
	pthread_join(t, NULL);
}

TEST(futex_eagain_and_timeout)
{
	volatile int word = 5;
	/* the word does not hold the expected value */
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN);
	/* a relative timeout */
	struct timespec ts = { 0, 60 * 1000000L };
	long long start = now_ns();
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0), ETIMEDOUT);
	long long took = now_ns() - start;
	EXPECT_GE(took, 55 * 1000000LL);
	EXPECT_LT(took, 5000 * 1000000LL);
	/* a zero timeout times out at once */
	struct timespec zero = { 0, 0 };
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT_PRIVATE, 5, &zero, NULL, 0), ETIMEDOUT);
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline */
	struct timespec abs;
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 30 * 1000000L;
	if (abs.tv_nsec >= 1000000000L) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000L;
	}
	start = now_ns();
	long r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY);
	int e = errno;
	if (r == -1 && e == ENOSYS) {
		DIAG("FUTEX_WAIT_BITSET: ENOSYS");
	} else {
		EXPECT_EQ(r, -1);
		EXPECT_EQ(e, ETIMEDOUT);
		EXPECT_GE(now_ns() - start, 25 * 1000000LL);
	}
}

TEST(futex_errors)
{
	volatile int word = 0;
	struct timespec bad_ns = { 0, 1000000000L }, neg = { -1, 0 };
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 0, &bad_ns, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 0, &neg, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex((volatile int *)((char *)&word + 1), FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex((volatile int *)((char *)&word + 2), FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	EXPECT_ERRNO(futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(KERNEL_PTR, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(&word, FUTEX_WAIT, 0, KERNEL_PTR, NULL, 0), EFAULT);
	EXPECT_ERRNO(futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);	/* unknown op */
	EXPECT_ERRNO(futex(&word, 99 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0), ENOSYS);
}

/* ---------------------------------------------------------------- tid address */

TEST(set_tid_address_and_robust_list)
{
	/* returns the caller's tid; musl set its own at start-up, which
	 * only matters when this thread exits (it exits with the process) */
	static int dummy;
	EXPECT_EQ(syscall(SYS_set_tid_address, &dummy), gettid());
	struct robust_list_head head = { { &head.list }, 0, NULL };
	EXPECT_EQ(syscall(SYS_set_robust_list, &head, sizeof(head)), 0);
	EXPECT_ERRNO(syscall(SYS_set_robust_list, &head, sizeof(head) + 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_set_robust_list, &head, 0), EINVAL);
}

static volatile int tid_word;

static int clear_tid_child(void *arg)
{
	(void)arg;
	/* the thread's tid is in tid_word (CLONE_PARENT_SETTID); it exits
	 * with exit(2), which clears tid_word and wakes its futex */
	syscall(SYS_exit, 0);
	return 0;
}

TEST(clone_thread_clear_tid)
{
	/* the mechanism under pthread_join, by hand: CLONE_CHILD_CLEARTID
	 * zeroes the word when the thread exits and FUTEX_WAKEs it */
	size_t size = 64 * 1024;
	char *stack = malloc(size);
	ASSERT(stack != NULL);
	tid_word = -1;
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	/* raw clone: the child starts on STACK with nothing to return to,
	 * so the stack top holds the function the asm calls.  Arguments:
	 * rdi flags, rsi stack, rdx parent_tid, r10 child_tid, r8 tls. */
	long tid;
	void **top = (void **)(stack + size);
	*--top = (void *)clear_tid_child;
	register long r10 __asm__("r10") = (long)&tid_word;
	register long r8 __asm__("r8") = 0;
	__asm__ volatile(
		"syscall\n\t"
		"test %%rax, %%rax\n\t"
		"jnz 1f\n\t"
		"pop %%rax\n\t"		/* the child, on its own stack */
		"xor %%edi, %%edi\n\t"
		"call *%%rax\n\t"
		"ud2\n"
		"1:"
		: "=a"(tid)
		: "a"((long)SYS_clone), "D"((long)flags), "S"(top), "d"(&tid_word),
		  "r"(r10), "r"(r8)
		: "rcx", "r11", "memory");
	if (tid < 0) {
		free(stack);
		FAIL("clone failed: %s", errname((int)-tid));
		return;
	}
	EXPECT_GT(tid, 0);
	/* wait for the kernel to clear it; futex returns when it did */
	for (int i = 0; i < 1000; i++) {
		int v = tid_word;
		if (v == 0)
			break;
		struct timespec ts = { 0, 10 * 1000000L };
		futex(&tid_word, FUTEX_WAIT, v, &ts, NULL, 0);
	}
	EXPECT_EQ(tid_word, 0);
	sleep_ms(10);
	free(stack);
}

TEST(bad_tid_pointers_are_harmless)
{
	/* Addresses the kernel writes to or reads from later, on exit: it
	 * must not write kernel memory or fail the exit because of them. */
	pid_t pid = fork();
	if (pid == 0) {
		/* set_tid_address does not check; exit's clear fails quietly */
		long tid = syscall(SYS_set_tid_address, KERNEL_PTR);
		syscall(SYS_set_robust_list, KERNEL_PTR, sizeof(struct robust_list_head));
		syscall(SYS_exit_group, tid == gettid() ? 0 : 1);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);

	pid = fork();
	if (pid == 0) {
		syscall(SYS_set_tid_address, BAD_PTR);
		syscall(SYS_set_robust_list, BAD_PTR, sizeof(struct robust_list_head));
		syscall(SYS_exit_group, 0);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);

	/* clone's parent_tid pointing into the kernel: the child is created
	 * all the same (Linux ignores the failed store) */
	long child = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, KERNEL_PTR, NULL, 0);
	if (child == 0)
		syscall(SYS_exit_group, 6);
	if (child < 0) {
		EXPECT_EQ(errno, EFAULT);	/* tolerated: refusing is safe too */
	} else {
		EXPECT_EXIT(wait_for((pid_t)child), 6);
	}
}

/* ---------------------------------------------------------------- TLS */

static __thread int tls_value = 42;
static __thread char tls_buf[256];

static void *tls_worker(void *arg)
{
	long id = (long)arg;
	if (tls_value != 42)
		return (void *)1;
	tls_value = (int)id;
	memset(tls_buf, (int)id, sizeof(tls_buf));
	for (int i = 0; i < 20; i++) {
		sched_yield();
		if (tls_value != (int)id || tls_buf[i] != (char)id)
			return (void *)2;
	}
	/* the FS base the kernel holds for this thread is its TCB */
	unsigned long fs = 0;
	if (syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs) != 0 ||
	    fs != (unsigned long)pthread_self())
		return (void *)3;
	return NULL;
}

TEST(thread_local_storage)
{
	pthread_t t[8];
	tls_value = 7;
	for (long i = 0; i < 8; i++)
		ASSERT(pthread_create(&t[i], NULL, tls_worker, (void *)(i + 100)) == 0);
	for (int i = 0; i < 8; i++) {
		void *ret = (void *)9;
		EXPECT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT(ret == NULL);
	}
	EXPECT_EQ(tls_value, 7);
}

/* ---------------------------------------------------------------- signals */

static volatile pid_t handled_on;

static void record_tid(int sig)
{
	(void)sig;
	handled_on = gettid();
}

static volatile int stop_spinning;
static volatile pid_t spinner_tid;

static void *spinner(void *arg)
{
	(void)arg;
	spinner_tid = gettid();
	while (!stop_spinning)
		sched_yield();
	return NULL;
}

TEST(signal_to_one_thread)
{
	signal(SIGUSR1, record_tid);
	stop_spinning = 0;
	spinner_tid = 0;
	pthread_t t;
	ASSERT(pthread_create(&t, NULL, spinner, NULL) == 0);
	while (!spinner_tid)
		sched_yield();
	handled_on = 0;
	EXPECT_EQ(pthread_kill(t, SIGUSR1), 0);		/* tkill */
	for (int i = 0; i < 2000 && !handled_on; i++)
		sleep_ms(1);
	EXPECT_EQ(handled_on, spinner_tid);
	handled_on = 0;
	EXPECT_EQ(syscall(SYS_tgkill, getpid(), spinner_tid, SIGUSR1), 0);
	for (int i = 0; i < 2000 && !handled_on; i++)
		sleep_ms(1);
	EXPECT_EQ(handled_on, spinner_tid);
	stop_spinning = 1;
	pthread_join(t, NULL);
	signal(SIGUSR1, SIG_DFL);
	/* a thread that has exited is gone, soon after pthread_join (the
	 * kernel clears the tid that join waits for a little before the
	 * thread is released, on Linux too) */
	long r = 0;
	int e = 0;
	for (int i = 0; i < 2000; i++) {
		r = syscall(SYS_tgkill, getpid(), spinner_tid, 0);
		e = errno;
		if (r != 0)
			break;
		sleep_ms(1);
	}
	if (r != -1 || e != ESRCH)
		FAIL("tgkill(exited thread, 0): %ld/%s, expected -1/ESRCH", r, errname(e));
}

/* ---------------------------------------------------------------- exit_group, exec */

static void *exit_from_thread(void *arg)
{
	(void)arg;
	sleep_ms(10);
	exit(3);		/* exit_group: takes the main thread too */
}

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		sleep_ms(1000);
	return NULL;
}

TEST(exit_group_from_thread)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t a, b;
		pthread_create(&a, NULL, sleep_forever, NULL);
		pthread_create(&b, NULL, exit_from_thread, NULL);
		for (;;)
			sleep_ms(1000);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 3);

	/* a fault in one thread kills the whole process */
	pid = fork();
	if (pid == 0) {
		pthread_t a;
		pthread_create(&a, NULL, sleep_forever, NULL);
		sleep_ms(10);
		int *volatile bad = (int *)8;
		*bad = 0;
		_exit(0);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);

	/* SIGKILL to the process ends all its threads */
	pid = fork();
	if (pid == 0) {
		pthread_t a;
		for (int i = 0; i < 4; i++)
			pthread_create(&a, NULL, sleep_forever, NULL);
		for (;;)
			sleep_ms(1000);
	}
	ASSERT(pid > 0);
	sleep_ms(30);
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_KILLED(wait_for(pid), SIGKILL);
}

static void *exec_from_thread(void *arg)
{
	(void)arg;
	char *argv[] = { (char *)ktap.argv0, "--child", "after-exec", NULL };
	extern char **environ;
	execve(ktap.argv0, argv, environ);
	ktap_line("# execve from a second thread: %s", errname(errno));
	_exit(100);
}

TEST(exec_from_thread)
{
	/* execve in a second thread ends the others; the new program runs
	 * as the only thread, with the process's pid */
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t a, b;
		pthread_create(&a, NULL, sleep_forever, NULL);
		pthread_create(&b, NULL, exec_from_thread, NULL);
		for (;;)
			sleep_ms(1000);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
}

static int child_main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "after-exec") == 0) {
		/* one thread, whose tid is the pid */
		EXPECT_EQ(gettid(), getpid());
		return ktap.failed ? 1 : 0;
	}
	return 2;
}

static const struct ktap_test tests[] = {
	T(create_join),
	T(create_join_many_rounds),
	T(detached_threads),
	T(mutex_16_threads),
	T(condvar_producers_consumers),
	T(condvar_broadcast),
	T(condvar_timedwait),
	T(futex_wait_wake),
	T(futex_shared_op_wakes),
	T(futex_eagain_and_timeout),
	T(futex_errors),
	T(set_tid_address_and_robust_list),
	T(clone_thread_clear_tid),
	T(bad_tid_pointers_are_harmless),
	T(thread_local_storage),
	T(signal_to_one_thread),
	T(exit_group_from_thread),
	T(exec_from_thread),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), child_main);
}
