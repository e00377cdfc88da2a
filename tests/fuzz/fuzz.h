/*
 * fuzz.h - what every libFuzzer target in tests/fuzz/ shares.
 *
 * A target is built by tests/fuzz/run.py with clang -fsanitize=fuzzer,
 * address,undefined and -DHOST_TEST, like the host unit tests, so the
 * parser under test is the very file the kernel links.  AddressSanitizer
 * catches any read outside the input (every target hands the parser an
 * exact-size heap copy); FUZZ_ASSERT catches a result that breaks the
 * parser's documented invariants (the header comment of its .h file).
 * A failed assertion aborts, which libFuzzer records as a crash file.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

/* An exact-size heap copy of @n bytes (at least 1 byte is allocated so
 * malloc(0) is never asked for; the parser is told n). */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	if (!p)
		abort();
	if (n)
		memcpy(p, data, n);
	return p;
}

/* A char array field must hold a NUL inside its bounds. */
#define FUZZ_ASSERT_TERMINATED(arr) \
	FUZZ_ASSERT(memchr((arr), '\0', sizeof(arr)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
