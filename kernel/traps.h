/*
 * traps.h - the register frame saved on every interrupt and exception, and
 * the exception handlers.
 *
 * struct pt_regs has Linux's field order and names (arch/x86/include/asm/
 * ptrace.h), with the vector kept next to the error code.  The entry stubs
 * in kernel/entry.S build it; the bottom five fields are what the CPU itself
 * pushes (SDM Vol. 3A, "64-Bit Mode Stack Frame").
 */
#ifndef KERNEL_TRAPS_H
#define KERNEL_TRAPS_H

#include "kernel/types.h"

struct pt_regs {
	u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	u64 ax, cx, dx, si, di;
	u64 vector;		/* pushed by our stub */
	u64 error_code;		/* pushed by the CPU, or 0 by our stub */
	u64 ip, cs, flags, sp, ss;	/* pushed by the CPU */
};

/* exception vectors (SDM Vol. 3A, "Exception and Interrupt Vectors") */
#define X86_TRAP_DE	0	/* divide error */
#define X86_TRAP_DB	1	/* debug */
#define X86_TRAP_NMI	2
#define X86_TRAP_BP	3	/* int3 */
#define X86_TRAP_OF	4
#define X86_TRAP_BR	5
#define X86_TRAP_UD	6	/* invalid opcode */
#define X86_TRAP_NM	7	/* device not available */
#define X86_TRAP_DF	8	/* double fault */
#define X86_TRAP_TS	10
#define X86_TRAP_NP	11
#define X86_TRAP_SS	12
#define X86_TRAP_GP	13	/* general protection */
#define X86_TRAP_PF	14	/* page fault */
#define X86_TRAP_MF	16
#define X86_TRAP_AC	17
#define X86_TRAP_MC	18
#define X86_TRAP_XF	19
#define X86_TRAP_VE	20
#define X86_TRAP_CP	21

/* page-fault error code bits (SDM Vol. 3A, "Page-Fault Error Code") */
#define X86_PF_PROT	BIT(0)	/* 0: not present, 1: protection */
#define X86_PF_WRITE	BIT(1)
#define X86_PF_USER	BIT(2)
#define X86_PF_RSVD	BIT(3)
#define X86_PF_INSTR	BIT(4)
#define X86_PF_PK	BIT(5)
#define X86_PF_SHSTK	BIT(6)
#define X86_PF_SGX	BIT(15)

static inline bool user_mode(const struct pt_regs *regs)
{
	return regs->cs & 3;
}

void do_trap(struct pt_regs *regs);
void show_regs(const struct pt_regs *regs);
void report_exception(const struct pt_regs *regs, u64 cr2);
const char *exception_name(unsigned vector);

#endif
