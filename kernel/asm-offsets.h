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

/* struct percpu (kernel/percpu.h): the entry page ... */
#define PERCPU_user_rsp_scratch		8
#define PERCPU_entry_stack_top		16
#define PERCPU_user_cr3			24
#define PERCPU_kernel_cr3_noflush	32
#define PERCPU_pti			40
/* ... and the kernel-only part */
#define PERCPU_top_of_stack		4112

#define PTREGS_SIZE			176	/* struct pt_regs (kernel/traps.h) */

#define SYSCALL_VECTOR_MARK		0x100	/* pt_regs.vector of a system call */

#endif
