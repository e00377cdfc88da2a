/*
 * faults - what a ring-3 program can do wrong, each in a child process:
 * every CPU exception it can raise becomes the signal Linux sends (SIGILL,
 * SIGFPE, SIGTRAP, SIGSEGV, SIGBUS), with Linux's si_code and si_addr, and
 * kills only that child.  Privileged instructions, software interrupts
 * into kernel vectors, unmasked SSE and x87 exceptions, a stack overflow
 * and a jump to a non-canonical address are among them.  The kernel must
 * carry on after each one (the next test would notice if not).
 */
#include "ktap.h"
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <sys/mman.h>
#include <ucontext.h>

/* Each fault is a tiny function in asm with a global label on the
 * faulting instruction, so si_addr can be compared with it. */
#define FAULT_FN(name, insns)						\
	extern char name##_at[];					\
	__attribute__((noinline, used)) static void name(void)		\
	{								\
		__asm__ volatile(".globl " #name "_at\n"		\
				 #name "_at:\n\t" insns ::: "memory");	\
	}

FAULT_FN(do_ud2, "ud2")
FAULT_FN(do_int3, "int3")
FAULT_FN(do_hlt, "hlt")
FAULT_FN(do_cli, "cli")
FAULT_FN(do_in, "inb $0x80, %%al")
FAULT_FN(do_out, "outb %%al, $0x80")
FAULT_FN(do_rdmsr, "xor %%ecx, %%ecx\n\trdmsr")
FAULT_FN(do_wrcr3, "xor %%eax, %%eax\n\tmov %%rax, %%cr3")
FAULT_FN(do_lgdt, "lgdt (%%rsp)")
FAULT_FN(do_wbinvd, "wbinvd")
FAULT_FN(do_swapgs, "swapgs")
FAULT_FN(do_int_pf, "int $14")
FAULT_FN(do_int_nmi, "int $2")
FAULT_FN(do_int_timer, "int $0x20")
FAULT_FN(do_int_high, "int $0xf0")
FAULT_FN(do_sysret, "sysretq")

__attribute__((noinline)) static void do_div0(void)
{
	volatile int zero = 0, x = 1;
	x = x / zero;
}

__attribute__((noinline)) static void do_div_overflow(void)
{
	volatile long min = (long)(1UL << 63), neg = -1, r;
	r = min / neg;
	(void)r;
}

__attribute__((noinline)) static void do_sse_divzero(void)
{
	unsigned int mxcsr = 0x1f80 & ~0x0200;	/* unmask divide-by-zero */
	__asm__ volatile("ldmxcsr %0" :: "m"(mxcsr));
	volatile double one = 1.0, zero = 0.0, r;
	r = one / zero;
	(void)r;
}

__attribute__((noinline)) static void do_x87_divzero(void)
{
	unsigned short cw = 0x037f & ~0x0004;	/* unmask zero-divide */
	__asm__ volatile("fldcw %0" :: "m"(cw));
	__asm__ volatile("fld1\n\tfldz\n\tfdivrp\n\tfwait\n\tfstp %%st(0)" ::: "memory");
}

__attribute__((noinline)) static void do_misaligned_sse(void)
{
	static char buf[64] __attribute__((aligned(16)));
	__asm__ volatile("movaps 1(%0), %%xmm0" :: "r"(buf) : "xmm0");
}

__attribute__((noinline)) static void do_noncanonical_jump(void)
{
	void (*volatile fn)(void) = (void (*)(void))0x8000000000001000UL;
	fn();
}

__attribute__((noinline)) static void do_write_text(void)
{
	*(volatile char *)(void *)do_write_text = 0x90;
}

static volatile int depth_limit = 1 << 30;	/* never reached */
__attribute__((noinline)) static int do_recurse(int n)
{
	volatile char frame[4096];
	frame[0] = (char)n;
	if (n >= depth_limit)
		return 0;
	return do_recurse(n + 1) + frame[100];
}

__attribute__((noinline)) static void do_stack_overflow(void)
{
	do_recurse(0);
}

__attribute__((noinline)) static void do_bad_stack_pointer(void)
{
	/* a signal cannot be delivered on an unusable stack: still only
	 * this process dies */
	__asm__ volatile("mov $0x10, %%rsp\n\tud2" ::: "memory");
}

/* ---------------------------------------------------------------- runners */

static volatile int want_sig, want_code;
static void *volatile want_addr;
static volatile int check_addr;

static void checking_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int ok = sig == want_sig && si->si_signo == want_sig &&
		 (want_code < 0 || si->si_code == want_code) &&
		 (!check_addr || si->si_addr == want_addr);
	if (!ok) {
		ktap_line("#   got signal %d code %d addr %p, expected signal %d code %d addr %p",
			  sig, si->si_code, si->si_addr, want_sig, want_code,
			  check_addr ? want_addr : NULL);
		if (uc->uc_mcontext.fpregs)
			ktap_line("#   saved FPU state: fcw %#x fsw %#x ftw %#x mxcsr %#x",
				  uc->uc_mcontext.fpregs->cwd, uc->uc_mcontext.fpregs->swd,
				  uc->uc_mcontext.fpregs->ftw, uc->uc_mcontext.fpregs->mxcsr);
		_exit(100 + sig);
	}
	_exit(0);
}

/* FN in a child with no handler: killed by SIG. */
static int dies_by(void (*fn)(void), int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(99);
	}
	if (pid < 0) {
		FAIL("fork: %s", errname(errno));
		return -1;
	}
	int status = wait_for(pid);
	EXPECT_KILLED(status, sig);
	return status;
}

/* FN in a child whose handler checks signal, si_code (CODE < 0: any)
 * and si_addr (ADDR, if CHECK). */
static void reports(void (*fn)(void), int sig, int code, void *addr, int check)
{
	pid_t pid = fork();
	if (pid == 0) {
		want_sig = sig;
		want_code = code;
		want_addr = addr;
		check_addr = check;
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = checking_handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(sig, &sa, NULL);
		fn();
		_exit(99);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
}

TEST(ud2_sigill)
{
	dies_by(do_ud2, SIGILL);
	reports(do_ud2, SIGILL, ILL_ILLOPN, do_ud2_at, 1);
}

TEST(int3_sigtrap)
{
	dies_by(do_int3, SIGTRAP);
	reports(do_int3, SIGTRAP, SI_KERNEL, NULL, 0);
}

TEST(divide_errors_sigfpe)
{
	dies_by(do_div0, SIGFPE);
	reports(do_div0, SIGFPE, FPE_INTDIV, NULL, 0);
	dies_by(do_div_overflow, SIGFPE);
	reports(do_div_overflow, SIGFPE, FPE_INTDIV, NULL, 0);
}

TEST(unmasked_sse_exception_sigfpe)
{
	/* First: does this CPU raise #XM at all?  QEMU without KVM (TCG)
	 * sets the MXCSR flag but never raises the exception. */
	pid_t pid = fork();
	if (pid == 0) {
		do_sse_divzero();
		unsigned int mxcsr = 0;
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		_exit(mxcsr & 0x4 ? 98 : 97);	/* ZE set: no exception raised */
	}
	ASSERT(pid > 0);
	int status = wait_for(pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 98)
		SKIP("the CPU set MXCSR.ZE without raising #XM (QEMU's TCG does not model SIMD exceptions)");
	EXPECT_KILLED(status, SIGFPE);
	reports(do_sse_divzero, SIGFPE, FPE_FLTDIV, NULL, 0);
}

TEST(unmasked_x87_exception_sigfpe)
{
	dies_by(do_x87_divzero, SIGFPE);
	reports(do_x87_divzero, SIGFPE, FPE_FLTDIV, NULL, 0);
}

TEST(privileged_instructions_sigsegv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} insns[] = {
		{ "hlt", do_hlt }, { "cli", do_cli }, { "in", do_in }, { "out", do_out },
		{ "rdmsr", do_rdmsr }, { "mov cr3", do_wrcr3 }, { "lgdt", do_lgdt },
		{ "wbinvd", do_wbinvd }, { "swapgs", do_swapgs }, { "sysret", do_sysret },
	};
	for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		int failed = ktap.failed;
		dies_by(insns[i].fn, SIGSEGV);
		if (ktap.failed != failed)
			DIAG("(that was %s)", insns[i].name);
	}
	/* a general protection fault reports si_code SI_KERNEL, no address */
	reports(do_hlt, SIGSEGV, SI_KERNEL, NULL, 1);
}

TEST(software_interrupts_into_kernel_vectors)
{
	/* int $N for a vector whose gate ring 3 may not use is a general
	 * protection fault: SIGSEGV; it must never reach the handler */
	dies_by(do_int_pf, SIGSEGV);
	dies_by(do_int_nmi, SIGSEGV);
	dies_by(do_int_timer, SIGSEGV);
	dies_by(do_int_high, SIGSEGV);
	reports(do_int_pf, SIGSEGV, SI_KERNEL, NULL, 1);
}

TEST(misaligned_sse_sigsegv)
{
	dies_by(do_misaligned_sse, SIGSEGV);
}

TEST(noncanonical_jump_sigsegv)
{
	dies_by(do_noncanonical_jump, SIGSEGV);
}

TEST(write_to_own_code_sigsegv)
{
	dies_by(do_write_text, SIGSEGV);
	reports(do_write_text, SIGSEGV, SEGV_ACCERR, (void *)do_write_text, 1);
}

TEST(stack_overflow_sigsegv)
{
	dies_by(do_stack_overflow, SIGSEGV);
}

TEST(unusable_stack_sigsegv)
{
	/* ud2 with rsp = 0x10: without a handler that is plain SIGILL; with
	 * one, the signal frame cannot be written, so the kernel kills the
	 * process with SIGSEGV instead */
	dies_by(do_bad_stack_pointer, SIGILL);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGILL, (void (*)(int))do_ud2);
		do_bad_stack_pointer();
		_exit(99);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);
}

static void segv_handler_noop(int sig)
{
	(void)sig;
}

/* Regression (found by the syscall fuzzer): a SIGSEGV *handler* whose
 * frame cannot be built must not be retried forever - the process dies
 * of SIGSEGV, as in Linux's force_sigsegv. */
TEST(segv_handler_without_usable_frame_dies)
{
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, segv_handler_noop);
		__asm__ volatile("movq $0x1000, %%rsp; movq (%%rsp), %%rax" ::: "rax", "memory");
		_exit(99);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);

	/* no SA_RESTORER: x86-64 has no kernel trampoline, so no frame */
	pid = fork();
	if (pid == 0) {
		struct { unsigned long handler, flags, restorer, mask; } sa = {
			(unsigned long)segv_handler_noop, 0, 0, 0 };
		syscall(SYS_rt_sigaction, SIGSEGV, &sa, NULL, 8);
		kill(getpid(), SIGSEGV);
		_exit(99);
	}
	ASSERT(pid > 0);
	EXPECT_KILLED(wait_for(pid), SIGSEGV);
}

TEST(many_faults_in_a_row)
{
	/* 100 children that fault, one after another */
	int wrong = 0;
	for (int i = 0; i < 100; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (i % 2)
				do_ud2();
			else
				*(volatile char *)(uintptr_t)(i * 8) = 1;
			_exit(99);
		}
		if (pid < 0) {
			wrong++;
			break;
		}
		int status = wait_for(pid);
		int sig = i % 2 ? SIGILL : SIGSEGV;
		if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
			wrong++;
	}
	EXPECT_EQ(wrong, 0);
}

static const struct ktap_test tests[] = {
	T(ud2_sigill),
	T(int3_sigtrap),
	T(divide_errors_sigfpe),
	T(unmasked_sse_exception_sigfpe),
	T(unmasked_x87_exception_sigfpe),
	T(privileged_instructions_sigsegv),
	T(software_interrupts_into_kernel_vectors),
	T(misaligned_sse_sigsegv),
	T(noncanonical_jump_sigsegv),
	T(write_to_own_code_sigsegv),
	T(stack_overflow_sigsegv),
	T(unusable_stack_sigsegv),
	T(segv_handler_without_usable_frame_dies),
	T(many_faults_in_a_row),
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
