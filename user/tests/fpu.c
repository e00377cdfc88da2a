/*
 * fpu - the FPU and vector registers belong to each thread: values in
 * xmm/ymm registers survive context switches (many threads yielding on
 * few CPUs), each thread keeps its own MXCSR rounding mode, fork copies the
 * state, and execve starts the new program with the default state
 * (MXCSR 0x1f80, x87 control word 0x37f).
 *
 * The fpu_* tests do the same for the whole register file (fpu_regs.h:
 * x87 stack and control word, MXCSR, xmm/ymm/zmm, k0-7, PKRU, whichever
 * CPUID and XCR0 say are there) and check the signal frame against
 * Linux's layout (arch/x86/include/uapi/asm/sigcontext.h): an FXSAVE image
 * whose software-reserved bytes hold struct _fpx_sw_bytes, followed by
 * the XSAVE header and extended state in standard format, and
 * FP_XSTATE_MAGIC2 after it.  What Linux does on rt_sigreturn, checked on
 * a 6.18 host: a frame XRSTOR refuses (reserved header bytes, an
 * XSTATE_BV bit not in XCR0, reserved MXCSR bits) kills the task with
 * SIGSEGV; a wrong magic1 or magic2 is no error: only the FXSAVE part is
 * restored and every other component goes back to its initial state.
 *
 * $FPU_STRESS_ITERS sets the iterations per thread of
 * fpu_regs_survive_switches; $FPU_LIMIT (fpu_regs.h) narrows the registers
 * used, to run the SSE-only or AVX-only paths on a bigger CPU.
 */
#include "ktap.h"

#include <cpuid.h>
#include <fenv.h>
#include <pthread.h>
#include <sched.h>

#include "fpu_regs.h"

#define NTHREADS 8
#define ROUNDS 200

static int have_avx(void)
{
	unsigned int a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	unsigned int lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;		/* the OS saves SSE and AVX state */
}

/* Load xmm0-15 from IN, do ROUNDS sched_yield system calls, store them
 * to OUT.  Nothing in between touches a vector register. */
static void xmm_yield_loop(const unsigned long in[32], unsigned long out[32])
{
	__asm__ volatile(
		"movdqu 0x00(%[in]), %%xmm0\n\t"  "movdqu 0x10(%[in]), %%xmm1\n\t"
		"movdqu 0x20(%[in]), %%xmm2\n\t"  "movdqu 0x30(%[in]), %%xmm3\n\t"
		"movdqu 0x40(%[in]), %%xmm4\n\t"  "movdqu 0x50(%[in]), %%xmm5\n\t"
		"movdqu 0x60(%[in]), %%xmm6\n\t"  "movdqu 0x70(%[in]), %%xmm7\n\t"
		"movdqu 0x80(%[in]), %%xmm8\n\t"  "movdqu 0x90(%[in]), %%xmm9\n\t"
		"movdqu 0xa0(%[in]), %%xmm10\n\t" "movdqu 0xb0(%[in]), %%xmm11\n\t"
		"movdqu 0xc0(%[in]), %%xmm12\n\t" "movdqu 0xd0(%[in]), %%xmm13\n\t"
		"movdqu 0xe0(%[in]), %%xmm14\n\t" "movdqu 0xf0(%[in]), %%xmm15\n\t"
		"mov %[n], %%r12\n"
		"1:\n\t"
		"mov %[nr], %%eax\n\t"
		"syscall\n\t"
		"dec %%r12\n\t"
		"jnz 1b\n\t"
		"movdqu %%xmm0, 0x00(%[out])\n\t"  "movdqu %%xmm1, 0x10(%[out])\n\t"
		"movdqu %%xmm2, 0x20(%[out])\n\t"  "movdqu %%xmm3, 0x30(%[out])\n\t"
		"movdqu %%xmm4, 0x40(%[out])\n\t"  "movdqu %%xmm5, 0x50(%[out])\n\t"
		"movdqu %%xmm6, 0x60(%[out])\n\t"  "movdqu %%xmm7, 0x70(%[out])\n\t"
		"movdqu %%xmm8, 0x80(%[out])\n\t"  "movdqu %%xmm9, 0x90(%[out])\n\t"
		"movdqu %%xmm10, 0xa0(%[out])\n\t" "movdqu %%xmm11, 0xb0(%[out])\n\t"
		"movdqu %%xmm12, 0xc0(%[out])\n\t" "movdqu %%xmm13, 0xd0(%[out])\n\t"
		"movdqu %%xmm14, 0xe0(%[out])\n\t" "movdqu %%xmm15, 0xf0(%[out])\n\t"
		:
		: [in] "r"(in), [out] "r"(out), [n] "i"(ROUNDS), [nr] "i"(SYS_sched_yield)
		: "rax", "rcx", "r11", "r12", "memory",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

/* The same with the full 256 bits of ymm0-15 (AVX). */
__attribute__((target("avx")))
static void ymm_yield_loop(const unsigned long in[64], unsigned long out[64])
{
	__asm__ volatile(
		"vmovdqu 0x000(%[in]), %%ymm0\n\t"  "vmovdqu 0x020(%[in]), %%ymm1\n\t"
		"vmovdqu 0x040(%[in]), %%ymm2\n\t"  "vmovdqu 0x060(%[in]), %%ymm3\n\t"
		"vmovdqu 0x080(%[in]), %%ymm4\n\t"  "vmovdqu 0x0a0(%[in]), %%ymm5\n\t"
		"vmovdqu 0x0c0(%[in]), %%ymm6\n\t"  "vmovdqu 0x0e0(%[in]), %%ymm7\n\t"
		"vmovdqu 0x100(%[in]), %%ymm8\n\t"  "vmovdqu 0x120(%[in]), %%ymm9\n\t"
		"vmovdqu 0x140(%[in]), %%ymm10\n\t" "vmovdqu 0x160(%[in]), %%ymm11\n\t"
		"vmovdqu 0x180(%[in]), %%ymm12\n\t" "vmovdqu 0x1a0(%[in]), %%ymm13\n\t"
		"vmovdqu 0x1c0(%[in]), %%ymm14\n\t" "vmovdqu 0x1e0(%[in]), %%ymm15\n\t"
		"mov %[n], %%r12\n"
		"1:\n\t"
		"mov %[nr], %%eax\n\t"
		"syscall\n\t"
		"dec %%r12\n\t"
		"jnz 1b\n\t"
		"vmovdqu %%ymm0, 0x000(%[out])\n\t"  "vmovdqu %%ymm1, 0x020(%[out])\n\t"
		"vmovdqu %%ymm2, 0x040(%[out])\n\t"  "vmovdqu %%ymm3, 0x060(%[out])\n\t"
		"vmovdqu %%ymm4, 0x080(%[out])\n\t"  "vmovdqu %%ymm5, 0x0a0(%[out])\n\t"
		"vmovdqu %%ymm6, 0x0c0(%[out])\n\t"  "vmovdqu %%ymm7, 0x0e0(%[out])\n\t"
		"vmovdqu %%ymm8, 0x100(%[out])\n\t"  "vmovdqu %%ymm9, 0x120(%[out])\n\t"
		"vmovdqu %%ymm10, 0x140(%[out])\n\t" "vmovdqu %%ymm11, 0x160(%[out])\n\t"
		"vmovdqu %%ymm12, 0x180(%[out])\n\t" "vmovdqu %%ymm13, 0x1a0(%[out])\n\t"
		"vmovdqu %%ymm14, 0x1c0(%[out])\n\t" "vmovdqu %%ymm15, 0x1e0(%[out])\n\t"
		"vzeroupper\n\t"
		:
		: [in] "r"(in), [out] "r"(out), [n] "i"(ROUNDS), [nr] "i"(SYS_sched_yield)
		: "rax", "rcx", "r11", "r12", "memory",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static int use_avx;

static void *vector_worker(void *arg)
{
	long id = (long)arg;
	unsigned long in[64], out[64];
	int words = use_avx ? 64 : 32;
	for (int i = 0; i < words; i++)
		in[i] = ((unsigned long)id << 56) ^ ((unsigned long)i * 0x0101010101010101UL) ^
			0x5a5a000000005a5aUL;
	memset(out, 0, sizeof(out));
	if (use_avx)
		ymm_yield_loop(in, out);
	else
		xmm_yield_loop(in, out);
	return (void *)(long)(memcmp(in, out, (size_t)words * 8) != 0);
}

TEST(vector_registers_per_thread)
{
	use_avx = have_avx();
	DIAG("checking %s registers", use_avx ? "ymm (AVX)" : "xmm (SSE)");
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		ASSERT(pthread_create(&t[i], NULL, vector_worker, (void *)(i + 1)) == 0);
	/* the main thread takes part too */
	EXPECT(vector_worker((void *)99) == NULL);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = (void *)7;
		EXPECT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT(ret == NULL);
	}
}

static void *vector_worker_on_cpu(void *arg)
{
	/* two threads pinned to one CPU: every yield is a switch between
	 * them (lazy FPU switching bugs show up here) */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	return vector_worker(arg);
}

TEST(vector_registers_two_threads_one_cpu)
{
	use_avx = have_avx();
	pthread_t a, b;
	ASSERT(pthread_create(&a, NULL, vector_worker_on_cpu, (void *)1) == 0);
	ASSERT(pthread_create(&b, NULL, vector_worker_on_cpu, (void *)2) == 0);
	void *ra = (void *)7, *rb = (void *)7;
	EXPECT_EQ(pthread_join(a, &ra), 0);
	EXPECT_EQ(pthread_join(b, &rb), 0);
	EXPECT(ra == NULL);
	EXPECT(rb == NULL);
}

static const int modes[4] = { FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO };
static double third[4];		/* 1/3 rounded each way, made in main */

static void *rounding_worker(void *arg)
{
	long id = (long)arg;
	int mode = modes[id % 4];
	fesetround(mode);
	volatile double one = 1.0, three = 3.0;
	for (int i = 0; i < 50; i++) {
		sched_yield();
		if (fegetround() != mode)
			return (void *)1;
		if (one / three != third[id % 4])
			return (void *)2;
	}
	return NULL;
}

TEST(mxcsr_per_thread)
{
	volatile double one = 1.0, three = 3.0;
	for (int i = 0; i < 4; i++) {
		fesetround(modes[i]);
		third[i] = one / three;
	}
	fesetround(FE_TONEAREST);
	EXPECT(third[1] < third[2]);		/* downward < upward */
	pthread_t t[NTHREADS];
	for (long i = 0; i < NTHREADS; i++)
		ASSERT(pthread_create(&t[i], NULL, rounding_worker, (void *)i) == 0);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret = (void *)7;
		EXPECT_EQ(pthread_join(t[i], &ret), 0);
		EXPECT_EQ((long)ret, 0);
	}
	EXPECT_EQ(fegetround(), FE_TONEAREST);		/* ours untouched */
	EXPECT(one / three == third[0]);
}

TEST(fork_copies_fpu_state)
{
	fesetround(FE_UPWARD);
	unsigned long v = 0x0102030405060708UL, child_v = 0, parent_v = 0;
	long pid;
	/* xmm9 loaded before the fork system call, read right after it in
	 * both processes */
	__asm__ volatile(
		"movq %[v], %%xmm9\n\t"
		"syscall\n\t"
		"movq %%xmm9, %[o]\n\t"
		: [o] "=&r"(parent_v), "=a"(pid)
		: [v] "r"(v), "a"((long)SYS_fork)
		: "rcx", "r11", "xmm9", "memory");
	if (pid == 0) {
		child_v = parent_v;
		_exit(child_v == v && fegetround() == FE_UPWARD ? 0 : 1);
	}
	fesetround(FE_TONEAREST);
	ASSERT(pid > 0);
	EXPECT_EQ(parent_v, v);
	EXPECT_EXIT(wait_for((pid_t)pid), 0);
}

TEST(exec_resets_fpu_state)
{
	/* change MXCSR and the x87 control word, then exec: the new program
	 * starts from the defaults */
	unsigned int mxcsr = 0x7f80 | 0x6000;		/* round toward zero */
	unsigned short cw = 0x0c7f;			/* x87 round toward zero */
	__asm__ volatile("ldmxcsr %0" :: "m"(mxcsr));
	__asm__ volatile("fldcw %0" :: "m"(cw));
	/* and leave something on the x87 stack and in the status word */
	__asm__ volatile("fld1\n\tfldz\n\tfldpi" ::: "memory");
	char *args[] = { "fpu-defaults", NULL };
	int status = run_child_mode(args);
	__asm__ volatile("fninit" ::: "memory");
	unsigned int def_mxcsr = 0x1f80;
	unsigned short def_cw = 0x037f;
	__asm__ volatile("ldmxcsr %0" :: "m"(def_mxcsr));
	__asm__ volatile("fldcw %0" :: "m"(def_cw));
	EXPECT_EXIT(status, 0);
}

TEST(initial_fpu_state)
{
	/* this program started from execve: the same defaults */
	char *args[] = { "fpu-defaults", NULL };
	EXPECT_EXIT(run_child_mode(args), 0);
}

/* ================================================================ the full register file
 *
 * The tests below use fpu_regs.h: every register this CPU and OS have
 * (x87 stack and control word, MXCSR, xmm/ymm/zmm, k0-7, PKRU) is loaded
 * from a pattern inside one asm block, something happens (system calls,
 * a preempted spin, a migration, a signal), and the block stores them
 * all back before any compiler-generated code runs.
 */

#include <sys/mman.h>
#include <ucontext.h>

static uint32_t saved_pkru;

/* Call at the start and end of a test that loads PKRU patterns. */
static void pkru_save(void)
{
	fpu_probe();
	if (fx.pkru)
		saved_pkru = rdpkru();
}

static void pkru_restore(void)
{
	if (fx.pkru)
		wrpkru(saved_pkru);
}

static void check_image(const char *what, const struct fpu_image *want, const struct fpu_image *got)
{
	char buf[300];
	if (fpu_diff(want, got, buf, sizeof(buf)))
		FAIL("%s: %s", what, buf);
}

/* ---------------------------------------------------------------- 1: switches */

#define STRESS_ITERS	200	/* per thread; $FPU_STRESS_ITERS overrides */
#define SPIN_MS		2

static long spin_per_ms;
static int ncpus_allowed, cpus_allowed[CPU_SETSIZE];

struct stress {
	pthread_t thread;
	int id, iters;
	int done;
	int bad;			/* the first mismatch or error, in msg */
	char msg[400];
	long migrations, sleeps, yields, spins;
	long long ns[4];		/* time spent in each kind of window */
};

static const char *const stress_actions[4] = {
	"sched_yield", "nanosleep", "preemptible spin", "sched_setaffinity",
};

static void *stress_worker(void *arg)
{
	struct stress *s = arg;
	struct fpu_image in, out;
	struct timespec ts;
	cpu_set_t set;
	char buf[300];
	for (int it = 0; it < s->iters; it++) {
		int action = (it + s->id) % 4;
		struct fpu_op op;
		memset(&op, 0, sizeof(op));
		fpu_pattern(&in, ((uint64_t)s->id << 32) | (uint64_t)it, (unsigned)s->id);
		switch (action) {
		case 0:
			op.nr = SYS_sched_yield;
			op.repeat = 2;
			s->yields++;
			break;
		case 1:
			ts.tv_sec = 0;
			ts.tv_nsec = (it / 4) % 2 ? 0 : 100000;
			op.nr = SYS_nanosleep;
			op.a0 = (long)&ts;
			op.a1 = 0;
			s->sleeps++;
			break;
		case 2:
			op.nr = -1;
			op.spin = spin_per_ms * SPIN_MS;
			s->spins++;
			break;
		case 3:
			CPU_ZERO(&set);
			CPU_SET(cpus_allowed[(s->id + it / 4) % ncpus_allowed], &set);
			op.nr = SYS_sched_setaffinity;
			op.a0 = 0;
			op.a1 = sizeof(set);
			op.a2 = (long)&set;
			s->migrations++;
			break;
		}
		long long t0 = now_ns();
		fpu_cycle(&in, &out, &op);
		s->ns[action] += now_ns() - t0;
		if (action == 3 && op.ret != 0) {
			snprintf(s->msg, sizeof(s->msg),
				 "thread %d iteration %d: sched_setaffinity: %ld", s->id, it, op.ret);
			s->bad = 1;
			break;
		}
		if (fpu_diff(&in, &out, buf, sizeof(buf))) {
			snprintf(s->msg, sizeof(s->msg), "thread %d iteration %d (after %s): %s",
				 s->id, it, stress_actions[action], buf);
			s->bad = 1;
			break;
		}
	}
	s->done = 1;
	return NULL;
}

/* How many iterations of the window's pause loop take a millisecond. */
static void calibrate_spin(void)
{
	struct fpu_image in, out;
	struct fpu_op op;
	if (spin_per_ms)
		return;
	fpu_pattern(&in, 1, 0);
	/* the best of a few runs: a run that was preempted takes longer */
	long long best = 0;
	long n = 1000;
	for (int tries = 0; tries < 6; tries++) {
		memset(&op, 0, sizeof(op));
		op.nr = -1;
		op.spin = n;
		long long t0 = now_ns();
		fpu_cycle(&in, &out, &op);
		long long dt = now_ns() - t0;
		if (dt < 2000000 && n < (1L << 40)) {
			n *= 2;
			tries = -1;
			best = 0;
			continue;
		}
		if (!best || dt < best)
			best = dt;
	}
	spin_per_ms = (long)(n * 1000000LL / (best ? best : 1));
	if (spin_per_ms < 1)
		spin_per_ms = 1;
}

TEST(fpu_regs_survive_switches)
{
	fpu_probe();
	pkru_save();
	calibrate_spin();
	cpu_set_t set;
	CPU_ZERO(&set);
	ASSERT(sched_getaffinity(0, sizeof(set), &set) == 0);
	ncpus_allowed = 0;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus_allowed[ncpus_allowed++] = c;
	ASSERT(ncpus_allowed > 0);
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	if (online < 1)
		online = 1;
	int nthreads = (int)(online * 2);
	if (nthreads > 64)
		nthreads = 64;
	int iters = STRESS_ITERS;
	const char *env = getenv("FPU_STRESS_ITERS");
	if (env && atoi(env) > 0)
		iters = atoi(env);
	DIAG("%s, xcr0 %#lx%s; %d threads x %d iterations on %d CPUs, spin %ld/ms",
	     fpu_level_name(), (unsigned long)fx.xcr0, fx.pkru ? ", pkru" : "",
	     nthreads, iters, ncpus_allowed, spin_per_ms);
	static struct stress s[64];
	memset(s, 0, sizeof(s));
	long long t0 = now_ns();
	int started = 0;
	for (int i = 0; i < nthreads; i++) {
		s[i].id = i;
		s[i].iters = iters;
		if (pthread_create(&s[i].thread, NULL, stress_worker, &s[i]) != 0) {
			FAIL("pthread_create %d", i);
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		EXPECT_EQ(pthread_join(s[i].thread, NULL), 0);
	long migrations = 0, total = 0;
	long long ns[4] = { 0, 0, 0, 0 };
	int reported = 0;
	for (int i = 0; i < started; i++) {
		for (int a = 0; a < 4; a++)
			ns[a] += s[i].ns[a];
		migrations += s[i].migrations;
		total += s[i].yields + s[i].sleeps + s[i].spins + s[i].migrations;
		if (s[i].bad && reported++ < 4)
			FAIL("%s", s[i].msg);
		EXPECT(s[i].done);
	}
	DIAG("%ld iterations (%ld migrations) in %lld ms; thread time in yield %lld ms, "
	     "sleep %lld ms, spin %lld ms, migrate %lld ms", total, migrations,
	     (now_ns() - t0) / 1000000, ns[0] / 1000000, ns[1] / 1000000, ns[2] / 1000000,
	     ns[3] / 1000000);
	pkru_restore();
}

/* ---------------------------------------------------------------- 2-4: signals */

enum handler_mode {
	H_CLOBBER,		/* copy the frame, clobber every register */
	H_MODIFY,		/* ... and change xmm0 (and ymm0's upper half) in the frame */
	H_BAD_HEADER,		/* reserved XSAVE header bytes non-zero */
	H_BAD_XSTATE_BV,	/* XSTATE_BV bit 62, not in XCR0 */
	H_BAD_MXCSR,		/* reserved MXCSR bits */
	H_BAD_MAGIC1,		/* magic1 wrong: legacy (FXSAVE) restore only */
	H_BAD_MAGIC2,		/* magic2 wrong: the same */
};

static volatile int handler_mode;
static volatile long handler_hits;
static volatile int handler_no_xsave;	/* asked to corrupt an area that is not there */
static unsigned char frame_copy[32768] __attribute__((aligned(64)));
static volatile size_t frame_len;
static volatile uintptr_t frame_addr;	/* uc_mcontext.fpregs */
static uint32_t handler_entry_mxcsr;
static uint16_t handler_entry_fcw;
static struct fpu_image handler_in, handler_out;

/* the values H_MODIFY and H_BAD_MAGIC* write into the frame */
static const uint64_t new_xmm[2] = { 0x1122334455667788UL, 0x99aabbccddeeff00UL };
static const uint64_t new_ymm_hi[2] = { 0x0f1e2d3c4b5a6978UL, 0x8796a5b4c3d2e1f0UL };

static int frame_has_xsave(const unsigned char *f)
{
	struct fpx_sw_bytes sw;
	memcpy(&sw, f + FX_SW_BYTES, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1 || sw.xstate_size < 576 ||
	    sw.xstate_size > sizeof(frame_copy) - 4)
		return 0;
	uint32_t m2;
	memcpy(&m2, f + sw.xstate_size, 4);
	return m2 == FP_XSTATE_MAGIC2;
}

static void fpu_sig_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	unsigned char *f = (unsigned char *)uc->uc_mcontext.fpregs;
	(void)sig;
	(void)si;
	/* the handler starts with the default control registers, whatever
	 * the interrupted code had (Linux resets the state for it) */
	__asm__ volatile("stmxcsr %0" : "=m"(handler_entry_mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(handler_entry_fcw));
	handler_hits++;
	if (!f)
		return;
	struct fpx_sw_bytes sw;
	memcpy(&sw, f + FX_SW_BYTES, sizeof(sw));
	int xs = frame_has_xsave(f);
	size_t len = xs ? sw.xstate_size + 4 : 512;
	memcpy(frame_copy, f, len);
	frame_len = len;
	frame_addr = (uintptr_t)f;

	/* every register the interrupted code had: something else */
	struct fpu_op op;
	memset(&op, 0, sizeof(op));
	op.nr = -1;
	fpu_cycle(&handler_in, &handler_out, &op);

	uint64_t bv;
	switch (handler_mode) {
	case H_MODIFY:
		memcpy(f + FX_OFF_XMM, new_xmm, 16);
		if (xs && fx.avx && (sw.xfeatures & (1UL << XFEATURE_YMM))) {
			memcpy(f + fx.off[XFEATURE_YMM], new_ymm_hi, 16);
			memcpy(&bv, f + XSAVE_HDR, 8);
			bv |= 1UL << XFEATURE_YMM;
			memcpy(f + XSAVE_HDR, &bv, 8);
		}
		break;
	case H_BAD_HEADER:
		if (!xs)
			handler_no_xsave = 1;
		else
			f[XSAVE_HDR + 16] = 1;	/* first reserved byte after XCOMP_BV */
		break;
	case H_BAD_XSTATE_BV:
		if (!xs) {
			handler_no_xsave = 1;
		} else {
			memcpy(&bv, f + XSAVE_HDR, 8);
			bv |= 1UL << 62;
			memcpy(f + XSAVE_HDR, &bv, 8);
		}
		break;
	case H_BAD_MXCSR: {
		uint32_t m;
		memcpy(&m, f + FX_OFF_MXCSR, 4);
		m |= 0xffff0000U;
		memcpy(f + FX_OFF_MXCSR, &m, 4);
		break;
	}
	case H_BAD_MAGIC1:
	case H_BAD_MAGIC2:
		/* a new xmm1 proves the legacy image was what got restored */
		memcpy(f + FX_OFF_XMM + 16, new_xmm, 16);
		if (!xs)
			break;
		if (handler_mode == H_BAD_MAGIC1)
			memset(f + FX_SW_BYTES, 0, 4);
		else
			memset(f + sw.xstate_size, 0, 4);
		break;
	}
}

static void install_fpu_handler(int mode)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fpu_sig_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	handler_mode = mode;
	handler_hits = 0;
	handler_no_xsave = 0;
	frame_len = 0;
	fpu_pattern(&handler_in, 0xfeedfacecafeUL, 3);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		FAIL("sigaction: %s", errname(errno));
}

/* The window raises SIGUSR1 at this thread with tgkill. */
static void op_tgkill(struct fpu_op *op)
{
	memset(op, 0, sizeof(*op));
	op->nr = SYS_tgkill;
	op->a0 = getpid();
	op->a1 = (long)syscall(SYS_gettid);
	op->a2 = SIGUSR1;
}

static int frame_cmp(const char *what, const unsigned char *f, size_t off,
		     const void *want, size_t n, int present)
{
	static const unsigned char zero[64];
	const unsigned char *got = present ? f + off : zero, *w = want;
	size_t i = 0;
	while (i < n && got[i] == w[i])
		i++;
	if (i == n)
		return 0;
	i &= ~(size_t)7;		/* show the 64-bit word that differs */
	size_t len = n - i < 8 ? n - i : 8;
	uint64_t a = 0, b = 0;
	memcpy(&a, w + i, len);
	memcpy(&b, got + i, len);
	FAIL("signal frame %s%s, bytes %zu..%zu: expected %#lx, got %#lx", what,
	     present ? "" : " (XSTATE_BV: initial state)", i, i + len - 1,
	     (unsigned long)a, (unsigned long)b);
	return 1;
}

/*
 * The frame the handler saw (copied to frame_copy) against the registers
 * the interrupted code had loaded.  Stops at the first wrong register.
 */
static void check_frame(const struct fpu_image *want, int verbose)
{
	const unsigned char *f = frame_copy;
	char name[32];
	if (frame_len < 512) {
		FAIL("the handler saw no FPU state (uc_mcontext.fpregs NULL)");
		return;
	}
	uint16_t fcw;
	uint32_t mxcsr;
	memcpy(&fcw, f + FX_OFF_FCW, 2);
	memcpy(&mxcsr, f + FX_OFF_MXCSR, 4);
	EXPECT_EQ(fcw, want->fcw);
	EXPECT_EQ(mxcsr, want->mxcsr);
	for (int i = 0; i < 8; i++) {	/* ST(i) is the i-th from the top */
		snprintf(name, sizeof(name), "ST(%d)", i);
		if (frame_cmp(name, f, FX_OFF_ST + 16 * i, want->st[7 - i], 10, 1))
			return;
	}
	for (int i = 0; i < 16; i++) {
		snprintf(name, sizeof(name), "xmm%d", i);
		if (frame_cmp(name, f, FX_OFF_XMM + 16 * i, want->zmm[i], 16, 1))
			return;
	}
	if (!fx.xsave)
		return;
	struct fpx_sw_bytes sw;
	memcpy(&sw, f + FX_SW_BYTES, sizeof(sw));
	if (sw.magic1 != FP_XSTATE_MAGIC1) {
		FAIL("the signal frame has no XSAVE area: sw_reserved magic1 %#x, expected %#x "
		     "(XCR0 %#lx)", sw.magic1, FP_XSTATE_MAGIC1, (unsigned long)fx.xcr0);
		return;
	}
	/* XSAVE and XRSTOR #GP on an area that is not 64-byte aligned */
	if (frame_addr & 63)
		FAIL("uc_mcontext.fpregs %#lx is not 64-byte aligned", (unsigned long)frame_addr);
	if (sw.xstate_size < 576 || sw.xstate_size > sizeof(frame_copy) - 4) {
		FAIL("sw_reserved xstate_size %u", sw.xstate_size);
		return;
	}
	EXPECT_EQ(sw.extended_size, sw.xstate_size + 4);
	if (frame_len != sw.xstate_size + 4) {
		FAIL("FP_XSTATE_MAGIC2 missing at fpregs + xstate_size (%u)", sw.xstate_size);
		return;
	}
	/* xfeatures is XCR0, less the dynamic components (AMX tile data)
	 * Linux leaves out until the process asks for them */
	uint64_t required = fx.xcr0 & ~fx.xfd_capable;
	if ((sw.xfeatures & ~fx.xcr0) || (sw.xfeatures & required) != required)
		FAIL("sw_reserved xfeatures %#lx, XCR0 %#lx", (unsigned long)sw.xfeatures,
		     (unsigned long)fx.xcr0);
	for (int i = 2; i < 64; i++)
		if ((sw.xfeatures >> i & 1) && fx.off[i] + fx.size[i] > sw.xstate_size)
			FAIL("xstate_size %u too small for component %d (%u+%u)",
			     sw.xstate_size, i, fx.off[i], fx.size[i]);
	uint64_t bv, comp;
	memcpy(&bv, f + XSAVE_HDR, 8);
	memcpy(&comp, f + XSAVE_HDR + 8, 8);
	if (bv & ~sw.xfeatures)
		FAIL("XSTATE_BV %#lx not a subset of xfeatures %#lx", (unsigned long)bv,
		     (unsigned long)sw.xfeatures);
	EXPECT_EQ(comp, 0);		/* standard format: XRSTOR, not XRSTORS */
	if (verbose)
		DIAG("signal frame: xfeatures %#lx, xstate_size %u, XSTATE_BV %#lx (XCR0 %#lx)",
		     (unsigned long)sw.xfeatures, sw.xstate_size, (unsigned long)bv,
		     (unsigned long)fx.xcr0);
	if (fx.avx)
		for (int i = 0; i < 16; i++) {
			snprintf(name, sizeof(name), "ymm%d upper half", i);
			if (frame_cmp(name, f, fx.off[XFEATURE_YMM] + 16 * i, want->zmm[i] + 16, 16,
				      bv >> XFEATURE_YMM & 1))
				return;
		}
	if (fx.avx512) {
		for (int i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "k%d", i);
			if (frame_cmp(name, f, fx.off[XFEATURE_OPMASK] + 8 * i, &want->k[i], 8,
				      bv >> XFEATURE_OPMASK & 1))
				return;
		}
		for (int i = 0; i < 16; i++) {
			snprintf(name, sizeof(name), "zmm%d bits 256..511", i);
			if (frame_cmp(name, f, fx.off[XFEATURE_ZMM_HI256] + 32 * i,
				      want->zmm[i] + 32, 32, bv >> XFEATURE_ZMM_HI256 & 1))
				return;
		}
		for (int i = 16; i < 32; i++) {
			snprintf(name, sizeof(name), "zmm%d", i);
			if (frame_cmp(name, f, fx.off[XFEATURE_HI16_ZMM] + 64 * (i - 16),
				      want->zmm[i], 64, bv >> XFEATURE_HI16_ZMM & 1))
				return;
		}
	}
	if (fx.pkru)
		frame_cmp("PKRU", f, fx.off[XFEATURE_PKRU], &want->pkru, 4,
			  bv >> XFEATURE_PKRU & 1);
}

static volatile long async_target_tid;
static volatile int async_go;

/* Sends SIGUSR1 to the main thread while it spins in the window: the
 * signal is delivered on the way out of an interrupt, not a system call. */
static void *async_sender(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&async_go, __ATOMIC_ACQUIRE))
		sched_yield();
	sleep_ms(2);
	syscall(SYS_tgkill, getpid(), async_target_tid, SIGUSR1);
	return NULL;
}

TEST(fpu_signal_handler_clobber)
{
	struct fpu_image in, out;
	struct fpu_op op;
	fpu_probe();
	pkru_save();
	install_fpu_handler(H_CLOBBER);
	/* from a system call (tgkill inside the window) */
	for (int round = 0; round < 20 && !ktap.failed; round++) {
		fpu_pattern(&in, 0x51600000UL + (uint64_t)round, (unsigned)round);
		op_tgkill(&op);
		long before = handler_hits;
		fpu_cycle(&in, &out, &op);
		EXPECT_EQ(op.ret, 0);
		EXPECT_EQ(handler_hits, before + 1);
		check_image("after a handler (tgkill)", &in, &out);
		if (round == 0) {
			check_frame(&in, 1);
			EXPECT_EQ(handler_entry_mxcsr, 0x1f80);
			EXPECT_EQ(handler_entry_fcw, 0x037f);
		}
	}
	/* from an interrupt: another thread signals while this one spins */
	calibrate_spin();
	for (int round = 0; round < 3 && !ktap.failed; round++) {
		pthread_t t;
		fpu_pattern(&in, 0xa5c00000UL + (uint64_t)round, (unsigned)round + 1);
		memset(&op, 0, sizeof(op));
		op.nr = -1;
		op.spin = spin_per_ms * 5000;		/* at most ~5 s */
		op.watch = &handler_hits;
		handler_hits = 0;
		frame_len = 0;
		async_target_tid = (long)syscall(SYS_gettid);
		async_go = 0;
		ASSERT(pthread_create(&t, NULL, async_sender, NULL) == 0);
		__atomic_store_n(&async_go, 1, __ATOMIC_RELEASE);
		fpu_cycle(&in, &out, &op);
		EXPECT_EQ(pthread_join(t, NULL), 0);
		EXPECT_EQ(handler_hits, 1);
		check_image("after a handler (interrupt)", &in, &out);
		check_frame(&in, 0);
	}
	signal(SIGUSR1, SIG_DFL);
	pkru_restore();
}

TEST(fpu_sigreturn_modified_state)
{
	struct fpu_image in, out;
	struct fpu_op op;
	fpu_probe();
	pkru_save();
	install_fpu_handler(H_MODIFY);
	fpu_pattern(&in, 0x3e7000, 2);
	op_tgkill(&op);
	fpu_cycle(&in, &out, &op);
	EXPECT_EQ(handler_hits, 1);
	struct fpu_image want = in;
	memcpy(want.zmm[0], new_xmm, 16);
	if (fx.avx)
		memcpy(want.zmm[0] + 16, new_ymm_hi, 16);
	if (fx.xsave && !frame_has_xsave(frame_copy))
		FAIL("the signal frame has no XSAVE area: the ymm0 edit cannot be made");
	check_image("after sigreturn from a frame with a new xmm0/ymm0", &want, &out);
	signal(SIGUSR1, SIG_DFL);
	pkru_restore();
}

static const struct {
	const char *name;
	int mode;
	int dies;		/* Linux answers rt_sigreturn with SIGSEGV */
	int needs_xsave;	/* the case edits the XSAVE part of the frame */
} corrupt_cases[] = {
	{ "reserved XSAVE header bytes", H_BAD_HEADER, 1, 1 },
	{ "XSTATE_BV bit 62", H_BAD_XSTATE_BV, 1, 1 },
	{ "reserved MXCSR bits", H_BAD_MXCSR, 1, 0 },
	{ "bad magic1", H_BAD_MAGIC1, 0, 0 },
	{ "bad magic2", H_BAD_MAGIC2, 0, 0 },
};

/* A forked child: a handler corrupts the frame as CASE says, returns. */
static void corrupt_child(int c)
{
	struct fpu_image in, out;
	struct fpu_op op;
	ktap.failed = 0;	/* the parent's count is not ours */
	install_fpu_handler(corrupt_cases[c].mode);
	fpu_pattern(&in, 0xbad00000UL + (uint64_t)c, 1);
	op_tgkill(&op);
	fpu_cycle(&in, &out, &op);
	if (handler_no_xsave) {
		DIAG("the signal frame has no XSAVE area to corrupt");
		_exit(4);
	}
	if (corrupt_cases[c].dies) {
		DIAG("%s: rt_sigreturn returned to the program", corrupt_cases[c].name);
		_exit(3);
	}
	/* the legacy part of the frame (with the handler's xmm1) is restored;
	 * Linux puts every other component into its initial state */
	struct fpu_image want = in;
	memcpy(want.zmm[1], new_xmm, 16);
	for (int i = 0; i < 32; i++)
		memset(want.zmm[i] + 16, 0, 48);
	for (int i = 16; i < 32; i++)
		memset(want.zmm[i], 0, 16);
	memset(want.k, 0, sizeof(want.k));
	if (fx.pkru)
		want.pkru = out.pkru;	/* not checked: Linux restores it apart */
	check_image(corrupt_cases[c].name, &want, &out);
	CHILD_EXIT();
}

TEST(fpu_corrupt_sigframe)
{
	struct fpu_image in, out;
	struct fpu_op op;
	fpu_probe();
	pkru_save();
	for (int c = 0; c < KTAP_COUNT(corrupt_cases); c++) {
		if (corrupt_cases[c].needs_xsave && !fx.xsave)
			continue;	/* no XSAVE at all: nothing to corrupt */
		pid_t pid = fork();
		if (pid == 0)
			corrupt_child(c);
		ASSERT(pid > 0);
		/* the parent's own registers live across the child's death */
		int status = -1;
		fpu_pattern(&in, 0x9a7e0000UL + (uint64_t)c, (unsigned)c);
		memset(&op, 0, sizeof(op));
		op.nr = SYS_wait4;
		op.a0 = pid;
		op.a1 = (long)&status;
		fpu_cycle(&in, &out, &op);
		EXPECT_EQ(op.ret, pid);
		check_image("parent while its child died", &in, &out);
		char d[96];
		ktap_describe_status(d, sizeof(d), status);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 4)
			FAIL("%s: the signal frame has no XSAVE area to corrupt",
			     corrupt_cases[c].name);
		else if (corrupt_cases[c].dies &&
			 !(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV))
			FAIL("%s: expected death by SIGSEGV, got %s", corrupt_cases[c].name, d);
		else if (!corrupt_cases[c].dies && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			FAIL("%s: expected the child to go on (exit status 0), got %s",
			     corrupt_cases[c].name, d);
	}
	pkru_restore();
}

/* ---------------------------------------------------------------- 5: fork, exec */

TEST(fpu_fork_exec_rules)
{
	struct fpu_image in, out, mine;
	struct fpu_op op;
	fpu_probe();
	pkru_save();
	calibrate_spin();
	/* the parent raises *go once it is about to load other values */
	volatile long *go = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(go != MAP_FAILED);
	*go = 0;

	/* fork inside the window: both sides see the registers of the moment */
	fpu_pattern(&in, 0xf0f00001UL, 2);
	memset(&op, 0, sizeof(op));
	op.nr = SYS_fork;
	fpu_cycle(&in, &out, &op);
	if (op.ret == 0) {
		ktap.failed = 0;
		check_image("child right after fork", &in, &out);
		/* our own values, kept through a spin until the parent has
		 * loaded its own, then through yields while it holds them */
		fpu_pattern(&mine, 0xc41100UL, 1);
		memset(&op, 0, sizeof(op));
		op.spin = spin_per_ms * 5000;
		op.watch = go;
		op.nr = SYS_sched_yield;
		op.repeat = 50;
		fpu_cycle(&mine, &out, &op);
		if (!*go)
			FAIL("the parent never went on");
		check_image("child while the parent used other values", &mine, &out);
		CHILD_EXIT();
	}
	ASSERT(op.ret > 0);
	pid_t pid = (pid_t)op.ret;
	check_image("parent right after fork", &in, &out);
	sleep_ms(5);
	*go = 1;
	/* our values, waiting for the child that runs with its own */
	int status = -1;
	fpu_pattern(&mine, 0x9a7e7700UL, 3);
	memset(&op, 0, sizeof(op));
	op.nr = SYS_wait4;
	op.a0 = pid;
	op.a1 = (long)&status;
	fpu_cycle(&mine, &out, &op);
	EXPECT_EQ(op.ret, pid);
	check_image("parent while the child used other values", &mine, &out);
	EXPECT_EXIT(status, 0);
	munmap((void *)go, 4096);

	/* execve inside the window, every register holding a pattern */
	char *argv[] = { (char *)ktap.argv0, "--child", "fpu-exec-clean", NULL };
	extern char **environ;
	pid = fork();
	if (pid == 0) {
		fpu_pattern(&in, 0xe8ec0000UL, 3);
		memset(&op, 0, sizeof(op));
		op.nr = SYS_execve;
		op.a0 = (long)ktap.argv0;
		op.a1 = (long)argv;
		op.a2 = (long)environ;
		fpu_cycle(&in, &out, &op);
		DIAG("execve(%s): %ld", ktap.argv0, op.ret);
		_exit(127);
	}
	ASSERT(pid > 0);
	EXPECT_EXIT(wait_for(pid), 0);
	pkru_restore();
}

/*
 * The new image after execve: XINUSE (XGETBV 1) first, before anything
 * could touch AVX, then the whole state through XSAVE (standard format;
 * a component whose XSTATE_BV bit is clear is in its initial state, zero).
 */
static int exec_clean_child(void)
{
	/* static, so already zero: no memset (or anything else that might
	 * use a vector register) runs before the state is captured */
	static unsigned char area[32768] __attribute__((aligned(64)));
	static unsigned int mxcsr;
	static unsigned short env[14];
	uint64_t inuse = 0, rfbm = 0;

	fpu_probe();
	if (fx.xgetbv1)
		inuse = xgetbv(1);
	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	__asm__ volatile("fnstenv %0" : "=m"(env));
	__asm__ volatile("fldcw %0" :: "m"(env[0]));	/* fnstenv masked exceptions */
	if (fx.xsave) {
		rfbm = fx.xcr0 & ~fx.xfd_capable;
		if (fx.xsave_size <= sizeof(area))
			__asm__ volatile("xsave64 %0" : "+m"(area)
					 : "a"((uint32_t)rfbm), "d"((uint32_t)(rfbm >> 32)));
	} else {
		__asm__ volatile("fxsave64 %0" : "+m"(area));
	}

	/* XINUSE[i] = 1 is allowed for a component in its initial state
	 * (SDM vol. 1, 13.6), and QEMU TCG reports every component in use:
	 * a diagnostic only; the values below are what must be right */
	if (fx.avx && (inuse >> XFEATURE_YMM & 1))
		DIAG("XINUSE %#lx: AVX state marked in use right after execve",
		     (unsigned long)inuse);
	EXPECT_EQ(mxcsr, 0x1f80);
	EXPECT_EQ(env[0], 0x037f);
	EXPECT_EQ(env[4], 0xffff);
	if (fx.xsave && fx.xsave_size > sizeof(area)) {
		FAIL("XSAVE size %u", fx.xsave_size);
		return 1;
	}
	uint64_t bv;
	memcpy(&bv, area + XSAVE_HDR, 8);
	static const struct { int comp; const char *name; } parts[] = {
		{ XFEATURE_YMM, "ymm upper halves" }, { XFEATURE_OPMASK, "k0-k7" },
		{ XFEATURE_ZMM_HI256, "zmm0-15 upper halves" }, { XFEATURE_HI16_ZMM, "zmm16-31" },
	};
	for (int i = 0; i < 256; i += 8) {
		uint64_t v;
		memcpy(&v, area + FX_OFF_XMM + i, 8);
		if (v) {
			FAIL("xmm%d bits %d..%d not zero after execve: %#lx", i / 16,
			     i % 16 * 8, i % 16 * 8 + 63, (unsigned long)v);
			break;
		}
	}
	for (int p = 0; p < 4; p++) {
		int c = parts[p].comp;
		if (!(rfbm >> c & 1) || !(bv >> c & 1))
			continue;
		for (uint32_t i = 0; i + 8 <= fx.size[c]; i += 8) {
			uint64_t v;
			memcpy(&v, area + fx.off[c] + i, 8);
			if (v) {
				FAIL("%s not zero after execve: bytes %u..%u are %#lx",
				     parts[p].name, i, i + 7, (unsigned long)v);
				break;
			}
		}
	}
	return ktap.failed ? 1 : 0;
}

static int child_main(int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "fpu-exec-clean") == 0)
		return exec_clean_child();
	if (argc >= 1 && strcmp(argv[0], "fpu-defaults") == 0) {
		unsigned int mxcsr = 0;
		unsigned short env[14];		/* fnstenv: cw, sw, tag word, ... */
		__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
		__asm__ volatile("fnstenv %0" : "=m"(env));
		EXPECT_EQ(mxcsr, 0x1f80);
		EXPECT_EQ(env[0], 0x037f);	/* control word */
		EXPECT_EQ(env[2] & 0x3fff, 0);	/* status: no flags, stack top 0 */
		EXPECT_EQ(env[4], 0xffff);	/* tag word: all registers empty */
		return ktap.failed ? 1 : 0;
	}
	return 2;
}

static const struct ktap_test tests[] = {
	T(initial_fpu_state),
	T(vector_registers_per_thread),
	T(vector_registers_two_threads_one_cpu),
	T(mxcsr_per_thread),
	T(fork_copies_fpu_state),
	T(exec_resets_fpu_state),
	T(fpu_regs_survive_switches),
	T(fpu_signal_handler_clobber),
	T(fpu_sigreturn_modified_state),
	T(fpu_corrupt_sigframe),
	T(fpu_fork_exec_rules),
};

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--child") != 0)
		fpu_limit_from_env(getenv("FPU_LIMIT"));
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), child_main);
}
