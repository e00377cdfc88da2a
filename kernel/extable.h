/*
 * extable.h - exception fix-ups: "if this instruction faults, continue there".
 *
 * Like Linux's __ex_table: an instruction that may fault on purpose (a user
 * access, a probe of a possibly-missing MSR, a test that provokes a fault)
 * gets an entry (its address, where to resume, a type).  The trap handler
 * looks the faulting RIP up before treating a kernel fault as fatal.
 *
 *   EX_TYPE_DEFAULT  resume silently (the caller sees the fault through the
 *                    resume path, e.g. an error value set there)
 *   EX_TYPE_REPORT   print the full exception report first, then resume:
 *                    lets a KTAP test check the report without dying
 *   EX_TYPE_UACCESS  a copy to or from user memory (mm/uaccess.S): the
 *                    fault handler first tries to map the page (demand
 *                    paging) and retries; only if that fails does it resume
 */
#ifndef KERNEL_EXTABLE_H
#define KERNEL_EXTABLE_H

#define EX_TYPE_DEFAULT	0
#define EX_TYPE_REPORT	1
#define EX_TYPE_UACCESS	2	/* user access: may demand-fault, else resume */

#ifndef __ASSEMBLY__
#include "kernel/types.h"

struct exception_table_entry {
	u64 insn;
	u64 fixup;
	u64 type;
};

/* Use inside an asm() string: "1: insn\n 2:\n" _ASM_EXTABLE(1b, 2b, type).
 * Two levels so that a macro argument (EX_TYPE_REPORT) expands first. */
#define __stringify_1(x)	#x
#define __stringify(x)		__stringify_1(x)
#define _ASM_EXTABLE(from, to, type)				\
	".pushsection __ex_table, \"a\"\n\t"			\
	".balign 8\n\t"						\
	".quad " #from ", " #to ", " __stringify(type) "\n\t"	\
	".popsection\n\t"

struct pt_regs;
const struct exception_table_entry *search_exception_tables(u64 ip);
bool fixup_exception(struct pt_regs *regs, u64 cr2);
#endif

#endif
