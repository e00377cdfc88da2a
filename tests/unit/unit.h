/*
 * unit.h - a minimal host unit-test harness (KTAP-style output).
 *
 *   UNIT_TEST(name) { ... CHECK(cond); CHECK_EQ(a, b); ... }
 *   int main(void) { return unit_run_all(); }
 *
 * Each test is a function registered by a constructor; a failed CHECK prints
 * the file, line and expression and marks the test failed (it goes on, so one
 * run shows every broken expectation).  Built with ASan and UBSan, so an
 * out-of-bounds read in the code under test aborts the binary: that is a
 * failure too, which is exactly what the parser tests are for.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

#define UNIT_MAX 128
static struct unit_test unit_tests[UNIT_MAX];
static int unit_count, unit_failed_current;

#define UNIT_TEST(name)							\
	static void unit_##name(void);					\
	__attribute__((constructor)) static void unit_reg_##name(void)	\
	{								\
		if (unit_count < UNIT_MAX)				\
			unit_tests[unit_count++] = (struct unit_test){ #name, unit_##name }; \
	}								\
	static void unit_##name(void)

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("    # %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		unit_failed_current = 1;				\
	}								\
} while (0)

#define CHECK_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b) {							\
		printf("    # %s:%d: %s == %lld, expected %s == %lld\n",	\
		       __FILE__, __LINE__, #a, _a, #b, _b);		\
		unit_failed_current = 1;				\
	}								\
} while (0)

#define CHECK_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	if (strcmp(_a, _b)) {						\
		printf("    # %s:%d: %s == \"%s\", expected \"%s\"\n",	\
		       __FILE__, __LINE__, #a, _a, _b);			\
		unit_failed_current = 1;				\
	}								\
} while (0)

static inline int unit_run_all(void)
{
	int failed = 0;

	/* line-buffered: a sanitizer abort must not swallow earlier lines */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", unit_count);
	for (int i = 0; i < unit_count; i++) {
		unit_failed_current = 0;
		unit_tests[i].fn();
		printf("%s %d %s\n", unit_failed_current ? "not ok" : "ok", i + 1,
		       unit_tests[i].name);
		failed += unit_failed_current;
	}
	printf("# Totals: pass:%d fail:%d\n", unit_count - failed, failed);
	return failed ? 1 : 0;
}

#endif
