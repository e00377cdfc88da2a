/*
 * signals - rt_sigaction, rt_sigprocmask, rt_sigreturn, kill, tkill,
 * tgkill and sigaltstack: handlers that run and return, siginfo contents,
 * blocking and pending, the alternate stack, default actions, EINTR, fault
 * signals with si_addr, a handler that repairs the fault and returns, and
 * the registers (vector ones too) a handler must not disturb.
 *
 * Only ever signals this process or its own children (the tests also run
 * natively, as root: kill(-1, ...) or kill(0, ...) would hit the host).
 */
#include "ktap.h"

#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096UL

static volatile sig_atomic_t hits;
static volatile int last_signo, last_code, last_pid, last_uid;
static void *volatile last_stack_addr;
static volatile int last_ss_flags;
static volatile int handler_blocked_self, handler_blocked_other;

static void count_handler(int sig)
{
	(void)sig;
	hits++;
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	hits++;
	last_signo = si->si_signo;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_uid = (int)si->si_uid;
	(void)sig;
}

static void reset_globals(void)
{
	hits = 0;
	last_signo = last_code = last_pid = last_uid = -1;
	last_stack_addr = NULL;
	last_ss_flags = -1;
}

static int install(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static int install_info(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void restore_default(int sig)
{
	signal(sig, SIG_DFL);
}

TEST(raise_runs_handler)
{
	reset_globals();
	ASSERT(install(SIGUSR1, count_handler, 0) == 0);
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 1);		/* delivered before raise() returned */
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 2);
	restore_default(SIGUSR1);
}

TEST(kill_self_siginfo)
{
	reset_globals();
	ASSERT(install_info(SIGUSR2, info_handler, 0) == 0);
	EXPECT_EQ(kill(getpid(), SIGUSR2), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_signo, SIGUSR2);
	EXPECT_EQ(last_code, SI_USER);
	EXPECT_EQ(last_pid, getpid());
	EXPECT_EQ(last_uid, (int)getuid());
	restore_default(SIGUSR2);
}

TEST(tkill_and_tgkill_siginfo)
{
	reset_globals();
	ASSERT(install_info(SIGUSR1, info_handler, 0) == 0);
	EXPECT_EQ(syscall(SYS_tkill, gettid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(last_signo, SIGUSR1);
	EXPECT_EQ(last_code, SI_TKILL);
	EXPECT_EQ(last_pid, getpid());
	EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(last_code, SI_TKILL);
	/* raise() is tkill in musl */
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(last_code, SI_TKILL);
	restore_default(SIGUSR1);
}

TEST(kill_errors)
{
	/* signal 0 checks that the target exists */
	EXPECT_EQ(kill(getpid(), 0), 0);
	EXPECT_EQ(syscall(SYS_tgkill, getpid(), gettid(), 0), 0);
	EXPECT_EQ(syscall(SYS_tkill, gettid(), 0), 0);
	EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
	EXPECT_ERRNO(kill(getpid(), -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, gettid(), 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tkill, -5, SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);

	/* a process that has been reaped no longer exists */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	EXPECT_ERRNO(kill(pid, 0), ESRCH);
	EXPECT_ERRNO(kill(pid, SIGUSR1), ESRCH);
	EXPECT_ERRNO(syscall(SYS_tkill, pid, SIGUSR1), ESRCH);
	/* a thread id with the wrong thread group */
	EXPECT_ERRNO(syscall(SYS_tgkill, pid, gettid(), SIGUSR1), ESRCH);
}

TEST(sigaction_errors)
{
	/* raw calls: musl checks some of these itself */
	struct k_sigaction {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} ka = { count_handler, 0, NULL, 0 }, old;
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 0, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, 65, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, -1, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGKILL, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGSTOP, &ka, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, KERNEL_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigaction, SIGUSR1, NULL, KERNEL_PTR, 8), EFAULT);
	/* querying SIGKILL is allowed (setting it is not) */
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8), 0);
	EXPECT(old.handler == SIG_DFL);
	/* nothing changed by the failed calls */
	EXPECT_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 8), 0);
	EXPECT(old.handler == SIG_DFL);
}

TEST(sigaction_query_old)
{
	struct sigaction sa, old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
	memset(&old, 0, sizeof(old));
	EXPECT_EQ(sigaction(SIGUSR1, NULL, &old), 0);
	EXPECT(old.sa_handler == count_handler);
	EXPECT(old.sa_flags & SA_RESTART);
	EXPECT(sigismember(&old.sa_mask, SIGUSR2));
	EXPECT(!sigismember(&old.sa_mask, SIGTERM));
	/* replacing returns the previous one */
	EXPECT_EQ(sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = SIG_IGN }, &old), 0);
	EXPECT(old.sa_handler == count_handler);
	restore_default(SIGUSR1);
}

static volatile int mask_has_self, mask_has_usr2;

static void mask_handler(int sig)
{
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	mask_has_self = sigismember(&now, sig);
	mask_has_usr2 = sigismember(&now, SIGUSR2);
	hits++;
}

TEST(handler_mask)
{
	/* in the handler its own signal and sa_mask are blocked; afterwards
	 * the old mask is back */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mask_handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
	reset_globals();
	raise(SIGUSR1);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(mask_has_self, 1);
	EXPECT_EQ(mask_has_usr2, 1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, NULL, &now);
	EXPECT(!sigismember(&now, SIGUSR1));
	EXPECT(!sigismember(&now, SIGUSR2));

	/* SA_NODEFER: the signal is not blocked in its handler */
	sa.sa_flags = SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0);
	raise(SIGUSR1);
	EXPECT_EQ(hits, 2);
	EXPECT_EQ(mask_has_self, 0);
	restore_default(SIGUSR1);
}

TEST(resethand_and_ignore)
{
	reset_globals();
	ASSERT(install(SIGUSR1, count_handler, SA_RESETHAND) == 0);
	raise(SIGUSR1);
	EXPECT_EQ(hits, 1);
	struct sigaction old;
	EXPECT_EQ(sigaction(SIGUSR1, NULL, &old), 0);
	EXPECT(old.sa_handler == SIG_DFL);

	/* an ignored signal does nothing */
	signal(SIGUSR1, SIG_IGN);
	EXPECT_EQ(raise(SIGUSR1), 0);
	EXPECT_EQ(kill(getpid(), SIGUSR1), 0);
	EXPECT_EQ(hits, 1);
	restore_default(SIGUSR1);
	/* so does one whose default action is to ignore it */
	EXPECT_EQ(raise(SIGCHLD), 0);
	EXPECT_EQ(raise(SIGWINCH), 0);
}

TEST(sigprocmask_pending_delivery)
{
	reset_globals();
	ASSERT(install(SIGUSR1, count_handler, 0) == 0);
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_EQ(sigprocmask(SIG_BLOCK, &set, &old), 0);
	EXPECT(!sigismember(&old, SIGUSR1));
	raise(SIGUSR1);
	raise(SIGUSR1);			/* standard signals do not queue */
	EXPECT_EQ(hits, 0);
	/* unblocking delivers it, once, before sigprocmask returns */
	EXPECT_EQ(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	EXPECT_EQ(hits, 1);
	/* the same for the process-wide queue (kill rather than tkill; a
	 * signal pending in both queues would be delivered twice) */
	EXPECT_EQ(sigprocmask(SIG_BLOCK, &set, NULL), 0);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(sigprocmask(SIG_UNBLOCK, &set, NULL), 0);
	EXPECT_EQ(hits, 2);
	raise(SIGUSR1);
	EXPECT_EQ(hits, 3);

	/* SIG_SETMASK and reading the mask back */
	EXPECT_EQ(sigprocmask(SIG_SETMASK, &set, NULL), 0);
	sigset_t now;
	EXPECT_EQ(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	EXPECT(sigismember(&now, SIGUSR1));
	raise(SIGUSR1);
	EXPECT_EQ(hits, 3);
	EXPECT_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	EXPECT_EQ(hits, 4);
	restore_default(SIGUSR1);
}

TEST(sigprocmask_errors)
{
	unsigned long set = 0, old = 0;
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, KERNEL_PTR, NULL, 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, KERNEL_PTR, 8), EFAULT);
	/* SIGKILL and SIGSTOP cannot be blocked */
	set = ~0UL;
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8), 0);
	unsigned long now = 0;
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &now, 8), 0);
	EXPECT_EQ(now & (1UL << (SIGKILL - 1)), 0);
	EXPECT_EQ(now & (1UL << (SIGSTOP - 1)), 0);
	EXPECT_NE(now & (1UL << (SIGUSR1 - 1)), 0);
	EXPECT_EQ(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8), 0);
}

static char *altstack;
static size_t altstack_size = 64 * 1024;

static void onstack_handler(int sig)
{
	volatile char here;
	stack_t ss;
	(void)sig;
	last_stack_addr = (void *)&here;
	if (sigaltstack(NULL, &ss) == 0)
		last_ss_flags = ss.ss_flags;
	hits++;
}

TEST(sigaltstack_handler)
{
	altstack = mmap(NULL, altstack_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(altstack != MAP_FAILED);
	stack_t ss = { .ss_sp = altstack, .ss_size = altstack_size, .ss_flags = 0 }, old;
	EXPECT_EQ(sigaltstack(&ss, &old), 0);
	EXPECT_EQ(old.ss_flags, SS_DISABLE);
	stack_t cur;
	EXPECT_EQ(sigaltstack(NULL, &cur), 0);
	EXPECT(cur.ss_sp == altstack);
	EXPECT_EQ(cur.ss_size, altstack_size);
	EXPECT_EQ(cur.ss_flags, 0);

	reset_globals();
	ASSERT(install(SIGUSR1, onstack_handler, SA_ONSTACK) == 0);
	raise(SIGUSR1);
	EXPECT_EQ(hits, 1);
	char *addr = (char *)last_stack_addr;
	EXPECT(addr >= altstack && addr < altstack + altstack_size);
	EXPECT_EQ(last_ss_flags, SS_ONSTACK);

	/* without SA_ONSTACK the handler runs on the normal stack */
	ASSERT(install(SIGUSR1, onstack_handler, 0) == 0);
	raise(SIGUSR1);
	EXPECT_EQ(hits, 2);
	addr = (char *)last_stack_addr;
	EXPECT(!(addr >= altstack && addr < altstack + altstack_size));
	EXPECT_EQ(last_ss_flags, 0);

	/* SS_DISABLE turns it off */
	stack_t off = { .ss_flags = SS_DISABLE };
	EXPECT_EQ(sigaltstack(&off, NULL), 0);
	EXPECT_EQ(sigaltstack(NULL, &cur), 0);
	EXPECT_EQ(cur.ss_flags, SS_DISABLE);
	ASSERT(install(SIGUSR1, onstack_handler, SA_ONSTACK) == 0);
	raise(SIGUSR1);
	addr = (char *)last_stack_addr;
	EXPECT(!(addr >= altstack && addr < altstack + altstack_size));
	restore_default(SIGUSR1);
	munmap(altstack, altstack_size);
}

TEST(sigaltstack_errors)
{
	char buf[64];
	/* raw calls: musl's sigaltstack checks size and flags itself */
	stack_t small = { .ss_sp = buf, .ss_size = 1024, .ss_flags = 0 };
	EXPECT_ERRNO(syscall(SYS_sigaltstack, &small, NULL), ENOMEM);	/* < MINSIGSTKSZ */
	stack_t bad = { .ss_sp = buf, .ss_size = 65536, .ss_flags = 0x1234 };
	EXPECT_ERRNO(syscall(SYS_sigaltstack, &bad, NULL), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, BAD_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, KERNEL_PTR, NULL), EFAULT);
	EXPECT_ERRNO(syscall(SYS_sigaltstack, NULL, KERNEL_PTR), EFAULT);
	stack_t cur;
	EXPECT_EQ(sigaltstack(NULL, &cur), 0);
	EXPECT_EQ(cur.ss_flags, SS_DISABLE);
}

TEST(default_actions_in_children)
{
	static const int sigs[] = { SIGUSR1, SIGTERM, SIGINT, SIGHUP, SIGALRM, SIGKILL };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		pid_t pid = fork();
		if (pid == 0) {
			signal(sigs[i], SIG_DFL);
			raise(sigs[i]);
			_exit(99);
		}
		ASSERT(pid > 0);
		EXPECT_KILLED(wait_for(pid), sigs[i]);
	}
	/* a blocked signal kills when it is unblocked */
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGTERM);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(99);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGTERM);
}

TEST(kill_child_from_parent)
{
	/* SIGKILL ends a child asleep in nanosleep; SIGTERM one spinning */
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 30, 0 };
		nanosleep(&ts, NULL);
		_exit(99);
	}
	ASSERT(pid > 0);
	sleep_ms(20);
	EXPECT_EQ(kill(pid, SIGKILL), 0);
	EXPECT_KILLED(wait_for(pid), SIGKILL);

	pid = fork();
	if (pid == 0) {
		for (volatile unsigned long i = 0;; i++)
			;
	}
	ASSERT(pid > 0);
	sleep_ms(20);
	EXPECT_EQ(kill(pid, SIGTERM), 0);
	EXPECT_KILLED(wait_for(pid), SIGTERM);
}

TEST(signal_interrupts_sleep)
{
	/* a handled signal without SA_RESTART ends nanosleep with EINTR and
	 * the time left.  The handler is installed before fork, so there is
	 * no window where the child would die of it; the parent repeats the
	 * signal until the child is done, in case the first one arrived
	 * before the child was asleep. */
	reset_globals();
	ASSERT(install(SIGUSR1, count_handler, 0) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec ts = { 20, 0 }, rem = { 0, 0 };
		long long start = now_ns();
		int r = nanosleep(&ts, &rem);
		int e = errno;
		long long took = now_ns() - start;
		EXPECT_EQ(r, -1);
		EXPECT_EQ(e, EINTR);
		EXPECT_GE(hits, 1);
		EXPECT(rem.tv_sec > 0 && rem.tv_sec <= 20);
		EXPECT_LT(took, 15000000000LL);
		CHILD_EXIT();
	}
	ASSERT(pid > 0);
	int status = -1;
	for (int i = 0; i < 100; i++) {
		sleep_ms(50);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		EXPECT_EQ(kill(pid, SIGUSR1), 0);
	}
	if (status == -1)
		status = wait_for(pid);
	EXPECT_EXIT(status, 0);
	restore_default(SIGUSR1);
}

/* ---------------------------------------------------------------- faults */

static sigjmp_buf fault_jmp;
static volatile int fault_sig, fault_code;
static void *volatile fault_addr;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_sig = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jmp, 1);
}

TEST(sigsegv_handler_si_addr)
{
	ASSERT(install_info(SIGSEGV, fault_handler, SA_NODEFER) == 0);
	static const uintptr_t addrs[] = { 0x0, 0x8, 0x1234, 0x400000000UL };
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		fault_sig = 0;
		fault_addr = (void *)-1;
		if (sigsetjmp(fault_jmp, 1) == 0)
			(void)*(volatile int *)addrs[i];
		EXPECT_EQ(fault_sig, SIGSEGV);
		EXPECT_EQ(fault_code, SEGV_MAPERR);
		EXPECT_EQ((uintptr_t)fault_addr, addrs[i]);
	}
	/* after siglongjmp the mask is back: a second fault is caught too */
	char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(ro != MAP_FAILED);
	fault_sig = 0;
	if (sigsetjmp(fault_jmp, 1) == 0)
		ro[100] = 1;
	EXPECT_EQ(fault_sig, SIGSEGV);
	EXPECT_EQ(fault_code, SEGV_ACCERR);
	EXPECT(fault_addr == ro + 100);
	munmap(ro, PAGE);
	restore_default(SIGSEGV);
}

static char *volatile fixup_page;

static void fixup_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hits++;
	if ((char *)si->si_addr >= fixup_page && (char *)si->si_addr < fixup_page + PAGE)
		mprotect(fixup_page, PAGE, PROT_READ | PROT_WRITE);
	else
		_exit(3);
}

TEST(sigsegv_handler_fixes_and_returns)
{
	/* the handler makes the page writable and returns: rt_sigreturn
	 * restarts the faulting store, which now succeeds */
	fixup_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(fixup_page != MAP_FAILED);
	reset_globals();
	ASSERT(install_info(SIGSEGV, fixup_handler, 0) == 0);
	volatile char *p = fixup_page + 10;
	*p = 42;
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(fixup_page[10], 42);
	restore_default(SIGSEGV);
	munmap(fixup_page, PAGE);
}

static void ucontext_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	(void)si;
	hits++;
	/* skip the 2-byte ud2 that raised SIGILL */
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	/* and hand a value back in rax */
	uc->uc_mcontext.gregs[REG_RAX] = 0x1234567;
}

TEST(handler_edits_ucontext)
{
	reset_globals();
	ASSERT(install_info(SIGILL, ucontext_handler, 0) == 0);
	unsigned long rax = 0;
	__asm__ volatile("xor %%eax, %%eax\n\tud2" : "=a"(rax) : : "memory");
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(rax, 0x1234567);
	restore_default(SIGILL);
}

/* ------------------------------------------------------- registers */

static void clobber_handler(int sig)
{
	(void)sig;
	hits++;
	/* wreck every vector register and the SSE control word */
	__asm__ volatile(
		"pcmpeqd %%xmm0, %%xmm0\n\t"
		"pcmpeqd %%xmm6, %%xmm6\n\t"
		"pcmpeqd %%xmm8, %%xmm8\n\t"
		"pcmpeqd %%xmm15, %%xmm15\n\t"
		"sub $8, %%rsp\n\t"
		"movl $0x7f80, (%%rsp)\n\t"	/* all exceptions masked, round to zero... */
		"ldmxcsr (%%rsp)\n\t"
		"add $8, %%rsp\n\t"
		::: "xmm0", "xmm6", "xmm8", "xmm15", "memory");
	volatile double d = 1.0;
	for (int i = 0; i < 10; i++)
		d = d * 3.0 + 0.5;
}

TEST(handler_preserves_registers)
{
	/* registers loaded before a syscall that delivers a signal hold the
	 * same values after it: the signal frame saved and restored them */
	reset_globals();
	ASSERT(install(SIGUSR1, clobber_handler, 0) == 0);
	unsigned long v8 = 0x1122334455667788UL, v15 = 0x0123456789abcdefUL;
	unsigned long out8 = 0, out15 = 0, r12 = 0, r15 = 0;
	unsigned int mxcsr_before = 0, mxcsr_after = 0;
	long tid = gettid();
	long ret;
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_before));
	__asm__ volatile(
		"movq %[v8], %%xmm8\n\t"
		"movq %[v15], %%xmm15\n\t"
		"mov %[v8], %%r12\n\t"
		"mov %[v15], %%r15\n\t"
		"syscall\n\t"
		"movq %%xmm8, %[o8]\n\t"
		"movq %%xmm15, %[o15]\n\t"
		"mov %%r12, %[r12]\n\t"
		"mov %%r15, %[r15]\n\t"
		: [o8] "=&r"(out8), [o15] "=&r"(out15), [r12] "=&r"(r12), [r15] "=&r"(r15),
		  "=a"(ret)
		: [v8] "r"(v8), [v15] "r"(v15), "a"((long)SYS_tkill), "D"(tid), "S"((long)SIGUSR1)
		: "rcx", "r11", "r12", "r15", "xmm8", "xmm15", "memory");
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr_after));
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(hits, 1);
	EXPECT_EQ(out8, v8);
	EXPECT_EQ(out15, v15);
	EXPECT_EQ(r12, v8);
	EXPECT_EQ(r15, v15);
	EXPECT_EQ(mxcsr_after, mxcsr_before);
	restore_default(SIGUSR1);
}

/* ------------------------------------------------------- sigreturn */

TEST(bad_sigreturn_kills)
{
	/* rt_sigreturn with no signal frame: the "frame" on the stack is
	 * zeroes but for valid selectors, so the process resumes at rip 0
	 * and dies of SIGSEGV.  Then the same with garbage selectors, which
	 * the kernel must not load: still only SIGSEGV for this process. */
	for (int garbage = 0; garbage < 2; garbage++) {
		pid_t pid = fork();
		if (pid == 0) {
			static unsigned long frame[128] __attribute__((aligned(16)));
			unsigned short cs, ss;
			__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
			memset(frame, 0, sizeof(frame));
			/* rt_sigframe: pretcode (8), then ucontext: uc_flags (8),
			 * uc_link (8), uc_stack (24), then sigcontext: r8..r15,
			 * rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags,
			 * cs/gs/fs/ss (4 x u16) ... */
			unsigned long *sc = frame + 6;
			unsigned short *segs = (unsigned short *)&sc[18];
			segs[0] = garbage ? 0x1234 : cs;
			segs[3] = garbage ? 0x5678 : ss;
			sc[17] = 0x202;		/* eflags: IF */
			__asm__ volatile(
				"mov %0, %%rsp\n\t"
				"add $8, %%rsp\n\t"	/* as after the handler's ret */
				"mov $15, %%eax\n\t"
				"syscall\n\t"
				"ud2"
				:: "r"(frame) : "memory");
			_exit(99);
		}
		ASSERT(pid > 0);
		EXPECT_KILLED(wait_for(pid), SIGSEGV);
	}
}

static const struct ktap_test tests[] = {
	T(raise_runs_handler),
	T(kill_self_siginfo),
	T(tkill_and_tgkill_siginfo),
	T(kill_errors),
	T(sigaction_errors),
	T(sigaction_query_old),
	T(handler_mask),
	T(resethand_and_ignore),
	T(sigprocmask_pending_delivery),
	T(sigprocmask_errors),
	T(sigaltstack_handler),
	T(sigaltstack_errors),
	T(default_actions_in_children),
	T(kill_child_from_parent),
	T(signal_interrupts_sleep),
	T(sigsegv_handler_si_addr),
	T(sigsegv_handler_fixes_and_returns),
	T(handler_edits_ucontext),
	T(handler_preserves_registers),
	T(bad_sigreturn_kills),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
