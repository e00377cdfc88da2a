/*
 * fpu.h - user FPU/SSE state: kept per task, switched eagerly.
 *
 * Kernel code never touches x87/SSE/AVX registers (the Makefile builds it
 * with -mgeneral-regs-only), so the registers a CPU holds always belong
 * to the last *user* task that ran there.  Each user task has a 512-byte
 * FXSAVE image (thread.fxstate).  switch_fpu() saves prev's registers into
 * its image and loads next's - eagerly, at every switch between user
 * tasks; kernel threads (no image) leave the registers alone, so a kernel
 * thread between two slices of one user task costs nothing.
 *
 * This is the simple baseline the FPU issue replaces: XSAVES with the
 * compacted format and supervisor components, and a lazy restore deferred
 * to exit_to_user_mode() (Linux's TIF_NEED_FPU_LOAD).  Until then only
 * x87 and SSE state exists for user space (XCR0 is left at x87|SSE, so
 * AVX instructions raise #UD in ring 3).
 *
 * Invariant: with interrupts off in switch_fpu(), the registers are saved
 * before any other user task's are loaded; fpu_* functions that read or
 * write current's live registers run with preemption off.
 */
#ifndef FPU_FPU_H
#define FPU_FPU_H

#include "kernel/types.h"

struct task_struct;

#define FXSTATE_SIZE	512

/* The FXSAVE image layout (SDM Vol. 1, "FXSAVE Instruction"), 64-bit form. */
struct fxregs_state {
	u16 cwd, swd, twd, fop;
	u64 rip, rdp;
	u32 mxcsr, mxcsr_mask;
	u32 st_space[32];		/* 8 registers, 16 bytes each */
	u32 xmm_space[64];		/* 16 registers, 16 bytes each */
	u32 padding[12];
	u32 sw_reserved[12];		/* Linux's fx_sw_bytes */
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct fxregs_state) == FXSTATE_SIZE, "FXSAVE image is 512 bytes");

void fpu_init_cpu(void);			/* CR0/CR4 bits, every CPU */
int fpu_alloc(struct task_struct *p);		/* init state; -ENOMEM */
int fpu_clone(struct task_struct *dst);		/* dst := current's live state */
void fpu_free(struct task_struct *p);
void fpu_reset_current(void);			/* execve: initial state, loaded */
void fpu_save_current(struct fxregs_state *buf);	/* live regs -> buf */
int fpu_restore_current(const struct fxregs_state *buf);	/* -EINVAL if bad */
u32 fpu_mxcsr_mask(void);

/* The context-switch hook (sched/core.c): interrupts off. */
void switch_fpu(struct task_struct *prev, struct task_struct *next);

#endif
