/*
 * test_vsnprintf.c - kernel/vsnprintf.c against the host C library.
 *
 * The kernel formatter must agree with glibc's printf for every conversion
 * it supports; each case formats with both and compares.  Truncation and the
 * return value (C99: the untruncated length) are checked separately.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include "unit.h"

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* kernel/vsnprintf.c is compiled with its symbols renamed (see below) */
#define vsnprintf kvsnprintf
#define snprintf ksnprintf
#include "kernel/vsnprintf.h"
#undef vsnprintf
#undef snprintf

static int same(const char *fmt, ...)
{
	char a[256], b[256];
	va_list ap, aq;
	int na, nb;

	va_start(ap, fmt);
	va_copy(aq, ap);
	na = kvsnprintf(a, sizeof(a), fmt, ap);
	nb = vsnprintf(b, sizeof(b), fmt, aq);
	va_end(aq);
	va_end(ap);
	if (na != nb || strcmp(a, b)) {
		printf("    # format \"%s\": kernel \"%s\" (%d), libc \"%s\" (%d)\n",
		       fmt, a, na, b, nb);
		return 0;
	}
	return 1;
}

UNIT_TEST(integers)
{
	CHECK(same("%d %i %u", 42, -42, 42u));
	CHECK(same("%d", INT32_MIN));
	CHECK(same("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX));
	CHECK(same("%lld %llx", -1LL, 0xdeadbeefcafeULL));
	CHECK(same("%zu %zx", (size_t)12345, (size_t)0xabc));
	CHECK(same("%hhd %hd %hhu", 300, 70000, 257));
	CHECK(same("%x %X %o", 0xabcdefu, 0xabcdefu, 8u));
}

UNIT_TEST(flags_width_precision)
{
	CHECK(same("[%5d] [%-5d] [%05d]", 42, 42, 42));
	CHECK(same("[%+d] [% d] [%+d]", 5, 5, -5));
	CHECK(same("[%#x] [%#X] [%#o] [%#x]", 255u, 255u, 8u, 0u));
	CHECK(same("[%016lx] [%#018lx]", 0x1234UL, 0x1234UL));
	CHECK(same("[%.3d] [%8.3d] [%-8.3d|]", 7, 7, -7));
	CHECK(same("[%.0d] [%.0x]", 0, 0u));
	CHECK(same("[%*d] [%-*d] [%.*d]", 6, 1, 6, 1, 4, 1));
	CHECK(same("[%*d]", -6, 1));
	CHECK(same("[%05d] [%-05d]", -42, -42));
}

UNIT_TEST(strings_chars_pointers)
{
	CHECK(same("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc"));
	CHECK(same("[%.*s]", 3, "abcdef"));
	CHECK(same("[%c%c] [%3c] [%-3c]", 'o', 'k', 'x', 'y'));
	CHECK(same("%p", (void *)0xffffffff80001000UL));
	CHECK(same("100%% sure"));
}

UNIT_TEST(null_string)
{
	char buf[32];

	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%s", (char *)NULL), 6);
	CHECK_STR(buf, "(null)");
}

UNIT_TEST(truncation_and_return_value)
{
	char buf[8];

	memset(buf, 'X', sizeof(buf));
	CHECK_EQ(ksnprintf(buf, 5, "%s", "abcdefgh"), 8);
	CHECK_STR(buf, "abcd");
	CHECK_EQ(buf[5], 'X');			/* nothing written past size */
	CHECK_EQ(ksnprintf(buf, 0, "%d", 12345), 5);
	CHECK_EQ(buf[0], 'a');			/* size 0 writes nothing */
	CHECK_EQ(ksnprintf(buf, 1, "%d", 12345), 5);
	CHECK_STR(buf, "");
}

UNIT_TEST(odd_formats)
{
	char buf[32];

	CHECK_EQ(ksnprintf(buf, sizeof(buf), "abc%"), 4);	/* lone % */
	CHECK_STR(buf, "abc%");
	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%q"), 2);	/* unknown */
	CHECK_STR(buf, "%q");
	CHECK_EQ(ksnprintf(buf, sizeof(buf), "%99999999999d", 1) > 0, 1);
}

int main(void)
{
	return unit_run_all();
}
