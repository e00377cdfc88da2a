/*
 * fpu.h - the FPU hand-over at a context switch (the hook the scheduler
 * calls; the XSAVES issue fills it in).
 *
 * Kernel code never touches x87/SSE/AVX state (the Makefile builds it with
 * -mgeneral-regs-only), and until ring 3 exists no task owns FPU state,
 * so today there is nothing to hand over and switch_fpu() is empty.  The
 * FPU issue makes it: save prev's registers with XSAVES into its xstate
 * buffer (if prev used them since it last came in), record which CPU holds
 * whose registers (fpu_fpregs_owner_ctx), and defer the restore for next
 * to exit_to_user_mode() - the lazy restore (TIF_NEED_FPU_LOAD in Linux).
 *
 * Invariant: called once per switch, between switch_mm and switch_to,
 * with interrupts off.
 */
#ifndef FPU_FPU_H
#define FPU_FPU_H

struct task_struct;

static inline void switch_fpu(struct task_struct *prev, struct task_struct *next)
{
}

#endif
