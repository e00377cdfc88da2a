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
#include "kernel/smp.h"
#include "kernel/atomic.h"

static bool panic_exit;
static atomic_t panic_count;	/* panics on any CPU so far */

void panic_set_exit(bool exit_machine)
{
	panic_exit = exit_machine;
}

void panic(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	local_irq_disable();
	/* one CPU reports; a second panic (here or on another CPU) just stops */
	if (atomic_fetch_add(1, &panic_count)) {
		printk_raw("\nKernel panic - not syncing: nested panic on cpu%d, halting\n",
			   smp_processor_id());
		halt_forever();
	}
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", buf);
	dump_stack();
	smp_stop_other_cpus_with_backtrace();	/* see what the others were doing */
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
