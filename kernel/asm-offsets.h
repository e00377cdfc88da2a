/*
 * asm-offsets.h - structure offsets the assembly needs, by hand.
 *
 * Linux generates these from C at build time; here there are few enough
 * to write down, and each is checked against the C structure by a
 * _Static_assert next to that structure's definition, so a layout change
 * breaks the build instead of the entry code.
 */
#ifndef KERNEL_ASM_OFFSETS_H
#define KERNEL_ASM_OFFSETS_H

#define PERCPU_top_of_stack		24	/* struct percpu (kernel/percpu.h) */
#define PERCPU_user_rsp_scratch		48

#define PTREGS_SIZE			176	/* struct pt_regs (kernel/traps.h) */

#define SYSCALL_VECTOR_MARK		0x100	/* pt_regs.vector of a system call */

#endif
