/*
 * tlb - stale TLB entries, seen from ring 3 (issue 8, "Tests").  Each test
 * makes one CPU hold a translation while another CPU (or another process
 * on the same CPU) changes the page table under it, and checks that the
 * change is visible before the system call that made it returns:
 *
 *   munmap_remap_never_stale         munmap + mmap(MAP_FIXED) of a new page
 *                                    under a reader on another CPU
 *   mprotect_readonly_never_writable mprotect(PROT_READ) under a writer
 *   more_processes_than_asids        12 processes on one CPU (more than
 *                                    the 6 dynamic ASIDs per CPU), each
 *                                    with its own page at the same address
 *   fork_cow_under_readers           fork + copy-on-write breaks while
 *                                    threads on other CPUs read the page
 *   idle_cpu_catches_up              munmap + mmap while the reader's CPU
 *                                    is idle (lazy), then the reader wakes
 *   pcid_reentry_noflush             two processes ping-pong on one CPU:
 *                                    each switch back finds its ASID slot
 *                                    and writes CR3 with NOFLUSH (counted
 *                                    in /proc/switchyard; native PCID only)
 *
 * Why a stale entry is visible at all: the TLB is a cache the kernel must
 * invalidate by hand (INVLPG, a CR3 write, an IPI to the other CPUs: the
 * "shootdown").  QEMU's TCG keeps each vCPU's translations until that vCPU
 * flushes, so a missed shootdown shows up here as a read of the old frame.
 * The ordering rule the checks rely on: the writer stores a "retired"
 * generation only after munmap/mprotect has returned, and the reader loads
 * it (acquire) *before* it touches the page; a reader that has seen the
 * store is later than the return, so its access must use the new page
 * table (the shootdown finished before the call returned).  Loading the
 * page first and the generation second would not prove anything: the
 * read could have happened before the call.
 *
 * Iteration counts are multiplied by `iters=N` on the command line or
 * $TLB_ITERS; each test also stops after `seconds=S` ($TLB_SECONDS,
 * default 3) of its main loop, so it stays short under a slow emulator.
 * The multi-CPU tests are skipped when fewer than 2 CPUs are online.
 */
#include "ktap.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>

#define PAGE		4096UL
#define PAGE_WORDS	(PAGE / sizeof(uint64_t))
#define MAX_CPUS	64

/* <linux/futex.h> values (musl-gcc has no kernel headers).  The shared
 * (non-PRIVATE) forms: test 3's futex words live in a MAP_SHARED page
 * that several processes map. */
#define FUTEX_WAIT	0
#define FUTEX_WAKE	1

static long futex(volatile int *uaddr, int op, int val, const struct timespec *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

/*
 * A page word: a 16-bit tag naming who wrote it, the rest a generation.
 * A word whose tag is not the one the reader expects came through a
 * translation into some other frame.
 */
#define TAG_SHIFT	48
#define GEN_MASK	((1ULL << TAG_SHIFT) - 1)
#define TAG_PAGE	0x5047ULL	/* "PG": the page under test */
#define TAG_SCRATCH	0x5343ULL	/* "SC": test 1's decoy page */
#define TAG_PARENT	0x5041ULL	/* "PA": test 4's parent */
#define TAG_CHILD	0x4348ULL	/* "CH": test 4's children */
#define WORD(tag, gen)	(((uint64_t)(tag) << TAG_SHIFT) | ((uint64_t)(gen) & GEN_MASK))
#define TAG_OF(v)	((v) >> TAG_SHIFT)
#define GEN_OF(v)	((v) & GEN_MASK)

static const char *tag_name(uint64_t v)
{
	switch (TAG_OF(v)) {
	case 0:			return v ? "untagged" : "zero";
	case TAG_PAGE:		return "page";
	case TAG_SCRATCH:	return "scratch";
	case TAG_PARENT:	return "parent";
	case TAG_CHILD:		return "child";
	default:		return "foreign";
	}
}

static void fill_page(void *page, uint64_t value)
{
	volatile uint64_t *w = page;
	for (unsigned i = 0; i < PAGE_WORDS; i++)
		w[i] = value;
}

/* The index of the first word of PAGE that is not VALUE, or -1. */
static int check_page(const void *page, uint64_t value)
{
	const volatile uint64_t *w = page;
	for (unsigned i = 0; i < PAGE_WORDS; i++)
		if (w[i] != value)
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------- parameters */

static long iter_scale = 1;		/* iters=N, $TLB_ITERS */
static long budget_ms = 3000;		/* seconds=S, $TLB_SECONDS */

static long iters(long base)
{
	return base * iter_scale;
}

/* ---------------------------------------------------------------- CPUs */

static cpu_set_t all_cpus;		/* the affinity the program started with */
static int cpus[MAX_CPUS], ncpus;

static void find_cpus(void)
{
	CPU_ZERO(&all_cpus);
	ncpus = 0;
	if (sched_getaffinity(0, sizeof(all_cpus), &all_cpus) != 0) {
		cpus[ncpus++] = 0;
		return;
	}
	for (int c = 0; c < MAX_CPUS; c++)
		if (CPU_ISSET(c, &all_cpus))
			cpus[ncpus++] = c;
}

static int current_cpu(void)
{
	unsigned cpu = 0;
	if (syscall(SYS_getcpu, &cpu, NULL, NULL) != 0)
		return -1;
	return (int)cpu;
}

/* Pin the calling thread to CPU and wait until it runs there: 0 or -1. */
static int pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int i = 0; i < 1000; i++) {
		if (current_cpu() == cpu)
			return 0;
		sched_yield();
	}
	return -1;
}

static void unpin(void)
{
	sched_setaffinity(0, sizeof(all_cpus), &all_cpus);
}

/* ---------------------------------------------------------------- faults */

/*
 * Readers that expect faults: SIGSEGV jumps back to the thread's own
 * sigsetjmp point.  SA_NODEFER leaves SIGSEGV unblocked after the jump,
 * so sigsetjmp need not save the mask (no system call per fault).  A
 * fault in a thread that did not arm its buffer is a real crash.
 */
static __thread sigjmp_buf fault_jmp;
static __thread volatile sig_atomic_t fault_armed;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (!fault_armed) {
		signal(sig, SIG_DFL);
		return;			/* re-faults with the default action */
	}
	fault_armed = 0;
	siglongjmp(fault_jmp, 1);
}

static struct sigaction saved_segv;

static void catch_faults(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, &saved_segv);
}

static void uncatch_faults(void)
{
	sigaction(SIGSEGV, &saved_segv, NULL);
}

/* Spin (yielding) until *WORD >= VALUE or MS milliseconds pass: 0 or -1. */
static int wait_at_least(atomic_ulong *word, unsigned long value, long ms)
{
	long long end = now_ns() + ms * 1000000LL;
	while (atomic_load_explicit(word, memory_order_acquire) < value) {
		if (now_ns() > end)
			return -1;
		sched_yield();
	}
	return 0;
}

/* ================================================================ test 1 */

/*
 * munmap_remap_never_stale: the writer (this thread, on cpus[0]) replaces
 * page P generation after generation; readers on the other CPUs (up to 3) read
 * P's first word in a tight loop, so their TLB holds P's translation.
 *
 * Each writer step, for generation g (P holds g-1):
 *   munmap(P)                  -> store retired = g-1
 *   mmap(S), fill "scratch|g"     (S is a decoy: see below)
 *   mmap(P, MAP_FIXED), fill "page|g"  -> store published = g
 *   check S still holds "scratch|g", munmap(S)
 *   wait until every reader has read g (so each holds the new entry)
 *
 * Reader: r = retired (acquire), then v = *P.  Allowed: v is "page|h"
 * with h > r, or 0 (P is a fresh demand-zero page the writer has not
 * filled yet), or SIGSEGV (P is unmapped).  Anything else is a read
 * through a translation older than the munmap that had returned.
 *
 * Why S: the frame munmap freed is usually the next one the allocator
 * hands out.  If that were P's new page, a stale entry would still point
 * at the right frame and nothing would show.  S, touched first, takes
 * that frame instead, so a stale reader of P sees S's "scratch" words (or
 * the old generation, if the frame went elsewhere), and a stale entry on
 * the writer's own CPU sends its fill of P into S, which the S check sees.
 */
#define MAX_READERS	3

struct reader {
	pthread_t thread;
	int cpu;
	int pin_failed;
	atomic_ulong seen;		/* newest generation read from P */
	long reads, faults, zeros;	/* written by the reader only */
};

struct violation {
	atomic_int flag;		/* set once, by the first to see one */
	uint64_t value, retired, published;
	long reads;
	int cpu, reader;
};

static struct {
	char *page, *scratch;
	atomic_ulong retired, published;
	atomic_int stop;
	struct reader readers[MAX_READERS];
	int nreaders, wcpu;
	struct violation bad;
} unmap;

static void record(struct violation *bad, int reader, uint64_t value, uint64_t retired,
		   uint64_t published, long reads)
{
	int expected = 0;
	if (!atomic_compare_exchange_strong(&bad->flag, &expected, 1))
		return;
	bad->reader = reader;
	bad->value = value;
	bad->retired = retired;
	bad->published = published;
	bad->reads = reads;
	bad->cpu = current_cpu();
}

static void *unmap_reader(void *arg)
{
	struct reader *rd = arg;
	int id = (int)(rd - unmap.readers);
	volatile uint64_t *word = (volatile uint64_t *)unmap.page;

	if (pin_to(rd->cpu) != 0)
		rd->pin_failed = 1;
	if (sigsetjmp(fault_jmp, 0))
		rd->faults++;		/* P was unmapped: allowed */
	fault_armed = 1;
	while (!atomic_load_explicit(&unmap.stop, memory_order_relaxed)) {
		uint64_t r = atomic_load_explicit(&unmap.retired, memory_order_acquire);
		uint64_t v = *word;
		rd->reads++;
		if (v == 0) {
			rd->zeros++;
			continue;
		}
		if (TAG_OF(v) == TAG_PAGE && GEN_OF(v) > r) {
			if (GEN_OF(v) > atomic_load_explicit(&rd->seen, memory_order_relaxed))
				atomic_store_explicit(&rd->seen, GEN_OF(v), memory_order_release);
			continue;
		}
		record(&unmap.bad, id, v, r,
		       atomic_load_explicit(&unmap.published, memory_order_acquire), rd->reads);
		atomic_store(&unmap.stop, 1);
	}
	fault_armed = 0;
	return NULL;
}

TEST(munmap_remap_never_stale)
{
	if (ncpus < 2)
		SKIP("needs 2 CPUs, %d online", ncpus);

	memset(&unmap, 0, sizeof(unmap));
	/* two pages: P and, next to it, the decoy's address */
	char *base = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(base != MAP_FAILED);
	unmap.page = base;
	unmap.scratch = base + PAGE;
	ASSERT(munmap(unmap.scratch, PAGE) == 0);
	fill_page(unmap.page, WORD(TAG_PAGE, 1));
	atomic_store(&unmap.published, 1);

	unmap.wcpu = cpus[0];
	unmap.nreaders = ncpus - 1 < MAX_READERS ? ncpus - 1 : MAX_READERS;
	catch_faults();
	ASSERT(pin_to(unmap.wcpu) == 0);
	int started = 0;
	for (int i = 0; i < unmap.nreaders; i++) {
		struct reader *rd = &unmap.readers[i];
		rd->cpu = cpus[1 + i];
		if (pthread_create(&rd->thread, NULL, unmap_reader, rd) != 0) {
			FAIL("pthread_create: %s", errname(errno));
			break;
		}
		started++;
	}

	long n = iters(300), done = 0, lag = 0, writer_bad = 0;
	for (int i = 0; i < started; i++)
		if (wait_at_least(&unmap.readers[i].seen, 1, 2000) != 0)
			lag++;
	/* the budget starts once the readers run: under host load their
	 * start-up alone can take seconds, and at least one remap must run */
	long long end = now_ns() + budget_ms * 1000000LL;
	for (uint64_t g = 2; done < n && (done == 0 || now_ns() < end) &&
			     !atomic_load(&unmap.stop); g++) {
		if (munmap(unmap.page, PAGE) != 0) {
			FAIL("munmap(P): %s", errname(errno));
			break;
		}
		atomic_store_explicit(&unmap.retired, g - 1, memory_order_release);

		char *s = mmap(unmap.scratch, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (s != unmap.scratch) {
			FAIL("mmap(S, MAP_FIXED): %p, %s", (void *)s, errname(errno));
			break;
		}
		fill_page(s, WORD(TAG_SCRATCH, g));
		char *p = mmap(unmap.page, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p != unmap.page) {
			FAIL("mmap(P, MAP_FIXED): %p, %s", (void *)p, errname(errno));
			break;
		}
		fill_page(p, WORD(TAG_PAGE, g));
		atomic_store_explicit(&unmap.published, g, memory_order_release);

		/* a stale entry on this CPU would have sent the fill of P into
		 * the old frame, which S now owns */
		int at = check_page(s, WORD(TAG_SCRATCH, g));
		if (at >= 0 && !writer_bad++) {
			uint64_t got = ((volatile uint64_t *)s)[at];
			FAIL("generation %llu: S[%d] = %#llx (%s, gen %llu), expected %#llx: "
			     "the writer's fill of P on cpu %d went through a stale entry "
			     "into the frame S now has",
			     (unsigned long long)g, at, (unsigned long long)got, tag_name(got),
			     (unsigned long long)GEN_OF(got),
			     (unsigned long long)WORD(TAG_SCRATCH, g), unmap.wcpu);
		}
		at = check_page(p, WORD(TAG_PAGE, g));
		if (at >= 0 && !writer_bad++) {
			uint64_t got = ((volatile uint64_t *)p)[at];
			FAIL("generation %llu: P[%d] = %#llx (%s), expected %#llx",
			     (unsigned long long)g, at, (unsigned long long)got, tag_name(got),
			     (unsigned long long)WORD(TAG_PAGE, g));
		}
		if (munmap(s, PAGE) != 0) {
			FAIL("munmap(S): %s", errname(errno));
			break;
		}
		done++;
		for (int i = 0; i < started; i++)
			if (wait_at_least(&unmap.readers[i].seen, g, 500) != 0)
				lag++;
	}
	atomic_store(&unmap.stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(unmap.readers[i].thread, NULL);
	unpin();
	uncatch_faults();

	long reads = 0, faults = 0, zeros = 0;
	for (int i = 0; i < started; i++) {
		struct reader *rd = &unmap.readers[i];
		reads += rd->reads;
		faults += rd->faults;
		zeros += rd->zeros;
		if (rd->pin_failed)
			FAIL("reader %d could not be pinned to cpu %d", i, rd->cpu);
	}
	DIAG("%ld of %ld remaps, writer on cpu %d, %d reader(s): %ld reads, %ld faults, "
	     "%ld zero reads, %ld waits for a reader timed out",
	     done, n, unmap.wcpu, started, reads, faults, zeros, lag);
	if (atomic_load(&unmap.bad.flag)) {
		struct violation *b = &unmap.bad;
		FAIL("stale TLB entry: reader %d on cpu %d (read #%ld) got %#llx (%s, gen %llu) "
		     "after the writer on cpu %d had unmapped gen %llu and returned "
		     "(published gen %llu, so this is iteration %llu)",
		     b->reader, b->cpu, b->reads, (unsigned long long)b->value,
		     tag_name(b->value), (unsigned long long)GEN_OF(b->value), unmap.wcpu,
		     (unsigned long long)b->retired, (unsigned long long)b->published,
		     (unsigned long long)b->retired);
	}
	EXPECT_GT(done, 0);
	EXPECT_GT(reads, 0);
	munmap(base, 2 * PAGE);
}

/* ================================================================ test 2 */

/*
 * mprotect_readonly_never_writable: readers on the other CPUs *write* P in
 * a loop.  The writer (cpus[0]) goes round an epoch counter: even = P is
 * writable, odd = read-only.
 *
 *   wait until every reader has written P in the even epoch 2k (its TLB
 *     holds a writable entry)
 *   mprotect(P, PROT_READ)           -> epoch = 2k+1
 *   wait until every reader has faulted in epoch 2k+1
 *   check P did not change since mprotect returned
 *   epoch = 2k+2, wait until every reader has acknowledged it
 *   mprotect(P, PROT_READ|PROT_WRITE)
 *
 * Reader: e = epoch (acquire), ack = e, write P.  A write that does not
 * fault after loading an odd e went through a writable entry that
 * mprotect should have shot down.  The acknowledgement closes the other
 * side: the writer makes P writable again only after every reader has
 * loaded the even epoch, so a reader still acting on 2k+1 cannot meet a
 * page that is legitimately writable again.
 */
struct wreader {
	pthread_t thread;
	int cpu;
	int pin_failed;
	atomic_ulong ack;		/* the epoch it loaded last */
	atomic_ulong ok_epoch;		/* 1 + the epoch of its last successful write */
	atomic_ulong faults;
	long writes;
};

static struct {
	char *page;
	atomic_ulong epoch;
	atomic_int stop;
	struct wreader readers[MAX_READERS];
	int wcpu;
	struct violation bad;
} prot;

static void *prot_reader(void *arg)
{
	struct wreader *rd = arg;
	int id = (int)(rd - prot.readers);
	volatile uint64_t *word = (volatile uint64_t *)prot.page + 8 * (id + 1);

	if (pin_to(rd->cpu) != 0)
		rd->pin_failed = 1;
	if (sigsetjmp(fault_jmp, 0))
		atomic_fetch_add_explicit(&rd->faults, 1, memory_order_release);
	fault_armed = 1;
	while (!atomic_load_explicit(&prot.stop, memory_order_relaxed)) {
		unsigned long e = atomic_load_explicit(&prot.epoch, memory_order_acquire);
		atomic_store_explicit(&rd->ack, e, memory_order_release);
		*word = WORD(TAG_PAGE, rd->writes + 1);
		rd->writes++;
		if (e & 1) {
			record(&prot.bad, id, WORD(TAG_PAGE, rd->writes), e, e, rd->writes);
			atomic_store(&prot.stop, 1);
			break;
		}
		atomic_store_explicit(&rd->ok_epoch, e + 1, memory_order_release);
	}
	fault_armed = 0;
	return NULL;
}

TEST(mprotect_readonly_never_writable)
{
	if (ncpus < 2)
		SKIP("needs 2 CPUs, %d online", ncpus);

	memset(&prot, 0, sizeof(prot));
	prot.page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(prot.page != MAP_FAILED);
	fill_page(prot.page, 0);
	int nreaders = ncpus - 1 < MAX_READERS ? ncpus - 1 : MAX_READERS;
	prot.wcpu = cpus[0];
	catch_faults();
	ASSERT(pin_to(prot.wcpu) == 0);
	int started = 0;
	for (int i = 0; i < nreaders; i++) {
		struct wreader *rd = &prot.readers[i];
		rd->cpu = cpus[1 + i];
		if (pthread_create(&rd->thread, NULL, prot_reader, rd) != 0) {
			FAIL("pthread_create: %s", errname(errno));
			break;
		}
		started++;
	}

	long n = iters(200), done = 0, lag = 0, changed = 0;
	long long end = now_ns() + budget_ms * 1000000LL;
	for (unsigned long k = 0; done < n && now_ns() < end && !atomic_load(&prot.stop); k++) {
		unsigned long rw = 2 * k, ro = 2 * k + 1;
		for (int i = 0; i < started; i++)
			if (wait_at_least(&prot.readers[i].ok_epoch, rw + 1, 500) != 0)
				lag++;
		unsigned long faults[MAX_READERS];
		for (int i = 0; i < started; i++)
			faults[i] = atomic_load(&prot.readers[i].faults);
		if (mprotect(prot.page, PAGE, PROT_READ) != 0) {
			FAIL("mprotect(P, PROT_READ): %s", errname(errno));
			break;
		}
		atomic_store_explicit(&prot.epoch, ro, memory_order_release);
		uint64_t before[MAX_READERS];
		for (int i = 0; i < started; i++)
			before[i] = ((volatile uint64_t *)prot.page)[8 * (i + 1)];
		for (int i = 0; i < started; i++)
			if (wait_at_least(&prot.readers[i].faults, faults[i] + 1, 500) != 0)
				lag++;
		for (int i = 0; i < started; i++) {
			uint64_t after = ((volatile uint64_t *)prot.page)[8 * (i + 1)];
			if (after != before[i] && !changed++)
				FAIL("round %lu: read-only P changed under reader %d (cpu %d): "
				     "%#llx -> %#llx after mprotect(PROT_READ) returned",
				     k, i, prot.readers[i].cpu, (unsigned long long)before[i],
				     (unsigned long long)after);
		}
		atomic_store_explicit(&prot.epoch, rw + 2, memory_order_release);
		for (int i = 0; i < started; i++)
			if (wait_at_least(&prot.readers[i].ack, rw + 2, 20000) != 0)
				FAIL("round %lu: reader %d did not see epoch %lu", k, i, rw + 2);
		if (mprotect(prot.page, PAGE, PROT_READ | PROT_WRITE) != 0) {
			FAIL("mprotect(P, PROT_READ|PROT_WRITE): %s", errname(errno));
			break;
		}
		done++;
	}
	atomic_store(&prot.stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(prot.readers[i].thread, NULL);
	unpin();
	uncatch_faults();

	long writes = 0, faults = 0;
	for (int i = 0; i < started; i++) {
		writes += prot.readers[i].writes;
		faults += (long)atomic_load(&prot.readers[i].faults);
		if (prot.readers[i].pin_failed)
			FAIL("writer thread %d could not be pinned to cpu %d", i, prot.readers[i].cpu);
	}
	DIAG("%ld of %ld read-only rounds, mprotect on cpu %d, %d writer thread(s): "
	     "%ld writes, %ld faults, %ld waits timed out",
	     done, n, prot.wcpu, started, writes, faults, lag);
	if (atomic_load(&prot.bad.flag)) {
		struct violation *b = &prot.bad;
		FAIL("stale writable TLB entry: thread %d on cpu %d wrote P (write #%ld) in "
		     "read-only epoch %llu (round %llu), after mprotect(PROT_READ) on cpu %d "
		     "had returned",
		     b->reader, b->cpu, b->reads, (unsigned long long)b->retired,
		     (unsigned long long)b->retired / 2, prot.wcpu);
	}
	EXPECT_GT(done, 0);
	EXPECT_GT(faults, 0);
	munmap(prot.page, PAGE);
}

/* ================================================================ test 3 */

/*
 * more_processes_than_asids: NPROC processes pinned to one CPU pass a
 * token round a ring (go[i] is process i's futex word: it may take turn
 * r once go[i] > r).  Each has a private page at the same virtual address
 * holding its own pattern; on its turn it checks the pattern, writes the
 * next one, and every REMAP_EVERY turns replaces the page (munmap + mmap
 * MAP_FIXED).  A translation left over from another process (an ASID
 * reused without a flush) would show that process's pattern.
 */
#define NPROC		12
#define REMAP_EVERY	4
#define RING_WAIT_MS	100		/* one futex wait: then re-check abort */
#define RING_DEADLINE_S	60		/* the whole ring, a safety net */

struct ring {
	volatile int go[NPROC];
	volatile int abort;
	volatile long turns;		/* all processes' turns */
	volatile long done[NPROC];
	volatile int failed_proc;	/* first failure: who, and what */
	char msg[400];
};

/* Pattern of process I after COUNT changes, word J. */
static uint64_t pattern(int i, long count, unsigned j)
{
	return ((uint64_t)(i + 1) << 56) | ((uint64_t)count << 16) | j;
}

static void ring_fail(struct ring *ring, int i, const char *fmt, ...)
{
	if (__atomic_exchange_n(&ring->failed_proc, i + 1, __ATOMIC_ACQ_REL) == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ring->msg, sizeof(ring->msg), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&ring->abort, 1, __ATOMIC_RELEASE);
	for (int j = 0; j < NPROC; j++) {
		__atomic_fetch_add(&ring->go[j], 0, __ATOMIC_SEQ_CST);
		futex(&ring->go[j], FUTEX_WAKE, INT_MAX, NULL);
	}
}

static void ring_member(struct ring *ring, int i, int cpu, char *addr, long rounds)
{
	long count = 0;
	long long deadline = now_ns() + RING_DEADLINE_S * 1000000000LL;

	if (pin_to(cpu) != 0) {
		ring_fail(ring, i, "process %d could not be pinned to cpu %d", i, cpu);
		_exit(1);
	}
	/* its own page at the shared address, not the parent's CoW copy */
	if (mmap(addr, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != addr) {
		ring_fail(ring, i, "process %d: mmap(MAP_FIXED): %s", i, errname(errno));
		_exit(1);
	}
	for (unsigned j = 0; j < PAGE_WORDS; j++)
		((volatile uint64_t *)addr)[j] = pattern(i, count, j);

	for (long r = 0; r < rounds; r++) {
		int v;
		while ((v = __atomic_load_n(&ring->go[i], __ATOMIC_ACQUIRE)) <= r) {
			if (__atomic_load_n(&ring->abort, __ATOMIC_ACQUIRE))
				_exit(2);
			if (now_ns() > deadline) {
				ring_fail(ring, i, "process %d: no token for round %ld after %d s",
					  i, r, RING_DEADLINE_S);
				_exit(1);
			}
			struct timespec ts = { 0, RING_WAIT_MS * 1000000L };
			futex(&ring->go[i], FUTEX_WAIT, v, &ts);
		}
		int cpu_now = current_cpu();
		for (unsigned j = 0; j < PAGE_WORDS; j++) {
			uint64_t got = ((volatile uint64_t *)addr)[j];
			if (got != pattern(i, count, j)) {
				ring_fail(ring, i, "process %d on cpu %d, round %ld: word %u is %#llx "
					  "(process %d's, change %llu), expected %#llx: a translation "
					  "into another process's page",
					  i, cpu_now, r, j, (unsigned long long)got, (int)(got >> 56) - 1,
					  (unsigned long long)((got >> 16) & 0xffffffffffULL),
					  (unsigned long long)pattern(i, count, j));
				_exit(1);
			}
		}
		if (cpu_now != cpu) {
			ring_fail(ring, i, "process %d runs on cpu %d, pinned to %d", i, cpu_now, cpu);
			_exit(1);
		}
		if (r % REMAP_EVERY == REMAP_EVERY - 1) {
			if (munmap(addr, PAGE) != 0 ||
			    mmap(addr, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != addr) {
				ring_fail(ring, i, "process %d: remap: %s", i, errname(errno));
				_exit(1);
			}
		}
		count++;
		for (unsigned j = 0; j < PAGE_WORDS; j++)
			((volatile uint64_t *)addr)[j] = pattern(i, count, j);
		__atomic_fetch_add(&ring->turns, 1, __ATOMIC_ACQ_REL);
		ring->done[i] = r + 1;
		int next = (i + 1) % NPROC;
		__atomic_fetch_add(&ring->go[next], 1, __ATOMIC_RELEASE);
		futex(&ring->go[next], FUTEX_WAKE, 1, NULL);
	}
	_exit(0);
}

TEST(more_processes_than_asids)
{
	struct ring *ring = mmap(NULL, sizeof(struct ring), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT(ring != MAP_FAILED);
	memset(ring, 0, sizeof(*ring));
	/* the address every process puts its own page at */
	char *addr = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(addr != MAP_FAILED);
	int cpu = cpus[ncpus - 1];
	long rounds = iters(40);

	pid_t pids[NPROC];
	int forked = 0;
	for (int i = 0; i < NPROC; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			ring_member(ring, i, cpu, addr, rounds);
		if (pids[i] < 0) {
			FAIL("fork %d: %s", i, errname(errno));
			ring_fail(ring, -1, "the parent could not fork");
			break;
		}
		forked++;
	}
	long long start = now_ns();
	__atomic_store_n(&ring->go[0], 1, __ATOMIC_RELEASE);
	futex(&ring->go[0], FUTEX_WAKE, 1, NULL);
	for (int i = 0; i < forked; i++) {
		int status = wait_for(pids[i]);
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char d[96];
			ktap_describe_status(d, sizeof(d), status);
			if (!(WIFEXITED(status) && WEXITSTATUS(status) == 2))	/* aborted */
				FAIL("process %d: %s", i, d);
		}
	}
	long ms = (long)((now_ns() - start) / 1000000);
	if (ring->failed_proc)
		FAIL("%s", ring->msg);
	DIAG("%d processes on cpu %d, %ld rounds: %ld turns in %ld ms",
	     forked, cpu, rounds, (long)ring->turns, ms);
	EXPECT_EQ(ring->turns, (long)NPROC * rounds);
	for (int i = 0; i < NPROC; i++)
		if (ring->done[i] != rounds)
			FAIL("process %d took %ld of %ld turns", i, (long)ring->done[i], rounds);
	munmap(addr, PAGE);
	munmap(ring, sizeof(*ring));
}

/* ================================================================ test 4 */

/*
 * fork_cow_under_readers: the parent's page Q is read by threads on the
 * other CPUs while the parent (cpus[0]) forks again and again.  After a
 * fork Q is copy-on-write in both; whichever writes first gets a new
 * frame, and if that is the parent, its readers must be moved to the new
 * frame before the write returns: else they keep reading the old one,
 * which is now the child's, and see the child's words.
 *
 * Parent: Q = "parent|g", published = g.  Readers: p = published
 * (acquire), v = Q: v must be "parent|h" with h >= p.  Child (pinned to
 * one of the readers' CPUs, in turn): must find the parent's value at
 * the fork, then writes and re-reads "child|k,j"; parent and child each
 * check they read back only their own writes.
 */
#define COW_WRITES	400
#define COW_WORD	0
#define COW_WORD2	(PAGE_WORDS / 2)

static struct {
	volatile uint64_t *q;
	atomic_ulong published;
	atomic_int stop;
	struct reader readers[MAX_READERS];
	struct violation bad;
} cow;

static void *cow_reader(void *arg)
{
	struct reader *rd = arg;
	int id = (int)(rd - cow.readers);

	if (pin_to(rd->cpu) != 0)
		rd->pin_failed = 1;
	while (!atomic_load_explicit(&cow.stop, memory_order_relaxed)) {
		uint64_t p = atomic_load_explicit(&cow.published, memory_order_acquire);
		uint64_t v = cow.q[COW_WORD];
		rd->reads++;
		if (TAG_OF(v) == TAG_PARENT && GEN_OF(v) >= p)
			continue;
		record(&cow.bad, id, v, p, p, rd->reads);
		atomic_store(&cow.stop, 1);
	}
	return NULL;
}

static void cow_write(uint64_t v)
{
	cow.q[COW_WORD] = v;
	cow.q[COW_WORD2] = v;
}

static void cow_child(long k, int cpu, uint64_t inherited)
{
	if (cpu >= 0 && pin_to(cpu) != 0)
		FAIL("child %ld: could not pin to cpu %d", k, cpu);
	uint64_t v = cow.q[COW_WORD];
	if (v != inherited)
		FAIL("child %ld: Q at fork is %#llx (%s), expected the parent's %#llx",
		     k, (unsigned long long)v, tag_name(v), (unsigned long long)inherited);
	for (long j = 0; j < COW_WRITES && !ktap.failed; j++) {
		uint64_t mine = WORD(TAG_CHILD, ((uint64_t)k << 20) | (uint64_t)j);
		cow_write(mine);
		uint64_t a = cow.q[COW_WORD], b = cow.q[COW_WORD2];
		if (a != mine || b != mine)
			FAIL("child %ld on cpu %d, write %ld: wrote %#llx, read back %#llx (%s) "
			     "and %#llx (%s)", k, current_cpu(), j, (unsigned long long)mine,
			     (unsigned long long)a, tag_name(a), (unsigned long long)b, tag_name(b));
		if (j % 64 == 0)
			sched_yield();
	}
	CHILD_EXIT();
}

TEST(fork_cow_under_readers)
{
	if (ncpus < 2)
		SKIP("needs 2 CPUs, %d online", ncpus);

	memset(&cow, 0, sizeof(cow));
	void *q = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(q != MAP_FAILED);
	cow.q = q;
	uint64_t g = 1;
	cow_write(WORD(TAG_PARENT, g));
	atomic_store(&cow.published, g);

	int nreaders = ncpus - 1 < MAX_READERS ? ncpus - 1 : MAX_READERS;
	ASSERT(pin_to(cpus[0]) == 0);
	int started = 0;
	for (int i = 0; i < nreaders; i++) {
		struct reader *rd = &cow.readers[i];
		rd->cpu = cpus[1 + i];
		if (pthread_create(&rd->thread, NULL, cow_reader, rd) != 0) {
			FAIL("pthread_create: %s", errname(errno));
			break;
		}
		started++;
	}

	long n = iters(20), forks = 0, mixed = 0;
	long long end = now_ns() + budget_ms * 1000000LL;
	for (long k = 0; forks < n && now_ns() < end && !atomic_load(&cow.stop); k++) {
		uint64_t at_fork = WORD(TAG_PARENT, g);
		int child_cpu = started ? cow.readers[k % started].cpu : -1;
		pid_t pid = fork();
		if (pid == 0)
			cow_child(k, child_cpu, at_fork);
		if (pid < 0) {
			FAIL("fork: %s", errname(errno));
			break;
		}
		forks++;
		for (long j = 0; j < COW_WRITES; j++) {
			uint64_t mine = WORD(TAG_PARENT, ++g);
			cow_write(mine);
			atomic_store_explicit(&cow.published, g, memory_order_release);
			uint64_t a = cow.q[COW_WORD], b = cow.q[COW_WORD2];
			if ((a != mine || b != mine) && !mixed++)
				FAIL("fork %ld, parent write %ld: wrote %#llx, read back %#llx (%s) "
				     "and %#llx (%s)", k, j, (unsigned long long)mine,
				     (unsigned long long)a, tag_name(a), (unsigned long long)b,
				     tag_name(b));
			if (j % 64 == 0)
				sched_yield();
		}
		int status = wait_for(pid);
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			char d[96];
			ktap_describe_status(d, sizeof(d), status);
			FAIL("child %ld: %s", k, d);
			break;
		}
	}
	atomic_store(&cow.stop, 1);
	for (int i = 0; i < started; i++)
		pthread_join(cow.readers[i].thread, NULL);
	unpin();

	long reads = 0;
	for (int i = 0; i < started; i++) {
		reads += cow.readers[i].reads;
		if (cow.readers[i].pin_failed)
			FAIL("reader %d could not be pinned to cpu %d", i, cow.readers[i].cpu);
	}
	DIAG("%ld of %ld forks, parent on cpu %d, %d reader(s): %ld reads",
	     forks, n, cpus[0], started, reads);
	if (atomic_load(&cow.bad.flag)) {
		struct violation *b = &cow.bad;
		FAIL("stale TLB entry after a copy-on-write break: reader %d on cpu %d "
		     "(read #%ld) got %#llx (%s, gen %llu) after the parent had published "
		     "gen %llu", b->reader, b->cpu, b->reads, (unsigned long long)b->value,
		     tag_name(b->value), (unsigned long long)GEN_OF(b->value),
		     (unsigned long long)b->published);
	}
	EXPECT_GT(forks, 0);
	EXPECT_GT(reads, 0);
	munmap(q, PAGE);
}

/* ================================================================ test 5 */

/*
 * idle_cpu_catches_up: the reader need not be running when the page
 * table changes.  A helper thread pinned to cpus[1] reads P, then sleeps
 * in FUTEX_WAIT; its CPU goes idle, and an idle CPU may keep the process's
 * page tables loaded ("lazy": the idle task borrows the last mm, so no CR3
 * write happens) and may be skipped by shootdowns.  While it sleeps, the
 * main thread replaces P (munmap, the decoy S, mmap MAP_FIXED).  Woken,
 * the helper is back on the same mm without a CR3 write: the kernel must
 * notice the page tables changed meanwhile and flush, or the helper reads
 * P through the entry it cached before it slept.
 */
static struct {
	char *page, *scratch;
	volatile int cmd;		/* odd: read P; -1: stop (futex word) */
	volatile int done;		/* the last cmd served (futex word) */
	volatile uint64_t value;	/* what the helper read */
	volatile int faulted, cpu, pin_failed;
} idle;

static void *idle_helper(void *arg)
{
	int cpu = *(int *)arg, last = 0;

	if (pin_to(cpu) != 0)
		idle.pin_failed = 1;
	for (;;) {
		int c;
		while ((c = __atomic_load_n(&idle.cmd, __ATOMIC_ACQUIRE)) == last)
			futex(&idle.cmd, FUTEX_WAIT, c, NULL);
		if (c < 0)
			break;
		idle.faulted = 0;
		if (sigsetjmp(fault_jmp, 0) == 0) {
			fault_armed = 1;
			idle.value = *(volatile uint64_t *)idle.page;
			fault_armed = 0;
		} else {
			idle.faulted = 1;
		}
		idle.cpu = current_cpu();
		last = c;
		__atomic_store_n(&idle.done, c, __ATOMIC_RELEASE);
		futex(&idle.done, FUTEX_WAKE, 1, NULL);
	}
	return NULL;
}

/* Ask the helper to read P; 0, or -1 if it did not answer in 5 s. */
static int idle_read(int c)
{
	long long end = now_ns() + 5000000000LL;
	__atomic_store_n(&idle.cmd, c, __ATOMIC_RELEASE);
	futex(&idle.cmd, FUTEX_WAKE, 1, NULL);
	int d;
	while ((d = __atomic_load_n(&idle.done, __ATOMIC_ACQUIRE)) != c) {
		if (now_ns() > end)
			return -1;
		struct timespec ts = { 0, 50 * 1000000L };
		futex(&idle.done, FUTEX_WAIT, d, &ts);
	}
	return 0;
}

TEST(idle_cpu_catches_up)
{
	if (ncpus < 2)
		SKIP("needs 2 CPUs, %d online", ncpus);

	memset((void *)&idle, 0, sizeof(idle));
	char *base = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(base != MAP_FAILED);
	idle.page = base;
	idle.scratch = base + PAGE;
	ASSERT(munmap(idle.scratch, PAGE) == 0);
	fill_page(idle.page, WORD(TAG_PAGE, 1));

	int wcpu = cpus[0], rcpu = cpus[1];
	catch_faults();
	ASSERT(pin_to(wcpu) == 0);
	pthread_t t;
	if (pthread_create(&t, NULL, idle_helper, &rcpu) != 0) {
		FAIL("pthread_create: %s", errname(errno));
		unpin();
		uncatch_faults();
		return;
	}

	long n = iters(100), done = 0, bad = 0;
	long long end = now_ns() + budget_ms * 1000000LL;
	for (uint64_t g = 1; done < n && now_ns() < end && !bad; g++) {
		/* the helper caches P's translation, then sleeps */
		if (idle_read((int)(2 * g - 1)) != 0) {
			FAIL("round %llu: the helper did not answer", (unsigned long long)g);
			break;
		}
		if (idle.faulted || idle.value != WORD(TAG_PAGE, g)) {
			FAIL("round %llu: before the remap the helper on cpu %d read %#llx (%s)%s, "
			     "expected %#llx", (unsigned long long)g, idle.cpu,
			     (unsigned long long)idle.value, tag_name(idle.value),
			     idle.faulted ? " / faulted" : "",
			     (unsigned long long)WORD(TAG_PAGE, g));
			bad++;
			break;
		}
		sleep_ms(2);		/* let its CPU go idle */
		if (munmap(idle.page, PAGE) != 0) {
			FAIL("munmap(P): %s", errname(errno));
			break;
		}
		char *s = mmap(idle.scratch, PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		char *p = s == idle.scratch ? mmap(idle.page, PAGE, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
					    : MAP_FAILED;
		if (s != idle.scratch || p != idle.page) {
			FAIL("mmap(MAP_FIXED): %s", errname(errno));
			break;
		}
		fill_page(s, WORD(TAG_SCRATCH, g + 1));
		fill_page(p, WORD(TAG_PAGE, g + 1));
		/* woken on its idle CPU, the helper must see the new page */
		if (idle_read((int)(2 * g)) != 0) {
			FAIL("round %llu: the helper did not answer", (unsigned long long)g);
			break;
		}
		if (idle.faulted || idle.value != WORD(TAG_PAGE, g + 1)) {
			FAIL("stale TLB entry on an idle CPU: round %llu, the helper woken on cpu %d "
			     "read %#llx (%s, gen %llu)%s from P, expected %#llx: P was unmapped and "
			     "mapped again (by cpu %d) while the helper slept",
			     (unsigned long long)g, idle.cpu, (unsigned long long)idle.value,
			     tag_name(idle.value), (unsigned long long)GEN_OF(idle.value),
			     idle.faulted ? " / faulted" : "",
			     (unsigned long long)WORD(TAG_PAGE, g + 1), wcpu);
			bad++;
		}
		if (idle.cpu != rcpu && !bad++)
			FAIL("the helper runs on cpu %d, pinned to %d", idle.cpu, rcpu);
		munmap(s, PAGE);
		done++;
	}
	__atomic_store_n(&idle.cmd, -1, __ATOMIC_RELEASE);
	futex(&idle.cmd, FUTEX_WAKE, 1, NULL);
	pthread_join(t, NULL);
	unpin();
	uncatch_faults();
	if (idle.pin_failed)
		FAIL("the helper could not be pinned to cpu %d", rcpu);
	DIAG("%ld of %ld rounds, remaps on cpu %d, helper on cpu %d", done, n, wcpu, rcpu);
	EXPECT_GT(done, 0);
	munmap(base, 2 * PAGE);
}

/* ================================================================ test 6 */

/*
 * pcid_reentry_noflush: with PCIDs the CPU tags each TLB entry with the
 * PCID in CR3 when it was made, and a CR3 write with bit 63 set (NOFLUSH)
 * keeps the entries of the PCID it loads (SDM Vol. 3A 4.10.1, 4.10.4.1).
 * Each CPU keeps a few ASID slots (mm/asid.h); switching back to an mm
 * that still owns its slot, with no flush owed since (its tlb_gen), is
 * the case PCIDs are for: the kernel finds the slot (asid_hit) and writes
 * CR3 without flushing (cr3_noflush).  Under PTI the return to ring 3
 * loads the user twin of that PCID, NOFLUSH too unless a flush of it is
 * pending (user_cr3_noflush).
 *
 * The parent and a forked child, both pinned to one CPU, hand a byte to
 * each other over two pipes: every hand-over blocks one and wakes the
 * other, so each round trip is two switches between two recently run
 * processes.  The counters are per CPU (/proc/switchyard's "tlbN:" line):
 * other work on that CPU can only add to them, so only lower bounds are
 * checked - each of the three grows by at least the number of round trips.
 * A few rounds run before the first reading: the fork write-protected the
 * parent's pages (a flush it is owed) and the child's first writes break
 * copy-on-write, so their first switches flush for good reasons.
 *
 * Only with pcid_mode native: "virtual" (QEMU's TCG has no PCID) still
 * keeps the slots (asid_hit counts), but CR3 gets neither a PCID nor
 * NOFLUSH, so every write flushes and counts as cr3_flush; "off" has one
 * slot, flushed on every switch.
 */
#define COUNTERS	"/proc/switchyard"
#define PP_ROUNDS	200
#define PP_WARMUP	8

struct tlb_counters {
	unsigned long cr3_noflush, cr3_flush, asid_hit, asid_miss;
	unsigned long user_cr3_noflush, user_cr3_flush, user_flush_deferred;
	unsigned long invpcid_single;
};

/* The whole of /proc/switchyard (one snapshot, generated at open): its
 * length, or -1. */
static ssize_t read_counters(char *buf, size_t size)
{
	return read_file(COUNTERS, buf, size);
}

/* The line of BUF that starts with PREFIX (up to its newline) into OUT,
 * without the prefix; 0, or -1 if there is none. */
static int counters_line(const char *buf, const char *prefix, char *out, size_t size)
{
	size_t plen = strlen(prefix);
	for (const char *line = buf; *line; ) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len >= plen && strncmp(line, prefix, plen) == 0) {
			len -= plen;
			if (len >= size)
				len = size - 1;
			memcpy(out, line + plen, len);
			out[len] = '\0';
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -1;
}

/* "NAME VALUE" in a tlbN line; the leading space keeps "cr3_noflush"
 * from matching inside "user_cr3_noflush".  0, or -1 if missing. */
static int counter_value(const char *line, const char *name, unsigned long *value)
{
	char key[48];
	snprintf(key, sizeof(key), " %s ", name);
	const char *at = strstr(line, key);
	if (!at)
		return -1;
	char *end;
	*value = strtoul(at + strlen(key), &end, 10);
	return end == at + strlen(key) ? -1 : 0;
}

/* CPU's tlbN counters: 0, or -1 (and a failure naming what is missing). */
static int read_tlb_counters(int cpu, struct tlb_counters *c)
{
	static const struct {
		const char *name;
		size_t offset;
	} fields[] = {
		{ "cr3_noflush", offsetof(struct tlb_counters, cr3_noflush) },
		{ "cr3_flush", offsetof(struct tlb_counters, cr3_flush) },
		{ "asid_hit", offsetof(struct tlb_counters, asid_hit) },
		{ "asid_miss", offsetof(struct tlb_counters, asid_miss) },
		{ "user_cr3_noflush", offsetof(struct tlb_counters, user_cr3_noflush) },
		{ "user_cr3_flush", offsetof(struct tlb_counters, user_cr3_flush) },
		{ "user_flush_deferred", offsetof(struct tlb_counters, user_flush_deferred) },
		{ "invpcid_single", offsetof(struct tlb_counters, invpcid_single) },
	};
	char buf[8192], prefix[16], line[512];

	if (read_counters(buf, sizeof(buf)) <= 0) {
		FAIL("read %s: %s", COUNTERS, errname(errno));
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "tlb%d:", cpu);
	if (counters_line(buf, prefix, line, sizeof(line)) != 0) {
		FAIL("%s has no \"%s\" line", COUNTERS, prefix);
		return -1;
	}
	/* LINE is what follows "tlbN:", so it starts with a space */
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (counter_value(line, fields[i].name,
				  (unsigned long *)((char *)c + fields[i].offset)) != 0) {
			FAIL("%s: no %s in \"%s%s\"", COUNTERS, fields[i].name, prefix, line);
			return -1;
		}
	return 0;
}

/* The child: echo each byte back, from CPU only, until the parent closes
 * its end (EOF). */
static void pingpong_child(int cpu, int in, int out)
{
	char c;
	ssize_t n;
	long rounds = 0;

	while ((n = read(in, &c, 1)) == 1) {
		int now = current_cpu();
		if (now != cpu) {
			FAIL("child, round %ld: runs on cpu %d, pinned to %d", rounds, now, cpu);
			break;
		}
		if (write(out, &c, 1) != 1) {
			FAIL("child, round %ld: write: %s", rounds, errname(errno));
			break;
		}
		rounds++;
	}
	if (n < 0)
		FAIL("child, round %ld: read: %s", rounds, errname(errno));
	CHILD_EXIT();
}

/* ROUNDS round trips through the child, stopping at END (ns): how many
 * were completed. */
static long ping_pong(int out, int in, long rounds, long long end)
{
	long done = 0;

	while (done < rounds && now_ns() < end) {
		char c = (char)done;
		if (write(out, &c, 1) != 1) {
			FAIL("round %ld: write to the child: %s", done, errname(errno));
			break;
		}
		ssize_t n = read(in, &c, 1);
		if (n != 1) {
			FAIL("round %ld: read from the child: %s", done,
			     n == 0 ? "end of file (the child is gone)" : errname(errno));
			break;
		}
		done++;
	}
	return done;
}

/* A counter that must have grown by at least WANT: fail naming it if not. */
static void expect_growth(const char *name, unsigned long before, unsigned long after,
			  long want, int cpu, const char *why)
{
	long grew = (long)(after - before);
	if (grew < want)
		FAIL("%s on cpu %d grew by %ld over %ld round trips, expected at least %ld: %s",
		     name, cpu, grew, want, want, why);
}

TEST(pcid_reentry_noflush)
{
	char buf[8192], mode[32], pti[16];

	if (read_counters(buf, sizeof(buf)) <= 0)
		SKIP("not running on Switchyard (no " COUNTERS ")");
	if (counters_line(buf, "pcid_mode: ", mode, sizeof(mode)) != 0)
		snprintf(mode, sizeof(mode), "unknown");
	if (strcmp(mode, "native") != 0)
		SKIP("the CPU tags nothing: CR3 writes always flush (pcid_mode %s)", mode);
	if (counters_line(buf, "pti: ", pti, sizeof(pti)) != 0)
		snprintf(pti, sizeof(pti), "unknown");
	int user_check = strcmp(pti, "on") == 0;

	int cpu = cpus[ncpus - 1];
	ASSERT(pin_to(cpu) == 0);
	int to_child[2], to_parent[2];
	if (pipe(to_child) != 0) {
		FAIL("pipe: %s", errname(errno));
		unpin();
		return;
	}
	if (pipe(to_parent) != 0) {
		FAIL("pipe: %s", errname(errno));
		close(to_child[0]);
		close(to_child[1]);
		unpin();
		return;
	}
	/* a child that dies early must not take the parent with SIGPIPE */
	struct sigaction ign, old_pipe;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &ign, &old_pipe);

	pid_t pid = fork();
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		/* inherits the pinning; pin again so a lost mask shows */
		if (pin_to(cpu) != 0)
			FAIL("child: could not pin to cpu %d", cpu);
		else
			pingpong_child(cpu, to_child[0], to_parent[1]);
		CHILD_EXIT();
	}
	close(to_child[0]);
	close(to_parent[1]);
	if (pid < 0) {
		FAIL("fork: %s", errname(errno));
		close(to_child[1]);
		close(to_parent[0]);
		sigaction(SIGPIPE, &old_pipe, NULL);
		unpin();
		return;
	}

	long n = iters(PP_ROUNDS), done = 0;
	long long end = now_ns() + budget_ms * 1000000LL;
	struct tlb_counters before, after;
	int counted = 0;
	long warm = ping_pong(to_child[1], to_parent[0], PP_WARMUP, end);
	if (warm != PP_WARMUP && !ktap.failed)
		FAIL("only %ld of %d warm-up round trips in the %ld ms budget",
		     warm, PP_WARMUP, budget_ms);
	if (warm == PP_WARMUP && read_tlb_counters(cpu, &before) == 0) {
		long long start = now_ns();
		done = ping_pong(to_child[1], to_parent[0], n, end);
		long ms = (long)((now_ns() - start) / 1000000);
		counted = read_tlb_counters(cpu, &after) == 0;
		if (counted)
			DIAG("cpu %d, %ld of %ld round trips in %ld ms, pti %s: cr3_noflush +%lu "
			     "cr3_flush +%lu asid_hit +%lu asid_miss +%lu user_cr3_noflush +%lu "
			     "user_cr3_flush +%lu user_flush_deferred +%lu invpcid_single +%lu",
			     cpu, done, n, ms, pti,
			     after.cr3_noflush - before.cr3_noflush,
			     after.cr3_flush - before.cr3_flush,
			     after.asid_hit - before.asid_hit,
			     after.asid_miss - before.asid_miss,
			     after.user_cr3_noflush - before.user_cr3_noflush,
			     after.user_cr3_flush - before.user_cr3_flush,
			     after.user_flush_deferred - before.user_flush_deferred,
			     after.invpcid_single - before.invpcid_single);
	}
	if (current_cpu() != cpu)
		FAIL("the parent runs on cpu %d, pinned to %d", current_cpu(), cpu);

	close(to_child[1]);		/* EOF: the child exits */
	int status = wait_for(pid);
	close(to_parent[0]);
	sigaction(SIGPIPE, &old_pipe, NULL);
	unpin();
	EXPECT_EXIT(status, 0);

	if (!counted)
		return;
	if (done < n)
		DIAG("the %ld ms budget ended the loop early (seconds=S raises it)", budget_ms);
	EXPECT_GT(done, 0);
	expect_growth("asid_hit", before.asid_hit, after.asid_hit, done, cpu,
		      "switching back to a process run a moment ago did not find its ASID slot");
	expect_growth("cr3_noflush", before.cr3_noflush, after.cr3_noflush, done, cpu,
		      "switching back wrote CR3 without NOFLUSH, dropping the PCID's entries");
	if (user_check)
		expect_growth("user_cr3_noflush", before.user_cr3_noflush, after.user_cr3_noflush,
			      done, cpu, "the exit to ring 3 flushed the user PCID (pti on)");
}

static const struct ktap_test tests[] = {
	T(munmap_remap_never_stale),
	T(mprotect_readonly_never_writable),
	T(more_processes_than_asids),
	T(fork_cow_under_readers),
	T(idle_cpu_catches_up),
	T(pcid_reentry_noflush),
};

/* Take `iters=N` and `seconds=S` out of argv (the rest are test patterns). */
static int parse_params(int argc, char **argv)
{
	const char *env = getenv("TLB_ITERS");
	if (env && atol(env) > 0)
		iter_scale = atol(env);
	env = getenv("TLB_SECONDS");
	if (env && atol(env) > 0)
		budget_ms = atol(env) * 1000;
	int out = 1;
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "iters=", 6) == 0 && atol(argv[i] + 6) > 0)
			iter_scale = atol(argv[i] + 6);
		else if (strncmp(argv[i], "seconds=", 8) == 0 && atol(argv[i] + 8) > 0)
			budget_ms = atol(argv[i] + 8) * 1000;
		else
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	return out;
}

int main(int argc, char **argv)
{
	if (!(argc >= 2 && strcmp(argv[1], "--child") == 0))
		argc = parse_params(argc, argv);
	find_cpus();
	return ktap_main(argc, argv, tests, KTAP_COUNT(tests), NULL);
}
