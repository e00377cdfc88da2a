/*
 * stacktrace.c - frame-pointer backtraces, symbolized through kallsyms.
 *
 * Invariant: the walker never dereferences a frame pointer it has not
 * checked: 8-byte aligned, inside memory the boot page tables map (kernel
 * image or direct map), and strictly above the previous frame (stacks grow
 * down, so callers' frames are at higher addresses) - a corrupt chain ends
 * the trace instead of faulting inside the fault report.
 */
#include "kernel/stacktrace.h"
#include "kernel/kallsyms.h"
#include "kernel/layout.h"
#include "kernel/printk.h"

static bool frame_ok(u64 bp, u64 prev)
{
	bool mapped = (bp >= (u64)_text && bp + 16 <= (u64)_end) ||
		      (bp >= PAGE_OFFSET && bp + 16 <= PAGE_OFFSET + BOOT_DIRECT_MAP_SIZE);

	return bp && !(bp & 7) && mapped && bp > prev;
}

int save_stack_trace(u64 bp, u64 *ips, int max)
{
	u64 prev = 0;
	int n = 0;

	while (n < max && frame_ok(bp, prev)) {
		const u64 *frame = (const u64 *)bp;

		if (!frame[1])
			break;
		ips[n++] = frame[1];
		prev = bp;
		bp = frame[0];
	}
	return n;
}

static void print_addr(const char *loglvl, u64 addr)
{
	char sym[128];

	sprint_symbol(sym, sizeof(sym), addr);
	printk("%s [<%016lx>] %s\n", loglvl, (unsigned long)addr, sym);
}

void show_stack(u64 ip, u64 bp, const char *loglvl)
{
	u64 ips[STACKTRACE_MAX_DEPTH];
	int n = save_stack_trace(bp, ips, STACKTRACE_MAX_DEPTH);

	printk("%sCall Trace:\n", loglvl);
	if (ip)
		print_addr(loglvl, ip);
	for (int i = 0; i < n; i++)
		print_addr(loglvl, ips[i]);
	if (n == STACKTRACE_MAX_DEPTH)
		printk("%s ... (trace truncated)\n", loglvl);
}

void dump_stack(void)
{
	show_stack(0, (u64)__builtin_frame_address(0), KERN_ERR);
}
