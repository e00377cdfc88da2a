/*
 * traps_test.c - in-kernel tests of the exception path and its report.
 *
 * Each test provokes one exception on purpose at an instruction that has an
 * EX_TYPE_REPORT fix-up: the real entry stub, do_trap() and the report code
 * run, the report lands in the log buffer, and execution resumes after the
 * faulting instruction.  The test then reads the log back and checks what a
 * person would look for: the exception's name, the decoded error code, and
 * RIP symbolized as this very test function.
 */
#include "kernel/ktest.h"
#include "kernel/extable.h"
#include "kernel/printk.h"
#include "kernel/kallsyms.h"
#include "kernel/stacktrace.h"
#include "kernel/traps.h"
#include "kernel/layout.h"
#include "kernel/cpu.h"
#include "mm/mm.h"

KTEST(trap_ud_reported)
{
	u64 pos = log_pos();
	int resumed = 0;

	asm volatile("1: ud2\n"
		     "2: movl $1, %0\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : "=r"(resumed));
	KEXPECT_EQ(resumed, 1);
	KEXPECT(log_contains_since(pos, "invalid opcode: 0000 [vector 6 #UD]"));
	KEXPECT(log_contains_since(pos, "RIP: 0010:ktest_fn_trap_ud_reported+0x"));
	KEXPECT(log_contains_since(pos, "Call Trace:"));
}

KTEST(trap_pf_not_present_reported)
{
	/* The identity map is gone, so a low address is not present. */
	volatile u64 *bad = (volatile u64 *)0x1000;
	u64 pos = log_pos(), val = 0;

	asm volatile("1: movq (%1), %0\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : "+r"(val) : "r"(bad) : "memory");
	KEXPECT(log_contains_since(pos, "BUG: unable to handle page fault for address: 0000000000001000"));
	KEXPECT(log_contains_since(pos, "#PF: supervisor read access in kernel mode"));
	KEXPECT(log_contains_since(pos, "#PF: error_code(0x0000) - not-present page"));
	KEXPECT(log_contains_since(pos, "page fault: 0000 [vector 14 #PF]"));
	KEXPECT(log_contains_since(pos, "RIP: 0010:ktest_fn_trap_pf_not_present_reported+0x"));
	KEXPECT(log_contains_since(pos, "CR2: 0000000000001000"));
}

KTEST(trap_pf_write_reported)
{
	volatile u64 *bad = (volatile u64 *)0x2000;
	u64 pos = log_pos();

	asm volatile("1: movq $42, (%0)\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : : "r"(bad) : "memory");
	KEXPECT(log_contains_since(pos, "#PF: supervisor write access in kernel mode"));
	KEXPECT(log_contains_since(pos, "#PF: error_code(0x0002) - not-present page"));
}

KTEST(trap_gp_noncanonical_reported)
{
	/* Bits 63:47 not all equal: a non-canonical address raises #GP, not
	 * #PF (SDM Vol. 3A, "Canonical Addressing"). */
	u64 bad = 0x8000000000000000ULL, val = 0;
	u64 pos = log_pos();

	asm volatile("1: movq (%1), %0\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : "+r"(val) : "r"(bad) : "memory");
	KEXPECT(log_contains_since(pos, "general protection fault: 0000 [vector 13 #GP]"));
	KEXPECT(log_contains_since(pos, "RIP: 0010:ktest_fn_trap_gp_noncanonical_reported+0x"));
}

KTEST(trap_de_reported)
{
	u64 pos = log_pos();
	u32 zero = 0, quotient = 7;

	asm volatile("xorl %%edx, %%edx\n"
		     "1: divl %1\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : "+a"(quotient) : "r"(zero) : "rdx");
	KEXPECT(log_contains_since(pos, "divide error: 0000 [vector 0 #DE]"));
}

KTEST(trap_int3_continues)
{
	u64 pos = log_pos();

	asm volatile("int3");
	KEXPECT(log_contains_since(pos, "int3 in kernel mode, continuing"));
	KEXPECT(log_contains_since(pos, "[vector 3 #BP]"));
}

/* Registers the CPU saved must reach pt_regs unchanged: load known values,
 * fault, and check the report prints them. */
KTEST(trap_regs_saved)
{
	u64 pos = log_pos();

	asm volatile("movq $0x1111222233334444, %%rbx\n"
		     "movq $0x5555666677778888, %%r12\n"
		     "movq $0x0123456789abcdef, %%r15\n"
		     "1: ud2\n"
		     "2:\n"
		     _ASM_EXTABLE(1b, 2b, EX_TYPE_REPORT)
		     : : : "rbx", "r12", "r15");
	KEXPECT(log_contains_since(pos, "RBX: 1111222233334444"));
	KEXPECT(log_contains_since(pos, "R12: 5555666677778888"));
	KEXPECT(log_contains_since(pos, "R15: 0123456789abcdef"));
}

KTEST(extable_lookup)
{
	extern const struct exception_table_entry __start___ex_table[], __stop___ex_table[];

	KASSERT(&__stop___ex_table[0] > &__start___ex_table[0]);
	KEXPECT(search_exception_tables(__start___ex_table[0].insn) == &__start___ex_table[0]);
	KEXPECT(search_exception_tables((u64)kallsyms_lookup) == NULL);
}

KTEST(kallsyms_lookup_functions)
{
	u64 off, size;
	u64 addr = kallsyms_lookup_name("kmain");
	const char *name;
	char buf[128];

	KASSERT(addr != 0);
	name = kallsyms_lookup(addr, &off, &size);
	KASSERT(name != NULL);
	KEXPECT(!__builtin_strcmp(name, "kmain"));
	KEXPECT_EQ(off, 0);
	KEXPECT(size > 0);
	name = kallsyms_lookup(addr + 5, &off, NULL);
	KEXPECT(name && !__builtin_strcmp(name, "kmain"));
	KEXPECT_EQ(off, 5);
	KEXPECT(kallsyms_lookup((u64)&off, NULL, NULL) == NULL);	/* a stack address */
	KEXPECT(kallsyms_lookup(0, NULL, NULL) == NULL);
	sprint_symbol(buf, sizeof(buf), (u64)ktest_run + 1);
	KEXPECT(!__builtin_strncmp(buf, "ktest_run+0x1/0x", 16));
}

/* noipa: no inlining and no ".constprop" clones, so the names are exact */
static __attribute__((noipa)) int trace_leaf(u64 *ips, int max)
{
	int n = save_stack_trace((u64)__builtin_frame_address(0), ips, max);

	barrier();		/* keep this a real call, not a tail call */
	return n;
}

/* noipa: no inlining and no ".constprop" clones, so the names are exact */
static __attribute__((noipa)) int trace_middle(u64 *ips, int max)
{
	int n = trace_leaf(ips, max);

	barrier();
	return n;
}

KTEST(backtrace_walks_callers)
{
	u64 ips[STACKTRACE_MAX_DEPTH];
	int n = trace_middle(ips, STACKTRACE_MAX_DEPTH);
	const char *names[3] = { 0 };

	KASSERT(n >= 3);
	for (int i = 0; i < 3; i++)
		names[i] = kallsyms_lookup(ips[i], NULL, NULL);
	/* ips[0] is where trace_leaf returns to: inside trace_middle */
	KEXPECT(names[0] && !__builtin_strcmp(names[0], "trace_middle"));
	KEXPECT(names[1] && !__builtin_strcmp(names[1], "ktest_fn_backtrace_walks_callers"));
	KEXPECT(names[2] && !__builtin_strcmp(names[2], "ktest_run"));
	/* and it ends at kmain, whose caller's frame pointer is 0 */
	KEXPECT(!__builtin_strcmp(kallsyms_lookup(ips[n - 1], NULL, NULL), "kmain") ||
		!__builtin_strcmp(kallsyms_lookup(ips[n - 1], NULL, NULL), "higher_half"));
}

KTEST(no_identity_map)
{
	/* The boot tables' identity map is gone: low addresses are unmapped
	 * in the kernel's page tables, so NULL dereferences fault. */
	KEXPECT(follow_pte(&init_mm, 0, NULL, NULL) < 0);
	KEXPECT(follow_pte(&init_mm, 0x1000, NULL, NULL) < 0);
	KEXPECT(follow_pte(&init_mm, (u64)kallsyms_lookup, NULL, NULL) == 0);
}
