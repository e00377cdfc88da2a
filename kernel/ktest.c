/*
 * ktest.c - the in-kernel test runner: KTAP version 1 over the console.
 *
 * Output (Documentation/dev-tools/ktap.rst in Linux):
 *     KTAP version 1
 *     1..N
 *     ok 1 name
 *     # file.c:42: expected x == 1, got 2 ...
 *     not ok 2 name
 *     ok 3 name # SKIP reason
 *     # Totals: pass:P fail:F skip:S
 * The lines are printed raw (no printk time prefix) because the host
 * harness (tests/ktap.py) parses them.  "# running: name" before each test
 * lets the harness name a test that crashed the kernel.  Diagnostics come before the result
 * line they belong to, as kselftest does.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/vsnprintf.h"

extern const struct ktest __start_ktest[], __stop_ktest[];

void ktest_fail(struct ktest_ctx *t, const char *file, int line, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printk_raw("# %s:%d: %s\n", file, line, msg);
	t->failures++;
}

void ktest_skip(struct ktest_ctx *t, const char *reason)
{
	t->skipped = true;
	strlcpy(t->skip_reason, reason, sizeof(t->skip_reason));
}

/* '*' matches any run of characters; everything else matches itself. */
bool ktest_glob_match(const char *pat, const char *name)
{
	if (!*pat)
		return !*name;
	if (*pat == '*')
		return ktest_glob_match(pat + 1, name) ||
		       (*name && ktest_glob_match(pat, name + 1));
	return *name == *pat && ktest_glob_match(pat + 1, name + 1);
}

/* @patterns is "all" or a comma-separated list of globs */
static bool selected(const char *patterns, const char *name)
{
	char pat[64];
	const char *p = patterns;

	if (!strcmp(patterns, "all") || !*patterns)
		return true;
	while (*p) {
		size_t n = 0;

		while (p[n] && p[n] != ',')
			n++;
		if (n < sizeof(pat)) {
			memcpy(pat, p, n);
			pat[n] = '\0';
			if (ktest_glob_match(pat, name))
				return true;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

int ktest_count(const char *patterns)
{
	int n = 0;

	for (const struct ktest *k = __start_ktest; k < __stop_ktest; k++)
		n += selected(patterns, k->name);
	return n;
}

int ktest_run(const char *patterns)
{
	int nr = 0, pass = 0, fail = 0, skip = 0;

	printk_raw("KTAP version 1\n");
	printk_raw("1..%d\n", ktest_count(patterns));
	for (const struct ktest *k = __start_ktest; k < __stop_ktest; k++) {
		struct ktest_ctx ctx = { 0 };

		if (!selected(patterns, k->name))
			continue;
		nr++;
		/* so a test that kills the kernel is named in the harness */
		printk_raw("# running: %s\n", k->name);
		k->fn(&ctx);
		if (ctx.failures) {
			printk_raw("not ok %d %s\n", nr, k->name);
			fail++;
		} else if (ctx.skipped) {
			printk_raw("ok %d %s # SKIP %s\n", nr, k->name, ctx.skip_reason);
			skip++;
		} else {
			printk_raw("ok %d %s\n", nr, k->name);
			pass++;
		}
	}
	printk_raw("# Totals: pass:%d fail:%d skip:%d\n", pass, fail, skip);
	return fail;
}

/* The runner's own check: a failed expectation must be counted. */
KTEST(ktest_counts_failures)
{
	struct ktest_ctx inner = { 0 };

	printk_raw("# (the next diagnostic line is expected)\n");
	ktest_fail(&inner, __FILE__, __LINE__, "deliberate failure");
	KEXPECT_EQ(inner.failures, 1);
	KEXPECT(ktest_glob_match("trap_*", "trap_ud_reported"));
	KEXPECT(!ktest_glob_match("trap_*", "kallsyms_lookup"));
	KEXPECT(ktest_glob_match("*lookup", "kallsyms_lookup"));
	KEXPECT(selected("a,trap_*", "trap_pf"));
	KEXPECT(!selected("a,b", "c"));
}
