/*
 * panic.h - stop the kernel with a report, and assertions.
 *
 * panic() prints "Kernel panic - not syncing: <why>" (Linux's words, which
 * test parsers look for) and a backtrace, then either halts (interactive
 * use: the message stays on the screen) or ends the machine with
 * EXIT_PANIC (test runs: `panic=exit`, implied by `ktest=`).
 */
#ifndef KERNEL_PANIC_H
#define KERNEL_PANIC_H

#include "kernel/types.h"

void __noreturn panic(const char *fmt, ...) __printf(1, 2);
void panic_set_exit(bool exit_machine);
void __warn(const char *file, int line, const char *cond);

#define BUG_ON(cond) do {						\
	if (unlikely(cond))						\
		panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond);	\
} while (0)

#define WARN_ON(cond) ({						\
	bool __c = !!(cond);						\
	if (unlikely(__c))						\
		__warn(__FILE__, __LINE__, #cond);			\
	__c;								\
})

#endif
