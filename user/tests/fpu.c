/*
 * fpu - the FPU and vector registers belong to each thread: values in
 * xmm/ymm registers survive context switches (many threads yielding on
 * few CPUs), each thread keeps its own MXCSR rounding mode, fork copies the
 * state, and execve starts the new program with the default state
 * (MXCSR 0x1f80, x87 control word 0x37f).
 */
#include "ktap.h"

#include <cpuid.h>
#include <fenv.h>
#include <pthread.h>
#include <sched.h>

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

static int child_main(int argc, char **argv)
{
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
};

int main(int argc, char **argv)
{
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), child_main);
}
