/*
 * entry_common.c - the way out of every interrupt and exception: where a
 * return to the interrupted code becomes a task switch, and the one
 * exit-to-user work function.
 *
 * irqentry_exit(regs) is called by do_trap() last, interrupts off:
 *   - returning to ring 3: exit_to_user_mode(), always;
 *   - returning to kernel code that had interrupts on, with preempt_count()
 *     at 0 and the current task's TIF_NEED_RESCHED set: preempt_schedule_irq()
 *     (kernel preemption; the reasons are in sched/core.c).  Only after a
 *     hardware interrupt - the tick or an IPI - since those are what set
 *     the flag; an exception returning to the kernel goes back directly.
 *
 * exit_to_user_mode() loops until no work is left, because the work can
 * create work: a task that schedules away may come back with a signal
 * pending.  Every mechanism that must run "before this task touches user
 * space again" goes here, in this order, and nowhere else:
 *   1. reschedule
 *   2. signal delivery (kernel/signal.c: a handler's frame, or the end
 *      of the process)
 *   3. then, interrupts off, just before the IRETQ/SYSRET:
 *      FPU register restore for a task whose registers are not loaded
 *      (XSAVES issue: the lazy restore), the IA32_PASID fix-up (PASID
 *      issue), and user-interrupt state (UINTR issue).
 * Interrupts are off when it returns and stay off to the IRETQ, so no
 * interrupt can set new work between the last check and ring 3.
 */
#include "sched/sched.h"
#include "kernel/traps.h"
#include "kernel/cpu.h"
#include "kernel/signal.h"
#include "fpu/fpu.h"
#include "mm/tlb.h"

#define EXIT_TO_USER_MODE_WORK	(BIT(TIF_NEED_RESCHED) | BIT(TIF_SIGPENDING))

static unsigned long exit_to_user_mode_loop(struct pt_regs *regs, unsigned long ti_work)
{
	while (ti_work & EXIT_TO_USER_MODE_WORK) {
		local_irq_enable();
		if (ti_work & BIT(TIF_NEED_RESCHED))
			schedule();
		if (ti_work & BIT(TIF_SIGPENDING))
			arch_do_signal_or_restart(regs);	/* kernel/signal.c */
		local_irq_disable();
		ti_work = READ_ONCE(current->thread_flags);
	}
	return ti_work;
}

/* The last work before ring 3, interrupts off; the hooks of step 3. */
static void arch_exit_to_user_mode_prepare(struct pt_regs *regs)
{
	fpu_exit_to_user();		/* lazy restore (fpu/core.c) */
	tlb_exit_to_user();		/* PTI's user CR3, tlbcheck (mm/tlb.c) */
}

void exit_to_user_mode(struct pt_regs *regs)
{
	unsigned long ti_work = READ_ONCE(current->thread_flags);

	if (ti_work & EXIT_TO_USER_MODE_WORK)
		exit_to_user_mode_loop(regs, ti_work);
	arch_exit_to_user_mode_prepare(regs);
}

void irqentry_exit(struct pt_regs *regs)
{
	if (user_mode(regs)) {
		exit_to_user_mode(regs);
		return;
	}
	if (!(regs->flags & X86_EFLAGS_IF))
		return;				/* interrupted code had IF=0 */
	if (preempt_count() == 0 && need_resched())
		preempt_schedule_irq();
}
