/*
 * core.c - per-task FPU state and the lazy restore (Linux's
 * TIF_NEED_FPU_LOAD model, "x86/fpu: Defer FPU state load until return to
 * userspace", 5.2).
 *
 * Timeline on one CPU, user task A, kernel thread K, user task B:
 *
 *   A runs in ring 3          registers = A's, A: flag clear
 *   A -> K  switch_fpu(A)     XSAVE* into A's buffer, A.last_cpu = this
 *                             CPU, A: flag set; fpu_owner stays A
 *   K runs                    touches no vector register
 *   K -> A                    nothing
 *   A: exit_to_user           owner == A && A.last_cpu == this CPU:
 *                             registers still A's -> restore SKIPPED
 *   A -> B, B exits to user   owner != B: XRSTOR* B's buffer, owner = B
 *
 * "Lazy" means deferred, not the old CR0.TS/#NM trap on first use, which
 * Linux dropped in 4.x: CPUs speculate past the #NM and leak the previous
 * owner's registers (LazyFP, CVE-2018-3665).  The registers are always
 * valid here; only the XRSTOR is postponed - often forever.
 *
 * Rules everything below follows:
 *   - The buffer is consistent only if the flag is set, or after a save
 *     with preemption off.  fpregs_lock() (preempt off) brackets every
 *     look at current's registers or buffer: a switch in the middle would
 *     save over what we are editing.
 *   - Whoever edits a buffer invalidates it (last_cpu = -1) and sets the
 *     flag: otherwise the skip rule would keep the old registers, and the
 *     XSAVES modified optimization could even keep old memory.
 *   - Whoever clobbers the registers (kernel_fpu_begin, a failed restore)
 *     clears fpu_owner - read fresh every time with this_cpu_read, never
 *     cached across a preemption point (Linux 5.2's Go-runtime corruption).
 */
#include "fpu/internal.h"
#include "sched/sched.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/signal.h"
#include "kernel/panic.h"

struct fpu_stats fpu_stats[NR_CPUS];

static inline void fpregs_lock(void)   { preempt_disable(); }
static inline void fpregs_unlock(void) { preempt_enable(); }

static bool is_user_fpu_task(struct task_struct *p)
{
	return p->thread.fpu.fpstate && !(p->flags & PF_KTHREAD);
}

static bool fpregs_state_valid(struct fpu *fpu, int cpu)
{
	return this_cpu_read(fpu_owner) == fpu && fpu->last_cpu == cpu;
}

/* Registers -> buffer; they stay loaded and the task's. */
static void save_fpregs_to_fpstate(struct fpu *fpu)
{
	int cpu = smp_processor_id();

	xstate_save(fpu->fpstate);
	fpu->last_cpu = cpu;
	fpu_stats[cpu].saves++;
}

/* After editing a buffer: make exit_to_user load it. */
static void fpu_invalidate(struct task_struct *p)
{
	p->thread.fpu.last_cpu = -1;
	set_tsk_thread_flag(p, TIF_NEED_FPU_LOAD);
}

/* ------------------------------------------------------- the switch */

/*
 * Called for every switch, interrupts off, on prev's stack.  A user task
 * whose registers are live saves them now: after this CPU runs someone
 * else's user code they are gone.  Nothing is loaded for next - next has
 * the flag set (every switched-out user task does) and loads in
 * fpu_exit_to_user(), if it ever returns to ring 3 on a CPU whose
 * registers are not already its own.
 */
void switch_fpu(struct task_struct *prev)
{
	if (!is_user_fpu_task(prev) || test_tsk_thread_flag(prev, TIF_NEED_FPU_LOAD))
		return;
	save_fpregs_to_fpstate(&prev->thread.fpu);
	set_tsk_thread_flag(prev, TIF_NEED_FPU_LOAD);
}

static void restore_failed(struct task_struct *p)
{
	struct fpstate *fps = p->thread.fpu.fpstate;

	/* The registers may now be half this state, half the old owner's. */
	this_cpu_write(fpu_owner, NULL);
	fpu_stats[smp_processor_id()].restore_faults++;
	pr_warn("fpu: bad FPU state of %s[%d] detected, reinitializing FPU registers\n",
		p->comm, p->pid);
	fpstate_init(fps);
	if (xstate_restore(fps))
		pr_err("fpu: even the init image did not restore\n");
}

/* The exit-to-user work: interrupts off, the last thing before ring 3. */
void fpu_exit_to_user(void)
{
	struct task_struct *p = current;
	struct fpu *fpu = &p->thread.fpu;
	int cpu = smp_processor_id();

	if (!test_tsk_thread_flag(p, TIF_NEED_FPU_LOAD))
		return;
	if (!fpregs_state_valid(fpu, cpu)) {
		if (xstate_restore(fpu->fpstate))
			restore_failed(p);
		this_cpu_write(fpu_owner, fpu);
		fpu->last_cpu = cpu;
		fpu_stats[cpu].restores++;
	} else {
		fpu_stats[cpu].restores_skipped++;
	}
	clear_tsk_thread_flag(p, TIF_NEED_FPU_LOAD);
}

/* ------------------------------------------------- kernel SIMD use */

/*
 * Let kernel code use x87/SSE/AVX until kernel_fpu_end().  Preemption
 * stays off throughout (a switch would save the kernel's values as the
 * task's); not from interrupt handlers (they may have interrupted a
 * section like this one, or a save).  The user's registers are saved
 * first, the flag tells the exit path to reload them, and fpu_owner is
 * cleared because the registers will no longer be anyone's.
 */
void kernel_fpu_begin(void)
{
	struct task_struct *p = current;

	preempt_disable();
	if (this_cpu_read(irq_count) || this_cpu_read(in_kernel_fpu))
		panic("kernel_fpu_begin: from interrupt context or nested");
	this_cpu_write(in_kernel_fpu, 1);
	if (is_user_fpu_task(p) && !test_tsk_thread_flag(p, TIF_NEED_FPU_LOAD)) {
		save_fpregs_to_fpstate(&p->thread.fpu);
		set_tsk_thread_flag(p, TIF_NEED_FPU_LOAD);
	}
	this_cpu_write(fpu_owner, NULL);
	fpu_stats[smp_processor_id()].kernel_fpu++;
	asm volatile("fninit");
	asm volatile("ldmxcsr %0" : : "m"((u32){0x1f80}));
}

void kernel_fpu_end(void)
{
	this_cpu_write(in_kernel_fpu, 0);
	preempt_enable();
}

/* ---------------------------------------------------- task lifetime */

int fpu_alloc(struct task_struct *p)
{
	struct fpstate *fps = fpstate_alloc();

	if (!fps)
		return -ENOMEM;
	fpstate_init(fps);
	p->thread.fpu.fpstate = fps;
	fpu_invalidate(p);
	return 0;
}

/*
 * fork/clone: the child starts with current's user state.  If the
 * registers are live they are saved straight into the child's buffer (a
 * different address than the last restore, so XSAVEOPT/XSAVES cannot
 * skip anything).  Supervisor components (PASID, UINTR) are not
 * inherited: they describe a bond to an mm or a receiver that belongs to
 * the parent (Linux clears the PASID bit in the child too).
 */
int fpu_clone(struct task_struct *dst)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct task_struct *src = current;
	struct fpstate *fps = fpstate_alloc();

	if (!fps)
		return -ENOMEM;
	fpregs_lock();
	if (!is_user_fpu_task(src))
		fpstate_init(fps);
	else if (test_tsk_thread_flag(src, TIF_NEED_FPU_LOAD))
		memcpy(fps, src->thread.fpu.fpstate, offsetof(struct fpstate, regs) + l->size);
	else {
		fps->size = l->size;
		fps->xfeatures = l->features;
		memset(&fps->regs.header, 0, sizeof(fps->regs.header));
		xstate_save(fps);
		fpu_stats[smp_processor_id()].saves++;
	}
	fpregs_unlock();
	fps->regs.header.xfeatures &= ~(l->hw_sup | l->emulated);
	dst->thread.fpu.fpstate = fps;
	fpu_invalidate(dst);
	return 0;
}

void fpu_free(struct task_struct *p)
{
	struct fpu *fpu = &p->thread.fpu;

	if (!fpu->fpstate)
		return;
	/* fpu_owner may still point here on some CPU; last_cpu = -1 makes a
	 * later task that reuses this memory fail the validity test anyway,
	 * but clear our own CPU's pointer as Linux's fpu__drop() does. */
	preempt_disable();
	if (this_cpu_read(fpu_owner) == fpu)
		this_cpu_write(fpu_owner, NULL);
	preempt_enable();
	fpu->last_cpu = -1;
	fpstate_free(fpu->fpstate);
	fpu->fpstate = NULL;
}

/* execve (and a kernel thread becoming init): the initial state. */
void fpu_flush_thread(void)
{
	struct task_struct *p = current;

	if (!p->thread.fpu.fpstate && fpu_alloc(p))
		return;			/* exec then fails later for want of memory */
	fpregs_lock();
	fpstate_init(p->thread.fpu.fpstate);
	fpu_invalidate(p);
	fpregs_unlock();
}

/*
 * Current's state, in memory, for reading (the #MF/#XM handler, signal
 * frames).  Returns with preemption off: call fpu_sync_done() after.
 */
struct fpstate *fpu_sync_fpstate(void)
{
	struct task_struct *p = current;

	fpregs_lock();
	if (!test_tsk_thread_flag(p, TIF_NEED_FPU_LOAD))
		save_fpregs_to_fpstate(&p->thread.fpu);
	return p->thread.fpu.fpstate;
}

void fpu_sync_done(void)
{
	fpregs_unlock();
}

/* The #MF/#XM handler only reads the status words, so a copy is enough. */
struct fxregs_state *fpu_sync_legacy(void)
{
	static struct fxregs_state scratch[NR_CPUS];
	struct fxregs_state *fx = &scratch[smp_processor_id()];
	struct fpstate *fps;

	if (!current->thread.fpu.fpstate) {
		memset(fx, 0, sizeof(*fx));
		return fx;
	}
	fps = fpu_sync_fpstate();
	fx = &scratch[smp_processor_id()];
	memcpy(fx, &fps->regs.i387, sizeof(*fx));
	fpu_sync_done();
	return fx;
}

/*
 * Current's user components -> their init state, supervisor ones kept
 * (signal delivery: a handler starts clean; rt_sigreturn without an
 * image).  Linux's fpu__clear_user_states().
 */
void fpu_clear_user_states(void)
{
	const struct xstate_layout *l = &fpu_kernel_cfg;
	struct fpstate *fps;
	u64 keep;

	if (!current->thread.fpu.fpstate)
		return;
	fps = fpu_sync_fpstate();
	keep = fps->regs.header.xfeatures & (l->hw_sup | l->emulated);
	memcpy(&fps->regs.i387, &fpu_init_fpstate->regs.i387, sizeof(fps->regs.i387));
	fps->regs.header.xfeatures = keep | (fpu_init_fpstate->regs.header.xfeatures & l->hw_user);
	fpu_invalidate(current);
	fpu_sync_done();
}

void fpu_get_stats(int cpu, struct fpu_stats *out)
{
	*out = fpu_stats[cpu];
}
