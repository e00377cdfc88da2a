/*
 * catch.h - run a function and survive the first exception it takes.
 *
 *   int vec = catch_exception(fn, arg, stack_top, &info);
 *
 * runs fn(arg) (on @stack_top if non-NULL, else on the current stack) and
 * returns -1 if it returned normally, or the vector of the first kernel
 * exception it raised.  The exception is fully reported (the same report a
 * fatal one prints), then execution resumes in catch_exception() with the
 * callee-saved registers and stack pointer it had before the call.
 *
 * This exists for tests of faults that have no exception-table entry: an
 * instruction fetch from a user page (SMEP), a write to kernel text (WP), a
 * stack overflow into a guard page (which arrives as #DF on the IST stack).
 * Only one catch may be armed at a time per CPU; nesting is refused.
 */
#ifndef KERNEL_CATCH_H
#define KERNEL_CATCH_H

#include "kernel/types.h"

struct catch_info {
	u64 vector;
	u64 error_code;
	u64 ip;
	u64 sp;
	u64 cr2;
};

int catch_exception(void (*fn)(void *), void *arg, void *stack_top,
		    struct catch_info *info);

struct pt_regs;
/* Called by the trap code before a kernel exception becomes fatal. */
bool catch_exception_fixup(struct pt_regs *regs, u64 cr2);

#endif
