/*
 * bench.h - what every benchmark program in /bench/ shares: reading the
 * instruction clock, taking per-iteration samples, the kernel's counters,
 * and printing one result line per operation (docs/performance.md).
 *
 * The clock is RDTSC.  Under QEMU with `-icount shift=0` the guest's TSC
 * advances exactly one tick per executed guest instruction (every vCPU's,
 * as icount is one clock for the machine), and Bochs advances it once per
 * instruction too, so a TSC delta is an instruction count, not a time.
 * The `calib` program checks that claim with a loop of known length.  On
 * real hardware the same code runs and reports cycles instead.
 *
 * Result lines (tests/bench.py parses them; everything else is ignored):
 *
 *   bench: OP n=N median=M min=L [COUNTER=PER_ITER|n/a ...]
 *   bench: info KEY=VALUE ...
 *   bench: skip OP: REASON
 *
 * M and L are the median and minimum of N per-iteration TSC deltas, minus
 * the cost of the empty measurement itself.  COUNTER is a /proc/switchyard
 * event count summed over all CPUs, (after - before) / N around the whole
 * measured loop; "n/a" where the file or the counter does not exist (on a
 * Linux host, or before the kernel grows that counter).
 *
 * Every program takes --quick: one iteration of each operation, no
 * warm-up, lines printed as KTAP diagnostics ("# bench: ..."): what `make
 * test` runs, through /tests/bench_smoke, so a broken benchmark is caught
 * without paying for a measurement.
 */
#ifndef USER_BENCH_H
#define USER_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNTERS_FILE	"/proc/switchyard"

/* futex(2) operations (Linux's uapi values; musl has no <linux/futex.h>) */
#define FUTEX_WAIT_PRIVATE	(0 | 128)
#define FUTEX_WAKE_PRIVATE	(1 | 128)
#define MAX_SAMPLES	4096

static __attribute__((unused)) int bench_quick;
static int nr_cpus;
static const char *bench_prog = "bench";

/* Each line is one write(2): no stdio buffer to duplicate into children. */
static __attribute__((unused)) void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char buf[1024];
	int pre = 0;
	if (bench_quick) {
		/* Under /tests/bench_smoke, inside init's KTAP document: a
		 * diagnostic line at the document's indentation. */
		const char *indent = getenv("KTAP_INDENT");
		int spaces = indent ? atoi(indent) : 0;
		if (spaces < 0 || spaces > 32)
			spaces = 0;
		pre = snprintf(buf, sizeof(buf), "%*s# ", spaces, "");
	}
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + pre, sizeof(buf) - 1 - pre, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += pre;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n; ) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0)
			return;
		off += (int)w;
	}
}

static __attribute__((unused)) void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	say("%s: error: %s", bench_prog, buf);
	exit(1);
}

/* Iterations: N normally, 1 with --quick. */
static __attribute__((unused)) int iters(int n)
{
	return bench_quick ? 1 : n;
}

static __attribute__((unused)) void bench_init(int argc, char **argv, const char *name)
{
	bench_prog = name;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	nr_cpus = ncpu > 0 ? (int)ncpu : 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--quick") == 0)
			bench_quick = 1;
}

/* ---------------------------------------------------------------- clock */

/*
 * LFENCE keeps a real CPU from reading the TSC before earlier
 * instructions finished (SDM Vol. 2B, RDTSC); emulators ignore it.  The
 * fence and the shifts are counted too: bench_overhead() measures them.
 */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return ((uint64_t)hi << 32) | lo;
}

static __attribute__((unused)) uint64_t overhead;

static __attribute__((unused)) int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts S in place; returns the median. */
static __attribute__((unused)) uint64_t median_of(uint64_t *s, int n)
{
	qsort(s, n, sizeof(*s), cmp_u64);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The smallest empty measurement: what every sample has in it besides the
 * operation itself. */
static __attribute__((unused)) void bench_overhead(void)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 64; i++) {
		uint64_t t0 = rdtsc();
		uint64_t t1 = rdtsc();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	overhead = best;
}

/* ---------------------------------------------------------------- counters */

#define MAX_CTR 32

struct counters {
	int valid;			/* the file exists */
	int n;
	char name[MAX_CTR][24];
	unsigned long long value[MAX_CTR];
};

/* The counters each result line reports, in this order. */
static const char *const reported[] = {
	"switches", "cr3_loads", "migrations", "saves", "restores", "skipped",
	"cr3_writes", "flush_all", "flush_one", "page_faults", "calls", "idle_ms",
};
#define NR_REPORTED ((int)(sizeof(reported) / sizeof(reported[0])))

static __attribute__((unused)) void add_counter(struct counters *c, const char *name, unsigned long long v)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0) {
			c->value[i] += v;
			return;
		}
	if (c->n < MAX_CTR) {
		snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
		c->value[c->n++] = v;
	}
}

/*
 * Lines "PREFIX: word N word N ..." (cpuN:, fpuN:, tlb:, mm:, ipiN:) add
 * each word's N to the sum of that word over all lines, so per-CPU counts
 * come out as machine totals.  "name: N" lines (cpus, tasks, ...) are
 * gauges, not events, and are left out.
 */
static __attribute__((unused)) void read_counters(struct counters *c)
{
	char buf[4096];
	memset(c, 0, sizeof(*c));
	int fd = open(COUNTERS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	size_t len = 0;
	ssize_t r;
	while (len < sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	c->valid = 1;
	char *save;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strchr(line, ':');
		if (!p)
			continue;
		p++;
		char word[24];
		unsigned long long v;
		int used;
		while (sscanf(p, " %23[a-z0-9_] %llu%n", word, &v, &used) == 2) {
			add_counter(c, word, v);
			p += used;
		}
	}
}

static __attribute__((unused)) int find_counter(const struct counters *c, const char *name, unsigned long long *v)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0) {
			*v = c->value[i];
			return 1;
		}
	return 0;
}

/* The value of "KEY: word ..." in /proc/switchyard (e.g. "fpu" ->
 * "xsaveopt"), or "n/a". */
static __attribute__((unused)) void switchyard_word(const char *key, char *out, size_t size)
{
	char buf[4096];
	snprintf(out, size, "n/a");
	int fd = open(COUNTERS_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	size_t klen = strlen(key);
	for (char *line = buf; line && *line; ) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			sscanf(line + klen + 1, " %31s", out);
			return;
		}
		line = next;
	}
}

/* ---------------------------------------------------------------- running */

static __attribute__((unused)) uint64_t samples[MAX_SAMPLES];

/*
 * Run OP(ARG) WARM times unmeasured (page tables, caches, lazily built
 * kernel state), then N times measured, and print the result line.
 */
static __attribute__((unused)) void bench_run(const char *name, int n, int warm, void (*op)(void *), void *arg)
{
	struct counters before, after;

	if (n > MAX_SAMPLES)
		n = MAX_SAMPLES;
	if (!overhead)
		bench_overhead();
	for (int i = 0; i < (bench_quick ? 0 : warm); i++)
		op(arg);
	read_counters(&before);
	for (int i = 0; i < n; i++) {
		uint64_t t0 = rdtsc();
		op(arg);
		uint64_t t1 = rdtsc();
		uint64_t d = t1 - t0;
		samples[i] = d > overhead ? d - overhead : 0;
	}
	read_counters(&after);
	uint64_t med = median_of(samples, n);

	char line[1024];
	int len = snprintf(line, sizeof(line), "bench: %s n=%d median=%llu min=%llu",
			   name, n, (unsigned long long)med, (unsigned long long)samples[0]);
	for (int i = 0; i < NR_REPORTED && len < (int)sizeof(line) - 40; i++) {
		unsigned long long a, b;
		if (before.valid && after.valid && find_counter(&before, reported[i], &b) &&
		    find_counter(&after, reported[i], &a))
			len += snprintf(line + len, sizeof(line) - len, " %s=%.2f",
					reported[i], (double)(a - b) / n);
		else
			len += snprintf(line + len, sizeof(line) - len, " %s=n/a", reported[i]);
	}
	say("%s", line);
}

static __attribute__((unused)) void bench_skip(const char *name, const char *why)
{
	say("bench: skip %s: %s", name, why);
}

/* ---------------------------------------------------------------- CPUs */

/* musl counts the CPUs in the caller's affinity mask, so bench_init()
 * counts them before anything is pinned. */
static __attribute__((unused)) int online_cpus(void)
{
	return nr_cpus;
}

/* Pin the calling thread (0 = caller) to CPU; 0 on success. */
static __attribute__((unused)) int pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

#endif
