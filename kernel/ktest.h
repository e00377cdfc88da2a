/*
 * ktest.h - in-kernel tests, reported in KTAP.
 *
 *   KTEST(kallsyms_finds_kmain)
 *   {
 *           KEXPECT(kallsyms_lookup_name("kmain") != 0);
 *           KEXPECT_EQ(x, 42);
 *           if (!boot_cpu_has(X86_FEATURE_PCID))
 *                   KSKIP("no PCID on this CPU");
 *   }
 *
 * KTEST puts a descriptor in the .ktest linker section; the runner
 * (kernel/ktest.c) walks the section, so a test file needs no registration
 * list.  `ktest=all` or `ktest=pat1,pat2` (shell-style '*' wildcards) on the
 * command line runs them at boot and exits the machine with the result.
 * A failed KEXPECT records the file, line and expression and the test goes
 * on; KASSERT also returns from the test.
 */
#ifndef KERNEL_KTEST_H
#define KERNEL_KTEST_H

#include "kernel/types.h"

struct ktest_ctx {
	int failures;
	bool skipped;
	char skip_reason[96];
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *t);
	const char *file;
};

#define KTEST(tname)							\
	static void ktest_fn_##tname(struct ktest_ctx *t);		\
	static const struct ktest ktest_##tname				\
	__used __section(".ktest") __aligned(8) = {			\
		.name = #tname, .fn = ktest_fn_##tname, .file = __FILE__, \
	};								\
	static void ktest_fn_##tname(struct ktest_ctx *t)

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
	__printf(4, 5);
void ktest_skip(struct ktest_ctx *t, const char *reason);

#define KEXPECT(cond) do {						\
	if (!(cond))							\
		ktest_fail(t, __FILE__, __LINE__, "expected %s", #cond); \
} while (0)

#define KEXPECT_EQ(a, b) do {						\
	long long __a = (long long)(a), __b = (long long)(b);		\
	if (__a != __b)							\
		ktest_fail(t, __FILE__, __LINE__,			\
			   "expected %s == %s, got %lld (0x%llx) vs %lld (0x%llx)", \
			   #a, #b, __a, __a, __b, __b);			\
} while (0)

#define KASSERT(cond) do {						\
	if (!(cond)) {							\
		ktest_fail(t, __FILE__, __LINE__, "assertion %s", #cond); \
		return;							\
	}								\
} while (0)

#define KSKIP(reason) do { ktest_skip(t, reason); return; } while (0)

/* Runs the tests matching @patterns; prints KTAP; returns the failure count. */
int ktest_run(const char *patterns);
int ktest_count(const char *patterns);
bool ktest_glob_match(const char *pattern, const char *name);

#endif
