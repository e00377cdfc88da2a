/*
 * fpu.h - the user's x87/SSE/AVX/AVX-512/PKRU registers: one buffer per
 * user task, saved with the best XSAVE flavour the CPU has, restored
 * lazily on the way back to ring 3 (Linux's design since 5.2).
 *
 * The interface the rest of the kernel uses.  Who calls what:
 *   sched/core.c     switch_fpu(prev)            at every context switch
 *   entry_common.c   fpu_exit_to_user()          last work before ring 3
 *   fork.c, exit.c   fpu_clone(child), fpu_free(p)
 *   process.c        fpu_flush_thread()          execve: default state
 *   signal.c         fpu_sigframe_size/_save/_restore (fpu/signal.c)
 *   traps.c          fpu_sync_legacy()           read FSW/MXCSR for #MF/#XM
 *   any kernel code  kernel_fpu_begin()/kernel_fpu_end() around SIMD use
 *
 * The lazy rule (fpu/core.c has the timeline):
 *   TIF_NEED_FPU_LOAD set   = the task's state is in its buffer; the
 *                             registers may hold someone else's.
 *   TIF_NEED_FPU_LOAD clear = the registers are the task's (live); the
 *                             buffer may be stale.
 *   A user task that is not running always has the flag set.  The
 *   registers are known to still hold task T's state on CPU c if
 *   per-CPU fpu_owner == &T->thread.fpu and T->thread.fpu.last_cpu == c;
 *   then the restore is skipped.  Whoever clobbers the registers clears
 *   fpu_owner; whoever edits the buffer sets last_cpu = -1.
 *
 * Kernel threads have no buffer (fpstate == NULL) and never save or
 * restore: the registers they run with are the last user task's, which
 * they do not touch (the kernel is built with -mgeneral-regs-only; fpu/
 * is the exception, between kernel_fpu_begin and kernel_fpu_end).
 */
#ifndef FPU_FPU_H
#define FPU_FPU_H

#include "kernel/types.h"
#include "fpu/xstate_layout.h"

struct task_struct;
struct pt_regs;

#define FXSTATE_SIZE	512

/* The FXSAVE image / XSAVE legacy region (SDM Vol. 1, 10.5.1), 64-bit form. */
struct fxregs_state {
	u16 cwd, swd, twd, fop;
	u64 rip, rdp;
	u32 mxcsr, mxcsr_mask;
	u32 st_space[32];		/* 8 registers, 16 bytes each */
	u32 xmm_space[64];		/* 16 registers, 16 bytes each */
	u32 padding[12];
	u32 sw_reserved[12];		/* Linux's struct _fpx_sw_bytes in signal frames */
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct fxregs_state) == FXSTATE_SIZE, "FXSAVE image is 512 bytes");

/* An XSAVE area (SDM Vol. 1, 13.4): legacy region, header, extended region. */
struct xregs_state {
	struct fxregs_state i387;
	struct xregs_header header;
	u8 extended_state_area[];
} __attribute__((aligned(64)));

/*
 * A task's saved registers.  xfeatures is what the buffer may hold (the
 * layout's features); regs is 64-byte aligned, as XSAVE* requires (#GP
 * otherwise), and fpu_kernel_cfg.size bytes long.
 */
struct fpstate {
	u32 size;
	u64 xfeatures;
	struct xregs_state regs;	/* variable length: size bytes */
};

struct fpu {
	int last_cpu;			/* CPU whose registers were loaded from / saved to fpstate */
	struct fpstate *fpstate;	/* NULL for kernel threads */
};

/* Per-CPU counters (the monitor's `fpu` command, /proc/switchyard). */
struct fpu_stats {
	u64 saves;			/* switch-out saves of a user task's registers */
	u64 restores;			/* fpu_exit_to_user() loads from a buffer */
	u64 restores_skipped;		/* ... not needed: registers still the task's */
	u64 kernel_fpu;			/* kernel_fpu_begin() sections */
	u64 emulated_saves;		/* model hooks run for emulated components */
	u64 restore_faults;		/* XRSTOR(S) faults: state reset to init */
};

void fpu_init_system(void);			/* boot CPU, once: enumerate, choose, init image */
void fpu_init_cpu(void);			/* every CPU: CR0/CR4/XCR0/IA32_XSS */
int fpu_alloc(struct task_struct *p);		/* init state; -ENOMEM */
int fpu_clone(struct task_struct *dst);		/* dst := current's state */
void fpu_free(struct task_struct *p);
void fpu_flush_thread(void);			/* execve: initial state */
struct fxregs_state *fpu_sync_legacy(void);	/* current's state to memory; its legacy area */
u32 fpu_mxcsr_mask(void);

/* The context-switch hook (sched/core.c): interrupts off, prev = current. */
void switch_fpu(struct task_struct *prev);
/* The exit-to-user hook: interrupts off. */
void fpu_exit_to_user(void);

void fpu_clear_user_states(void);		/* user components -> init */

void kernel_fpu_begin(void);
void kernel_fpu_end(void);

/* Signal frames (fpu/signal.c), Linux's layout: see there. */
u32 fpu_sigframe_size(void);
int fpu_sigframe_save(u64 ufp);			/* -EFAULT */
int fpu_sigframe_restore(u64 ufp);		/* -EFAULT / -EINVAL: SIGSEGV */

void fpu_get_stats(int cpu, struct fpu_stats *out);
const char *fpu_backend_name(void);
extern struct xstate_layout fpu_kernel_cfg;

#endif
