/*
 * fuzz - a seeded system-call fuzzer, run as a KTAP test program.
 *
 * The parent forks one child per batch of calls; the child makes
 * FUZZ_BATCH raw system calls with arguments biased to boundary values
 * (0, -1, INT_MAX, non-canonical and kernel addresses, read-only,
 * PROT_NONE and straddling pointers, ...) and ends with exit_group or a
 * fuzzed rt_sigreturn frame.  The child may die of its own bad calls: that
 * is fine.  Only a kernel failure fails the test: a child that cannot be
 * ended (hang), or the kernel no longer answering simple calls correctly
 * afterwards (the final kernel_survived test).
 *
 * Before each call the child records it in a MAP_SHARED page (a ring of
 * the last calls), so the parent can name the call a child was stuck in or
 * died of.
 *
 * Seed:       argv[1], else $FUZZ_SEED, else fuzz_seed=N in
 *             $SWITCHYARD_CMDLINE (init passes the kernel command line),
 *             else 1 (make test is deterministic).
 * Iterations: $FUZZ_ITERS or fuzz_iters=N (default 3000), in batches of
 *             $FUZZ_BATCH or fuzz_batch=N (default 500).
 * Only one batch: $FUZZ_ONLY or fuzz_only=N (to reproduce a finding).
 * Fuzzed rt_sigreturn at the end of 1 in N batches: $FUZZ_SIGRETURN or
 *             fuzz_sigreturn=N (default 3; 0: never).
 * Children at a time: $FUZZ_PAR or fuzz_par=N (1..4, default 1; more
 *             than one stresses the kernel on SMP).
 *
 * Under Switchyard:
 *   ./run-qemu.sh --build build-fuzz --headless --smp 2 \
 *       --append "utest utest_filter=fuzz fuzz_seed=7 fuzz_iters=20000 utest_timeout=600"
 * On a Linux host the fuzzer is defanged where Linux could do damage (only
 * the system calls Switchyard implements, read-only opens, no ioctl other
 * than a few harmless requests, signals only to itself, ...).
 */
#include "ktap.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#define PAGE		4096UL
#define MAX_BATCHES	1000
#define RING		32
#define CHILD_TIMEOUT_MS 10000
#define NONEXISTENT_PID	5000001L	/* above Linux's largest pid_max */

/* --------------------------------------------------------------- the PRNG */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#define PICK(arr)	((arr)[rnd() % (sizeof(arr) / sizeof((arr)[0]))])
#define ONE_IN(n)	(rnd() % (n) == 0)

/* ------------------------------------------------------ shared call record */

struct call_rec {
	uint64_t seq;		/* call number in the batch, from 1 */
	uint64_t nr;
	uint64_t a[6];
	uint64_t ret;
	uint64_t done;		/* 1 once the call returned */
};

struct shared {
	volatile uint64_t calls;	/* calls started */
	volatile uint64_t finished;	/* 1: the child reached its batch end */
	struct call_rec ring[RING];
};

static struct shared *shm, *shm_base;
#define MAX_PAR	4

/* ------------------------------------------------------------ raw syscalls */

static inline long raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

static __attribute__((noreturn)) void raw_exit_group(int code)
{
	for (;;)
		raw6(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

/*
 * Where a fuzzed rt_sigreturn frame with a good rip lands: exit 42 if
 * RFLAGS has neither IOPL nor VM set (the kernel must not let user space
 * raise them), 99 otherwise.  Uses the stack only for pushfq.
 */
__asm__(".text\n"
	".globl fuzz_landing\n"
	"fuzz_landing:\n"
	"	pushfq\n"
	"	popq %rdi\n"
	"	andq $0x23000, %rdi\n"
	"	movl $42, %eax\n"
	"	movl $99, %edx\n"
	"	testq %rdi, %rdi\n"
	"	cmovnzl %edx, %eax\n"
	"	movl %eax, %edi\n"
	"	movl $231, %eax\n"
	"	syscall\n"
	"	ud2\n");
extern char fuzz_landing[];

/* ------------------------------------------------------------- the setting */

static int native;		/* not under Switchyard: defang */
static long sigreturn_odds = 3;	/* 1 in N batches end in a fuzzed rt_sigreturn */
static long self_pid;
static const char *self_path;

/* the child's memory */
#define BUF_PAGES	4
static char *buf;		/* BUF_PAGES RW pages, then a PROT_NONE page */
static char *ro_page, *none_page, *straddle_end;
static char *iov_area;		/* an array of struct iovec */
static char *argv_area;		/* an array of char * for execve */
static char *stackbuf;
#define STACKBUF	8192

static const char *const paths[] = {
	"/", "/tests", "/tests/fuzz", "/proc", "/proc/meminfo", "/proc/switchyard",
	"/proc/self", "/bin/init", "/bin", ".", "..", "", "/nonexistent",
	"//tests//./fuzz", "/tests/fuzz/x", "/proc/meminfo/", "/bin/notelf",
	"/proc/nonexistent", "tests", "/..", "/tests/../tests/.",
};
static char long_path[5000];
static char name255[300];

static const struct timespec timeouts[] = {
	{ 0, 0 }, { 0, 1 }, { 0, 1000000 }, { 0, 2000000 }, { -1, 0 }, { 0, -1 },
	{ 0, 1000000000 }, { LONG_MIN, 0 }, { -1, 999999999 }, { 0, 999 },
};

/* --------------------------------------------------------- arg generators */

static uint64_t gen_int(void)
{
	static const uint64_t special[] = {
		0, 1, (uint64_t)-1, INT_MAX, LONG_MAX, 0x7ffffffff000ULL,
		0x800000000000ULL, 0xffff800000000000ULL, 0xffffffff80000000ULL,
		0x80000000ULL, UINT_MAX, (uint64_t)INT_MIN, (uint64_t)LONG_MIN,
		2, 3, 7, 8, 16, 64, 255, 256, 4095, 4096, 4097, 65536,
	};
	switch (rnd() % 8) {
	case 0: case 1: case 2: return PICK(special);
	case 3: return rnd() % 4096;
	case 4: return 1ULL << (rnd() % 64);
	case 5: return (1ULL << (rnd() % 64)) - 1;
	case 6: return rnd();
	default: return rnd() % 64;
	}
}

static uint64_t gen_ptr(void)
{
	switch (rnd() % 20) {
	case 0: return 0;
	case 1: case 2: return (uint64_t)buf + rnd() % (BUF_PAGES * PAGE);
	case 3: return (uint64_t)buf + (rnd() % (BUF_PAGES * PAGE / 8)) * 8;
	case 4: return (uint64_t)ro_page + rnd() % 64;
	case 5: return (uint64_t)none_page + rnd() % 64;
	case 6: return (uint64_t)straddle_end - 1 - rnd() % 64;
	case 7: return (uint64_t)stackbuf + (rnd() % (STACKBUF / 8)) * 8;
	case 8: return 0xffffffff80000000ULL + rnd() % 0x100000;
	case 9: return 0x800000000000ULL - (rnd() % 3) * 8;
	case 10: return 0xffff800000000000ULL;
	case 11: return 0x7ffffffff000ULL + rnd() % 8192;
	case 12: return (uint64_t)fuzz_landing;	/* text: readable, not writable */
	case 13: return rnd();
	case 14: return 1 + rnd() % 4095;
	case 15: return (uint64_t)PICK(paths);
	case 16: return 0x8000000000000000ULL;
	case 17: return (uint64_t)buf + BUF_PAGES * PAGE - 1 - rnd() % 32;	/* then PROT_NONE */
	default: return (uint64_t)buf;
	}
}

static uint64_t gen_any(void)
{
	return ONE_IN(2) ? gen_int() : gen_ptr();
}

static uint64_t gen_fd(void)
{
	static const uint64_t odd[] = {
		(uint64_t)-1, (uint64_t)-100 /* AT_FDCWD */, 63, 64, 65, 1024,
		INT_MAX, (uint64_t)INT_MIN, 0x100000003ULL, (uint64_t)-2,
	};
	if (ONE_IN(6))
		return PICK(odd);
	return rnd() % 10;
}

static uint64_t gen_len(void)
{
	static const uint64_t lens[] = {
		0, 1, 2, 7, 8, 16, 24, 64, 100, 4095, 4096, 4097, 8192, 16384,
		(uint64_t)-1, INT_MAX, LONG_MAX, 0x80000000ULL, 0x7ffffffff000ULL,
		(uint64_t)-4096, 1UL << 40,
	};
	if (ONE_IN(3))
		return rnd() % 8192;
	return PICK(lens);
}

static uint64_t gen_path(void)
{
	switch (rnd() % 12) {
	case 0: return (uint64_t)long_path;
	case 1: return (uint64_t)name255;
	case 2: return gen_ptr();
	case 3: return (uint64_t)straddle_end - 1 - rnd() % 8;	/* unterminated */
	case 4: return (uint64_t)self_path;
	default: return (uint64_t)PICK(paths);
	}
}

static uint64_t gen_signo(void)
{
	if (ONE_IN(8))
		return gen_int();
	return rnd() % 66;
}

static uint64_t gen_timeout(void)
{
	if (ONE_IN(5)) {
		static const uint64_t bad[] = {
			1, 0xffffffff80000000ULL, 0x800000000000ULL, 0, 0,
		};
		uint64_t p = PICK(bad);
		if (p == 0)
			p = (uint64_t)none_page;
		return p;
	}
	return (uint64_t)&timeouts[rnd() % (sizeof(timeouts) / sizeof(timeouts[0]))];
}

/* A pid a fuzzed call may name: itself or one that does not exist. */
static uint64_t gen_target_pid(void)
{
	static const uint64_t other[] = {
		NONEXISTENT_PID, (uint64_t)-NONEXISTENT_PID, (uint64_t)INT_MIN,
		INT_MAX, 0x100000000ULL + NONEXISTENT_PID,
	};
	if (ONE_IN(10))
		return (uint64_t)self_pid;
	return PICK(other);
}

static uint64_t gen_open_flags(void)
{
	uint64_t f = ONE_IN(4) ? gen_int() : (rnd() & 0x7fffff) & rnd();
	if (native)	/* read-only, and nothing that creates or truncates */
		f &= (uint64_t)(O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_PATH | O_LARGEFILE);
	return f;
}

/* ------------------------------------------------------------ the calls */

struct sc {
	int nr;
	int weight;
	const char *args;	/* f fd, p pointer, l length, i int, P path,
				   o open flags, T timeout, K pid to signal, s signo,
				   D pid (affinity), d pid (wait4), V iovec, c clock,
				   I ioctl request, a address (mm), * anything */
};

/* The system calls Switchyard implements (kernel/syscall_list.h). */
static const struct sc table[] = {
	{ 0, 4, "fpl" }, { 1, 3, "fpl" }, { 2, 4, "Poi" }, { 3, 3, "f" },
	{ 4, 3, "Pp" }, { 5, 3, "fp" }, { 6, 3, "Pp" }, { 8, 3, "fii" },
	{ 9, 6, "alii fi" }, { 10, 3, "ali" }, { 11, 2, "al" }, { 12, 2, "a" },
	{ 13, 3, "sppl" }, { 14, 3, "ippl" }, { 15, 0, "" }, { 16, 3, "fIp" },
	{ 17, 3, "fpli" }, { 19, 3, "fVi" }, { 20, 3, "fVi" }, { 21, 2, "Pi" },
	{ 24, 1, "" }, { 28, 3, "ali" }, { 32, 2, "f" }, { 33, 2, "ff" },
	{ 35, 2, "Tp" }, { 39, 1, "" }, { 56, 1, "" }, { 57, 1, "" },
	{ 59, 1, "" }, { 60, 0, "" }, { 61, 3, "dpip" }, { 62, 2, "Ks" },
	{ 63, 2, "p" }, { 72, 4, "fi*" }, { 79, 2, "pl" }, { 102, 1, "" },
	{ 104, 1, "" }, { 107, 1, "" }, { 108, 1, "" }, { 110, 1, "" },
	{ 131, 3, "pp" }, { 158, 2, "ip" }, { 186, 1, "" }, { 200, 2, "Ks" },
	{ 202, 6, "" }, { 203, 2, "Dlp" }, { 204, 2, "Dlp" }, { 217, 4, "fpl" },
	{ 218, 1, "p" }, { 228, 2, "cp" }, { 229, 2, "cp" }, { 230, 2, "ciTp" },
	{ 231, 0, "" }, { 234, 2, "KKs" }, { 257, 4, "fPoi" }, { 262, 3, "fPpi" },
	{ 273, 2, "pl" }, { 309, 2, "ppp" }, { 318, 3, "pli" },
};
#define NTABLE	((int)(sizeof(table) / sizeof(table[0])))
static int total_weight;

static const struct sc *find_sc(uint64_t nr)
{
	for (int i = 0; i < NTABLE; i++)
		if ((uint64_t)table[i].nr == nr)
			return &table[i];
	return NULL;
}

static uint64_t gen_typed(char t, int idx)
{
	if (t != 'T' && t != 'K' && t != 'D' && t != 'P' && t != 'o' && t != 'I' && ONE_IN(12))
		return gen_any();
	switch (t) {
	case 'f': return gen_fd();
	case 'p': return gen_ptr();
	case 'l': return gen_len();
	case 'P': return gen_path();
	case 'o': return gen_open_flags();
	case 'T': return gen_timeout();
	case 'K': return gen_target_pid();
	case 's': return gen_signo();
	case 'D': {
		static const uint64_t p[] = { 0, 0, 0, (uint64_t)-1, NONEXISTENT_PID };
		uint64_t v = PICK(p);
		return v == (uint64_t)-1 && ONE_IN(2) ? (uint64_t)self_pid : v;
	}
	case 'd': {
		static const uint64_t p[] = { (uint64_t)-1, 0, NONEXISTENT_PID, (uint64_t)INT_MIN };
		return ONE_IN(5) ? (uint64_t)self_pid : PICK(p);
	}
	case 'V': {
		if (ONE_IN(5))
			return gen_ptr();
		return (uint64_t)iov_area + (rnd() % 24) * 16;
	}
	case 'c': return ONE_IN(4) ? gen_int() : rnd() % 12;
	case 'I': {
		static const uint64_t safe[] = { 0x5401, 0x5413, 0x541B, 0x5402, 0x5414 };
		if (native || ONE_IN(2))
			return PICK(safe);
		return gen_int();
	}
	case 'a': return ONE_IN(3) ? gen_int() & ~(PAGE - 1) : gen_ptr();
	case ' ': return gen_int();
	case 'i':
	default:
		(void)idx;
		return gen_int();
	}
}

extern char __executable_start[], _end[];

static int overlaps(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	uint64_t end = a + len;
	if (end < a)
		end = ~0ULL;
	return a < hi && end > lo;
}

static int hits_vital(uint64_t addr, uint64_t len)
{
	uint64_t pglen = len + (addr & (PAGE - 1));
	addr &= ~(PAGE - 1);
	if (pglen < len)
		pglen = ~0ULL;
	return overlaps(addr, pglen, (uint64_t)__executable_start, (uint64_t)_end + PAGE) ||
	       overlaps(addr, pglen, (uint64_t)stackbuf - (1UL << 20), (uint64_t)stackbuf + (1UL << 20)) ||
	       overlaps(addr, pglen, (uint64_t)shm_base, (uint64_t)shm_base + MAX_PAR * sizeof(*shm));
}

/* Fill in the arguments of a call to NR; may change NR to a harmless one. */
static uint64_t make_call(uint64_t nr, uint64_t a[6])
{
	const struct sc *s = find_sc(nr);

	for (int i = 0; i < 6; i++)
		a[i] = gen_any();
	if (s) {
		for (int i = 0; s->args[i] && i < 6; i++)
			a[i] = gen_typed(s->args[i], i);
	}
	switch (nr) {
	case 9:		/* mmap */
		a[2] = ONE_IN(4) ? gen_int() : rnd() % 8;
		a[3] = ONE_IN(4) ? gen_int() : (rnd() & 0x3f) | (ONE_IN(2) ? 0x20 : 0) | (ONE_IN(3) ? 0x10 : 0);
		if (native)
			a[3] &= ~(uint64_t)(MAP_POPULATE | MAP_LOCKED | MAP_HUGETLB);
		break;
	case 10:	/* mprotect */
		a[2] = ONE_IN(4) ? gen_int() : rnd() % 8;
		break;
	case 8:		/* lseek */
		a[2] = ONE_IN(4) ? gen_int() : rnd() % 6;
		break;
	case 14:	/* rt_sigprocmask */
		a[0] = ONE_IN(4) ? gen_int() : rnd() % 4;
		a[3] = ONE_IN(4) ? gen_len() : 8;
		break;
	case 13:	/* rt_sigaction */
		a[3] = ONE_IN(4) ? gen_len() : 8;
		break;
	case 28:	/* madvise */
		a[2] = ONE_IN(4) ? gen_int() : rnd() % 26;
		if (native && (a[2] == 22 || a[2] == 23 || a[2] > 100))
			a[2] = 0;
		break;
	case 72:	/* fcntl */
		if (!ONE_IN(5))
			a[1] = ONE_IN(4) ? 1024 + rnd() % 16 : rnd() % 20;
		break;
	case 158:	/* arch_prctl: mostly the get forms */
		if (!ONE_IN(6)) {
			static const uint64_t codes[] = { 0x1003, 0x1004, 0x1001, 0x1002, 0x3001, 0x3002, 0 };
			a[0] = PICK(codes);
		}
		break;
	case 202: {	/* futex: never without a time-out */
		static const uint64_t ops[] = { 0, 1, 3, 4, 9, 10 };
		a[0] = gen_ptr();
		a[1] = PICK(ops) | (ONE_IN(2) ? 128 : 0) | (ONE_IN(4) ? 256 : 0);
		if (!native && ONE_IN(8))
			a[1] = gen_int();
		a[2] = ONE_IN(3) ? 0 : gen_int();
		a[3] = gen_timeout();
		a[4] = gen_ptr();
		a[5] = ONE_IN(3) ? 0xffffffff : gen_int();
		break;
	}
	case 230:	/* clock_nanosleep */
		a[1] = ONE_IN(4) ? gen_int() : rnd() % 2;
		/* Linux sleeps on CPU-time clocks (2, 3, negative ids) until the
		 * process has run that long: forever, since it sleeps. */
		if (native && (a[0] == 2 || a[0] == 3 || (int)a[0] < 0 || a[0] > 11))
			a[0] = 1;
		break;
	case 318:	/* getrandom */
		a[2] = ONE_IN(4) ? gen_int() : rnd() % 8;
		if (native)
			a[2] &= 7;
		break;
	case 56:	/* clone: fork-like only, reaped at once */
		a[0] = ONE_IN(2) ? SIGCHLD : 0;
		a[1] = 0;
		break;
	case 59: {	/* execve: never of a program */
		static const char *const targets[] = { "/nonexistent", "/", "/tests", "/proc/meminfo", "" };
		a[0] = ONE_IN(3) ? gen_ptr() : (uint64_t)PICK(targets);
		/* buf holds "/tests/fuzz": no path from there */
		if ((a[0] >= (uint64_t)buf && a[0] < (uint64_t)buf + BUF_PAGES * PAGE) ||
		    (a[0] >= (uint64_t)paths[0] && native))
			a[0] = (uint64_t)"/nonexistent";
		for (int i = 0; i < (int)(sizeof(paths) / sizeof(paths[0])); i++)
			if (a[0] == (uint64_t)paths[i])
				a[0] = (uint64_t)"/nonexistent";
		a[1] = ONE_IN(2) ? (uint64_t)argv_area + (rnd() % 4) * 8 : gen_ptr();
		a[2] = ONE_IN(2) ? (uint64_t)argv_area + (rnd() % 4) * 8 : gen_ptr();
		break;
	}
	case 60: case 231: case 15:	/* exit, exit_group, rt_sigreturn: not here */
		nr = SYS_getpid;
		break;
	case 62:	/* kill */
		a[0] = gen_target_pid();
		if (a[0] == (uint64_t)self_pid && !ONE_IN(3))
			a[1] = 0;
		break;
	case 200:	/* tkill */
		a[0] = gen_target_pid();
		if (a[0] == (uint64_t)self_pid && !ONE_IN(3))
			a[1] = 0;
		break;
	case 234:	/* tgkill */
		a[0] = gen_target_pid();
		a[1] = ONE_IN(2) ? a[0] : gen_target_pid();
		if (a[1] == (uint64_t)self_pid && !ONE_IN(3))
			a[2] = 0;
		break;
	case 218:	/* set_tid_address: the kernel writes there at exit */
		break;
	}
	/* Mostly keep munmap/mprotect/madvise/MAP_FIXED away from the text,
	 * the stack and the shared page, or the child dies too soon. */
	if ((nr == 9 || nr == 10 || nr == 11 || nr == 28) && !ONE_IN(12) &&
	    (nr != 9 || (a[3] & MAP_FIXED)) && hits_vital(a[0], a[1]))
		a[1] = PAGE;
	/* Linux stops a process on SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU. */
	if (native && (nr == 62 || nr == 200 || nr == 234)) {
		int si = nr == 234 ? 2 : 1;
		if ((uint32_t)a[si] >= 19 && (uint32_t)a[si] <= 22)
			a[si] = 0;
	}
	if (native && !s)
		nr = SYS_getpid;	/* Linux has more calls than we dare make */
	if (native && (nr == 16) && a[1] != 0x5401 && a[1] != 0x5413 && a[1] != 0x541B &&
	    a[1] != 0x5402 && a[1] != 0x5414)
		a[1] = 0x5401;
	return nr;
}

static uint64_t pick_nr(void)
{
	unsigned r = (unsigned)(rnd() % 100);
	if (r < 84) {
		int w = (int)(rnd() % (uint64_t)total_weight);
		for (int i = 0; i < NTABLE; i++) {
			w -= table[i].weight;
			if (w < 0)
				return (uint64_t)table[i].nr;
		}
		return SYS_getpid;
	}
	if (r < 96)
		return rnd() % 451;
	/* Huge and negative numbers.  Linux looks at the low 32 bits only, so
	 * these keep those harmless: negative as an int, or getpid/getuid. */
	static const uint64_t huge[] = {
		(uint64_t)-1, 0x80000000ULL, 0xffffffffULL, 0x7fffffffULL,
		0x100000027ULL, 0xffffffff00000066ULL, 0x8000000000000027ULL,
		(uint64_t)-2, 0xdeadbeefULL, 0x80000000000000ffULL | 0xffffff00ULL,
		512, 547, 1000, 4096, 0x40000027ULL /* x32 getpid */,
	};
	return PICK(huge);
}

/* --------------------------------------------------------------- the child */

static void setup_child_memory(void)
{
	buf = mmap(NULL, (BUF_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none_page = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	iov_area = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED || ro_page == MAP_FAILED || none_page == MAP_FAILED ||
	    two == MAP_FAILED || iov_area == MAP_FAILED)
		raw_exit_group(3);
	mprotect(buf + BUF_PAGES * PAGE, PAGE, PROT_NONE);
	for (size_t i = 0; i < BUF_PAGES * PAGE; i += 8) {
		uint64_t v = rnd();
		memcpy(buf + i, &v, 8);
	}
	/* some recognisable contents: a path, zeroes (futex words) */
	strcpy(buf + 64, "/tests/fuzz");
	memset(buf, 0, 64);
	memset(ro_page, 'r', PAGE);
	ro_page[PAGE - 1] = 0;
	mprotect(ro_page, PAGE, PROT_READ);
	memset(two, 'x', 2 * PAGE);
	munmap(two + PAGE, PAGE);
	straddle_end = two + PAGE;

	struct iovec *iov = (struct iovec *)iov_area;
	const struct iovec samples[] = {
		{ buf, 100 }, { NULL, 0 }, { (void *)0xffffffff80000000UL, 10 },
		{ none_page, PAGE }, { buf, (size_t)-1 }, { straddle_end - 10, 100 },
		{ ro_page, PAGE }, { stackbuf, 64 }, { buf + 200, 0 },
		{ (void *)0x800000000000UL, 1 }, { buf, 0x7fffffff }, { NULL, 5 },
	};
	for (int i = 0; i < 24 * 2; i++)
		iov[i] = samples[rnd() % (sizeof(samples) / sizeof(samples[0]))];

	argv_area = iov_area + 24 * 2 * 16;
	char **av = (char **)argv_area;
	av[0] = "fuzz";
	av[1] = (char *)0xffffffff80000000UL;
	av[2] = straddle_end - 2;
	av[3] = NULL;
	av[4] = NULL;
}

static void record(uint64_t seq, uint64_t nr, const uint64_t a[6])
{
	struct call_rec *r = &shm->ring[seq % RING];
	r->done = 0;
	r->seq = seq;
	r->nr = nr;
	for (int i = 0; i < 6; i++)
		r->a[i] = a[i];
	shm->calls = seq;
}

/* The end of a batch: a fuzzed signal frame, landing in fuzz_landing. */
static __attribute__((noreturn)) void fuzzed_sigreturn(void)
{
	char *frame = buf + PAGE;		/* rsp at the syscall = &uc */
	uint64_t *w = (uint64_t *)frame;
	for (int i = 0; i < 128; i++)
		w[i] = ONE_IN(2) ? 0 : rnd();
	/* sigcontext at uc + 40 */
	uint64_t *sc = (uint64_t *)(frame + 40);
	static const uint64_t rips[] = {
		0x800000000000ULL, 0x7ffffffffff0ULL, 0xffff800000000000ULL,
		0xffffffff80000000ULL, 0x7ffffffff000ULL, 0,
	};
	sc[16] = ONE_IN(2) ? (uint64_t)fuzz_landing : PICK(rips);	/* rip */
	sc[15] = ONE_IN(2) ? (uint64_t)(stackbuf + STACKBUF / 2) : gen_ptr();	/* rsp */
	sc[17] = ONE_IN(2) ? 0x202 : rnd();			/* eflags */
	if (ONE_IN(3))
		sc[17] |= 0x3000 | (ONE_IN(2) ? 0x20000 : 0) | (ONE_IN(2) ? 0x4000 : 0);
	static const uint16_t css[] = { 0x33, 0x33, 0x33, 0x2b, 0x23, 0x10, 0x08, 0, 0x1b, 0xffff, 0x37 };
	static const uint16_t sss[] = { 0x2b, 0x2b, 0, 0x33, 0x18, 0x23, 0xffff, 0x13 };
	uint16_t seg[4] = { PICK(css), 0, 0, PICK(sss) };	/* cs gs fs ss */
	if (ONE_IN(4)) {
		seg[1] = (uint16_t)rnd();
		seg[2] = (uint16_t)rnd();
	}
	memcpy(&sc[18], seg, 8);
	static const uint64_t fps[] = { 0, 0, 0, 1, 0xffffffff80000000ULL, 0x800000000000ULL };
	uint64_t fp = PICK(fps);
	if (ONE_IN(4))
		fp = (uint64_t)(buf + 2 * PAGE) + (ONE_IN(2) ? 0 : rnd() % 64);
	sc[23] = fp;						/* fpstate */
	w[1] = 0;						/* uc_link */
	record(shm->calls + 1, 15, (uint64_t[6]){ (uint64_t)frame, sc[16], sc[15], sc[17], seg[0] | (uint64_t)seg[3] << 16, fp });
	__asm__ volatile("movq %0, %%rsp\n"
			 "movl $15, %%eax\n"
			 "syscall\n"
			 "ud2\n" : : "r"(frame) : "memory");
	__builtin_unreachable();
}

static __attribute__((noreturn)) void fuzz_loop(uint64_t seed, long calls)
{
	rng_state = seed ? seed : 1;
	setup_child_memory();
	for (long i = 1; i <= calls; i++) {
		uint64_t a[6];
		uint64_t nr = pick_nr();
		nr = make_call(nr, a);
		record((uint64_t)i, nr, a);
		long ret = raw6((long)nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4], (long)a[5]);
		if ((nr == SYS_clone || nr == SYS_fork) && ret == 0)
			raw_exit_group(0);	/* the grandchild */
		if ((nr == SYS_clone || nr == SYS_fork) && ret > 0) {
			if (raw6(SYS_wait4, ret, 0, 0x40000000 /* __WALL */, 0, 0, 0) < 0)
				raw6(SYS_wait4, ret, 0, 0, 0, 0, 0);
		}
		struct call_rec *r = &shm->ring[(uint64_t)i % RING];
		r->ret = (uint64_t)ret;
		r->done = 1;
	}
	shm->finished = 1;
	if (sigreturn_odds > 0 && ONE_IN((uint64_t)sigreturn_odds))
		fuzzed_sigreturn();
	raw_exit_group(0);
}

static __attribute__((noreturn)) void child_main(uint64_t seed, long calls)
{
	char big[STACKBUF + 4096];	/* the kernel may write past stackbuf: upwards, */
	stackbuf = big;			/* into frames we never return to */
	__asm__ volatile("" : : "r"(big) : "memory");
	/* No fds on the console: a tty read sleeps uninterruptibly. */
	close(0);
	close(1);
	close(2);
	fuzz_loop(seed, calls);
}

/* -------------------------------------------------------------- the parent */

static const char *sys_name(uint64_t nr)
{
	static const struct { int nr; const char *name; } names[] = {
#define __SYSCALL(n, name) { n, #name },
#include "../../kernel/syscall_list.h"
#undef __SYSCALL
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((uint64_t)names[i].nr == nr)
			return names[i].name;
	return "?";
}

static void describe_rec(const struct call_rec *r, const char *what)
{
	char rets[40];
	if (r->done)
		snprintf(rets, sizeof(rets), "= %ld", (long)r->ret);
	else
		snprintf(rets, sizeof(rets), "(did not return)");
	DIAG("  %s #%llu: %s(%llu) (%#llx, %#llx, %#llx, %#llx, %#llx, %#llx) %s", what,
	     (unsigned long long)r->seq, sys_name(r->nr), (unsigned long long)r->nr,
	     (unsigned long long)r->a[0], (unsigned long long)r->a[1],
	     (unsigned long long)r->a[2], (unsigned long long)r->a[3],
	     (unsigned long long)r->a[4], (unsigned long long)r->a[5], rets);
}

static void dump_ring(int count)
{
	uint64_t last = shm->calls;
	for (uint64_t s = last >= (uint64_t)count ? last - (uint64_t)count + 1 : 1; s <= last; s++) {
		struct call_rec *r = &shm->ring[s % RING];
		if (r->seq == s)
			describe_rec(r, s == last ? "last" : "call");
	}
}

static long env_num(const char *env, const char *word, long def, int *given)
{
	const char *v = getenv(env);
	if (v && *v) {
		*given = 1;
		return strtol(v, NULL, 0);
	}
	const char *cmd = getenv("SWITCHYARD_CMDLINE");
	size_t wl = strlen(word);
	for (const char *p = cmd; p && *p; ) {
		while (*p == ' ')
			p++;
		if (strncmp(p, word, wl) == 0 && p[wl] == '=') {
			*given = 1;
			return strtol(p + wl + 1, NULL, 0);
		}
		while (*p && *p != ' ')
			p++;
	}
	*given = 0;
	return def;
}

static int health_check(void)
{
	int bad = 0;
	long pid = syscall(SYS_getpid);
	if (pid != self_pid || getpid() != self_pid) {
		FAIL("getpid: %ld, expected %ld", pid, self_pid);
		bad++;
	}
	char *p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		FAIL("mmap: %s", errname(errno));
		bad++;
	} else {
		for (size_t i = 0; i < 3 * PAGE; i++)
			p[i] = (char)(i * 7);
		for (size_t i = 0; i < 3 * PAGE; i++)
			if (p[i] != (char)(i * 7)) {
				FAIL("mmap'd memory at %zu reads back wrong", i);
				bad++;
				break;
			}
		if (munmap(p, 3 * PAGE) != 0) {
			FAIL("munmap: %s", errname(errno));
			bad++;
		}
	}
	int fd = open(self_path, O_RDONLY);
	char magic[4] = { 0 };
	if (fd < 0 || read(fd, magic, 4) != 4 || memcmp(magic, "\177ELF", 4) != 0) {
		FAIL("open+read of %s: fd %d, magic %02x %02x %02x %02x", self_path, fd,
		     magic[0] & 0xff, magic[1] & 0xff, magic[2] & 0xff, magic[3] & 0xff);
		bad++;
	}
	if (fd >= 0)
		close(fd);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	sleep_ms(2);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (b.tv_sec * 1000000000LL + b.tv_nsec < a.tv_sec * 1000000000LL + a.tv_nsec + 2000000) {
		FAIL("nanosleep(2 ms) / CLOCK_MONOTONIC do not agree");
		bad++;
	}
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	if (c < 0) {
		FAIL("fork: %s", errname(errno));
		bad++;
	} else {
		int st = wait_for(c);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 7) {
			FAIL("a forked child did not exit with 7: status %#x", st);
			bad++;
		}
	}
	struct utsname u;
	if (uname(&u) != 0) {
		FAIL("uname: %s", errname(errno));
		bad++;
	}
	return bad;
}

int main(int argc, char **argv)
{
	const char *indent = getenv("KTAP_INDENT");
	ktap.indent = indent ? atoi(indent) : 0;
	if (ktap.indent < 0 || ktap.indent > 32)
		ktap.indent = 0;
	ktap.argv0 = argc > 0 ? argv[0] : "fuzz";
	ktap.prog = "fuzz";
	self_path = ktap.argv0;
	self_pid = getpid();

	struct utsname u;
	native = !(uname(&u) == 0 && strcmp(u.sysname, "Switchyard") == 0);

	int given;
	uint64_t seed;
	if (argc >= 2)
		seed = strtoull(argv[1], NULL, 0);
	else
		seed = (uint64_t)env_num("FUZZ_SEED", "fuzz_seed", 1, &given);
	long iters = env_num("FUZZ_ITERS", "fuzz_iters", 3000, &given);
	long batch = env_num("FUZZ_BATCH", "fuzz_batch", 500, &given);
	long only = env_num("FUZZ_ONLY", "fuzz_only", -1, &given);
	if (batch < 1)
		batch = 500;
	if (iters < 1)
		iters = 1;
	long nbatches = (iters + batch - 1) / batch;
	if (nbatches > MAX_BATCHES)
		nbatches = MAX_BATCHES;

	for (int i = 0; i < NTABLE; i++)
		total_weight += table[i].weight;
	memset(long_path, 'a', sizeof(long_path) - 1);
	for (size_t i = 0; i < sizeof(long_path) - 1; i += 64)
		long_path[i] = '/';
	memset(name255, 'n', 256);
	name255[0] = '/';

	shm = shm_base = mmap(NULL, sizeof(struct shared) * MAX_PAR, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long par = env_num("FUZZ_PAR", "fuzz_par", 1, &given);
	sigreturn_odds = env_num("FUZZ_SIGRETURN", "fuzz_sigreturn", 3, &given);
	if (par < 1 || par > MAX_PAR)
		par = 1;

	ktap_line("KTAP version 1");
	ktap_line("# Subtest: fuzz");
	ktap_line("# fuzz seed %llu", (unsigned long long)seed);
	int planned = only >= 0 ? 2 : (int)nbatches + 1;
	ktap_line("1..%d", planned);
	DIAG("%ld calls in %ld batches of %ld, %ld child(ren) at a time%s", iters, nbatches,
	     batch, par, native ? " (native: defanged)" : "");
	if (shm == MAP_FAILED) {
		ktap_line("not ok 1 shared_page");
		return 1;
	}

	int failed = 0, number = 0;
	long total_calls = 0;
	for (long b = 0; b < nbatches; b++) {
		if (only >= 0 && b != only)
			continue;
		number++;
		ktap.failed = 0;
		long calls = b == nbatches - 1 ? iters - b * batch : batch;
		pid_t pids[MAX_PAR];
		int status[MAX_PAR], done[MAX_PAR], timed_out[MAX_PAR];
		uint64_t bseed[MAX_PAR];
		memset((void *)shm_base, 0, sizeof(struct shared) * MAX_PAR);
		for (int k = 0; k < par; k++) {
			bseed[k] = splitmix(seed * 1000003ULL + (uint64_t)b + ((uint64_t)k << 32));
			done[k] = timed_out[k] = 0;
			status[k] = -1;
			pids[k] = fork();
			if (pids[k] == 0) {
				self_pid = getpid();
				shm = shm_base + k;
				child_main(bseed[k], calls);
			}
			if (pids[k] < 0) {
				FAIL("fork: %s", errname(errno));
				done[k] = 1;
			}
		}
		long long t0 = now_ns();
		int killed = 0;
		for (;;) {
			int left = 0;
			for (int k = 0; k < par; k++) {
				if (done[k])
					continue;
				int st;
				pid_t r = wait4(pids[k], &st, WNOHANG, NULL);
				if (r == pids[k]) {
					status[k] = st;
					done[k] = 1;
				} else if (r < 0 && errno != EINTR) {
					FAIL("wait4(%d): %s", (int)pids[k], errname(errno));
					done[k] = 1;
				} else {
					left++;
				}
			}
			if (!left)
				break;
			long long ms = (now_ns() - t0) / 1000000;
			if (!killed && ms > CHILD_TIMEOUT_MS) {
				killed = 1;
				for (int k = 0; k < par; k++) {
					if (done[k])
						continue;
					timed_out[k] = 1;
					shm = shm_base + k;
					DIAG("batch %ld: child %d still running after %d ms: SIGKILL; its last calls:",
					     b, (int)pids[k], CHILD_TIMEOUT_MS);
					dump_ring(8);
					kill(pids[k], SIGKILL);
				}
			} else if (killed && ms > CHILD_TIMEOUT_MS + 10000) {
				for (int k = 0; k < par; k++) {
					if (done[k])
						continue;
					shm = shm_base + k;
					FAIL("child %d survives SIGKILL for 10 s (kernel hang?)", (int)pids[k]);
					dump_ring(8);
				}
				break;
			}
			sleep_ms(5);
		}
		for (int k = 0; k < par; k++) {
			shm = shm_base + k;
			total_calls += (long)shm->calls;
			char how[96];
			ktap_describe_status(how, sizeof(how), status[k]);
			char tag[4] = { 0 };
			if (par > 1)
				tag[0] = (char)('a' + k);
			DIAG("batch %ld%s (seed %#llx): child %s after %llu of %ld calls%s", b,
			     tag, (unsigned long long)bseed[k], how,
			     (unsigned long long)shm->calls, calls, shm->finished ? "" : " (ended early)");
			if (status[k] != -1 && WIFSIGNALED(status[k]) && !timed_out[k]) {
				struct call_rec *r = &shm->ring[shm->calls % RING];
				if (r->seq == shm->calls)
					describe_rec(r, "last");
			}
			if (status[k] != -1 && WIFEXITED(status[k]) && WEXITSTATUS(status[k]) == 99) {
				FAIL("rt_sigreturn let user space set IOPL/VM in RFLAGS");
				dump_ring(1);
			}
			if (timed_out[k])
				FAIL("batch %ld hung (a call did not return in %d ms)", b, CHILD_TIMEOUT_MS);
		}
		if (ktap.failed) {
			failed++;
			ktap_line("not ok %d batch_%ld", number, b);
		} else {
			ktap_line("ok %d batch_%ld", number, b);
		}
	}
	DIAG("%ld calls made", total_calls);

	number++;
	ktap.failed = 0;
	ktap_line("# running: kernel_survived");
	health_check();
	if (ktap.failed) {
		failed++;
		ktap_line("not ok %d kernel_survived", number);
	} else {
		ktap_line("ok %d kernel_survived", number);
	}
	return failed > 100 ? 100 : failed;
}
