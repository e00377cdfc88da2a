/*
 * preempt.h - the per-CPU preempt count: may this CPU switch tasks now?
 *
 * One int per CPU (struct percpu.preempt_count), Linux's layout:
 *
 *   bits  0-7   preemption-disable depth (preempt_disable, spin_lock)
 *   bits 16-19  hard-interrupt depth (irq_enter/irq_exit in do_trap)
 *   bit  20     in an NMI
 *
 * The kernel may be preempted - switched away from at an interrupt's
 * return - only where the whole count is 0 and interrupts were on.
 * A spinlock holder must never be switched out (the lock's other waiters
 * would spin for a whole time slice or forever), so spin_lock() raises the
 * count before drawing its ticket and spin_unlock() lowers it after
 * releasing.  Per-CPU data read in task context is only stable while the
 * count is raised: otherwise the task may move to another CPU between the
 * read and the use.
 *
 * Why per CPU and not per task: a task only switches inside __schedule(),
 * where the count is always exactly 1, so every task's count at a switch
 * is the same and needs no saving (Linux x86 does the same).
 *
 * Invariant: preempt_count() is 0 whenever a task may sleep; schedule()
 * reports "BUG: scheduling while atomic" otherwise.
 */
#ifndef KERNEL_PREEMPT_H
#define KERNEL_PREEMPT_H

#include "kernel/types.h"
#include "kernel/percpu.h"
#include "kernel/irqflags.h"

#define PREEMPT_MASK	0x000000ff
#define HARDIRQ_OFFSET	0x00010000
#define HARDIRQ_MASK	0x000f0000
#define NMI_OFFSET	0x00100000
#define NMI_MASK	0x00100000

/* One instruction each: a read-modify-write an interrupt cannot split. */
static inline void preempt_count_add(int val)
{
	asm volatile("addl %0, %%gs:%c1" : : "ri"(val),
		     "i"(offsetof(struct percpu, preempt_count)) : "memory");
}

static inline void preempt_count_sub(int val)
{
	asm volatile("subl %0, %%gs:%c1" : : "ri"(val),
		     "i"(offsetof(struct percpu, preempt_count)) : "memory");
}

static inline int preempt_count(void)
{
	return this_cpu_read(preempt_count);
}

#define in_hardirq()	(preempt_count() & HARDIRQ_MASK)
#define in_nmi()	(preempt_count() & NMI_MASK)
#define in_interrupt()	(preempt_count() & (HARDIRQ_MASK | NMI_MASK))
#define preemptible()	(preempt_count() == 0 && !irqs_disabled())

bool need_resched(void);		/* sched/core.c: current's flag */
void preempt_schedule(void);		/* sched/core.c */

#define preempt_disable() do { preempt_count_add(1); barrier(); } while (0)
#define preempt_enable_no_resched() do { barrier(); preempt_count_sub(1); } while (0)

/* The point where a wake-up that asked for a switch inside a
 * preempt-disabled section finally gets it. */
#define preempt_enable() do {						\
	barrier();							\
	preempt_count_sub(1);						\
	if (unlikely(preempt_count() == 0 && need_resched() &&	\
		     !irqs_disabled()))					\
		preempt_schedule();					\
} while (0)

#endif
