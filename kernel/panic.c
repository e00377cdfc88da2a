/*
 * panic.c - the end of the line.
 *
 * Invariant: panic() must work from any state - inside an exception
 * handler, with a broken heap, or re-entered because panicking faulted.  So
 * it only uses printk (no allocation) and a nested panic just halts.
 * The SMP issue adds stopping the other CPUs with an NMI and printing their
 * backtraces before this one ends the machine.
 */
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/vsnprintf.h"
#include "kernel/stacktrace.h"
#include "kernel/machine.h"
#include "kernel/cpu.h"

static bool panic_exit;
static int panic_depth;

void panic_set_exit(bool exit_machine)
{
	panic_exit = exit_machine;
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	local_irq_disable();
	if (panic_depth++) {
		printk_raw("\nKernel panic - not syncing: nested panic, halting\n");
		halt_forever();
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", buf);
	dump_stack();
	printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", buf);
	if (panic_exit)
		machine_exit(EXIT_PANIC);
	halt_forever();
}

void __warn(const char *file, int line, const char *cond)
{
	printk(KERN_WARNING "WARNING: %s:%d: %s\n", file, line, cond);
	dump_stack();
}
