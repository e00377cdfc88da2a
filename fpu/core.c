/*
 * core.c - per-task user FPU state with FXSAVE/FXRSTOR (see fpu.h).
 */
#include "fpu/fpu.h"
#include "sched/sched.h"
#include "mm/slab.h"
#include "kernel/cpu.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/printk.h"

static u32 mxcsr_feature_mask = 0x0000ffbf;	/* default when FXSAVE says 0 */

static inline void fxsave(struct fxregs_state *fx)
{
	asm volatile("fxsaveq %0" : "=m"(*fx));
}

static inline void fxrstor(const struct fxregs_state *fx)
{
	asm volatile("fxrstorq %0" : : "m"(*fx));
}

/*
 * CR0.EM = 0 (no x87 emulation), CR0.MP = 1 (WAIT honours TS), CR0.TS = 0
 * (no #NM on first use: the state is switched eagerly), CR0.NE = 1 (x87
 * errors as #MF, not the legacy IRQ 13); CR4.OSFXSR (SSE and FXSAVE of
 * XMM) and CR4.OSXMMEXCPT (SIMD exceptions as #XM).  SDM Vol. 3A,
 * "Initializing SSE/SSE2/SSE3/SSSE3 Extensions".
 */
void fpu_init_cpu(void)
{
	struct fxregs_state fx;

	write_cr0((read_cr0() & ~(X86_CR0_EM | X86_CR0_TS)) | X86_CR0_MP | X86_CR0_NE);
	write_cr4(read_cr4() | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	asm volatile("fninit");
	memset(&fx, 0, sizeof(fx));
	fxsave(&fx);
	if (fx.mxcsr_mask)
		mxcsr_feature_mask = fx.mxcsr_mask;
}

u32 fpu_mxcsr_mask(void)
{
	return mxcsr_feature_mask;
}

/* The state FNINIT plus LDMXCSR 0x1f80 give: what a new program sees. */
static void fpu_init_state(struct fxregs_state *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->cwd = 0x37f;
	fx->mxcsr = 0x1f80;
	fx->mxcsr_mask = mxcsr_feature_mask;
}

int fpu_alloc(struct task_struct *p)
{
	struct fxregs_state *fx = kmalloc(sizeof(*fx), GFP_KERNEL);	/* 16-aligned */

	if (!fx)
		return -ENOMEM;
	fpu_init_state(fx);
	p->thread.fxstate = fx;
	return 0;
}

int fpu_clone(struct task_struct *dst)
{
	struct fxregs_state *fx = kmalloc(sizeof(*fx), GFP_KERNEL);

	if (!fx)
		return -ENOMEM;
	if (current->thread.fxstate)
		fpu_save_current(fx);
	else
		fpu_init_state(fx);
	dst->thread.fxstate = fx;
	return 0;
}

void fpu_free(struct task_struct *p)
{
	kfree(p->thread.fxstate);
	p->thread.fxstate = NULL;
}

void fpu_save_current(struct fxregs_state *buf)
{
	preempt_disable();
	fxsave(buf);
	preempt_enable();
}

/* Reserved MXCSR bits make FXRSTOR raise #GP in the kernel: check first. */
int fpu_restore_current(const struct fxregs_state *buf)
{
	if (buf->mxcsr & ~mxcsr_feature_mask)
		return -EINVAL;
	preempt_disable();
	fxrstor(buf);
	if (current->thread.fxstate)
		memcpy(current->thread.fxstate, buf, sizeof(*buf));
	preempt_enable();
	return 0;
}

void fpu_reset_current(void)
{
	struct fxregs_state fx;

	fpu_init_state(&fx);
	if (!current->thread.fxstate && fpu_alloc(current))
		return;
	fpu_restore_current(&fx);
}

void switch_fpu(struct task_struct *prev, struct task_struct *next)
{
	if (prev->thread.fxstate && prev->mm)
		fxsave(prev->thread.fxstate);
	if (next->thread.fxstate && next->mm)
		fxrstor(next->thread.fxstate);
}
