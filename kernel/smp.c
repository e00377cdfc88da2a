/*
 * smp.c - making other CPUs do things: function calls by IPI, the
 * reschedule IPI, and NMI backtraces.
 *
 * smp_call_function_many(mask, func, info, wait)
 *   For each target CPU the caller uses its own call_single_data slot
 *   csd[caller][target] (so no allocation and no sharing between callers),
 *   waits until that slot's previous call has finished ("csd lock"), queues
 *   it on the target's call queue and sends CALL_FUNCTION_VECTOR.  The
 *   target's handler empties its queue, runs each function and releases
 *   each slot.  With @wait the caller spins until its slots are released.
 *
 *   Deadlock rule (as in Linux): never call it with interrupts off.  Two
 *   CPUs waiting for each other's call to run, both with IF=0, would wait
 *   forever: each call needs the other CPU to take an interrupt.  So
 *   functions run in interrupt context must not call it either.
 *
 * The reschedule IPI
 *   RESCHEDULE_VECTOR means "look at your run queue": the scheduler sends
 *   it when it queues a task for another CPU (sched/core.c, resched_curr).
 *
 * NMI backtraces
 *   trigger_all_cpu_backtrace() NMIs every other CPU; each prints its
 *   registers and stack.  An NMI gets through even where a CPU spins with
 *   interrupts off, which is exactly the hang one wants to see.  panic()
 *   uses it and then leaves those CPUs halted inside their NMI handler.
 */
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/apic.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/spinlock.h"
#include "kernel/irqflags.h"
#include "kernel/list.h"
#include "kernel/traps.h"
#include "kernel/stacktrace.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/time.h"
#include "kernel/cpu.h"

struct call_single_data {
	struct list_head node;
	smp_call_func_t func;
	void *info;
	int locked;			/* 1 from queueing until func returned */
};

struct call_queue {
	arch_spinlock_t lock;		/* bare: taken in the IPI handler */
	struct list_head list;
};

static struct call_single_data csd[NR_CPUS][NR_CPUS];	/* [caller][target] */
static struct call_queue call_queue[NR_CPUS];
static u64 calls_run[NR_CPUS];

static void csd_lock_wait(struct call_single_data *c)
{
	while (READ_ONCE(c->locked))
		cpu_relax();
}

static void call_function_interrupt(struct pt_regs *regs)
{
	struct call_queue *q = &call_queue[smp_processor_id()];
	LIST_HEAD(todo);

	arch_spin_lock(&q->lock);
	while (!list_empty(&q->list)) {		/* take the whole queue */
		struct list_head *n = q->list.next;

		list_del_init(n);
		list_add_tail(n, &todo);
	}
	arch_spin_unlock(&q->lock);
	while (!list_empty(&todo)) {
		struct call_single_data *c = list_entry(todo.next, struct call_single_data, node);

		list_del_init(&c->node);
#ifdef BUG_CSD_UNLOCK_EARLY
		/* BUG=csd-unlock-early: the slot is released before the
		 * function runs, so a caller with wait=true returns while the
		 * function is still running (and may reuse the slot) */
		WRITE_ONCE(c->locked, 0);
		c->func(c->info);
		calls_run[smp_processor_id()]++;
#else
		c->func(c->info);
		calls_run[smp_processor_id()]++;
		barrier();			/* func's effects before the release */
		WRITE_ONCE(c->locked, 0);
#endif
	}
}

void smp_call_function_many(const cpumask_t *mask, smp_call_func_t func,
			    void *info, bool wait)
{
	int self, cpu;

	WARN_ON(irqs_disabled());
	preempt_disable();		/* "self" and our csd row must not change */
	self = smp_processor_id();
	for_each_cpu(cpu, mask) {
		struct call_single_data *c = &csd[self][cpu];
		struct call_queue *q = &call_queue[cpu];
		unsigned long flags;

		if (cpu == self || !cpumask_test_cpu(cpu, cpu_online_mask))
			continue;
		csd_lock_wait(c);		/* our previous call to it is done */
		c->func = func;
		c->info = info;
		WRITE_ONCE(c->locked, 1);
		local_irq_save(flags);
		arch_spin_lock(&q->lock);
		list_add_tail(&c->node, &q->list);
		arch_spin_unlock(&q->lock);
		local_irq_restore(flags);
		apic_send_ipi(per_cpu(cpu)->apic_id, APIC_DM_FIXED | APIC_INT_ASSERT |
			      CALL_FUNCTION_VECTOR);
	}
	if (wait)
		for_each_cpu(cpu, mask)
			if (cpu != self)
				csd_lock_wait(&csd[self][cpu]);
	preempt_enable();
}

u64 smp_calls_run(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(calls_run[cpu]) : 0;
}

/* ---------------------------------------------------------- reschedule */

/*
 * "Look at your run queue": a wake-up or a balancer on another CPU has
 * set this CPU's current task's TIF_NEED_RESCHED.  The handler has nothing
 * to do; the switch happens on the way out of the interrupt
 * (irqentry_exit), or in the idle loop the IPI woke from HLT.
 */
static void reschedule_interrupt(struct pt_regs *regs)
{
}

void smp_send_reschedule(int cpu)
{
	apic_send_ipi(per_cpu(cpu)->apic_id, APIC_DM_FIXED | APIC_INT_ASSERT |
		      RESCHEDULE_VECTOR);
}

/* ---------------------------------------------------------- NMI backtraces */

static cpumask_t backtrace_mask;
static bool stop_after_backtrace;

/* Called from the NMI path (kernel/traps.c); true if the NMI was ours. */
bool nmi_cpu_backtrace(struct pt_regs *regs)
{
	int cpu = smp_processor_id();

	if (!cpumask_test_cpu(cpu, &backtrace_mask))
		return false;
	printk(KERN_WARNING "NMI backtrace for cpu%d\n", cpu);
	show_regs(regs);
	show_stack(regs->ip, regs->bp, KERN_WARNING);
	cpumask_clear_cpu(cpu, &backtrace_mask);
	if (READ_ONCE(stop_after_backtrace))
		halt_forever();		/* panic: this CPU stops here */
	return true;
}

static void nmi_all_but_self(bool stop)
{
	int self = smp_processor_id(), cpu;
	u64 deadline;

	WRITE_ONCE(stop_after_backtrace, stop);
	for_each_online_cpu(cpu) {
		if (cpu == self)
			continue;
		cpumask_set_cpu(cpu, &backtrace_mask);
		apic_send_ipi(per_cpu(cpu)->apic_id, APIC_DM_NMI | APIC_INT_ASSERT);
	}
	deadline = ktime_get_ns() + 1000000000ULL;	/* a second at most */
	while (READ_ONCE(backtrace_mask.bits) && ktime_get_ns() < deadline)
		cpu_relax();
	if (READ_ONCE(backtrace_mask.bits))
		printk(KERN_ERR "NMI backtrace: cpus %#lx did not answer\n",
		       (unsigned long)backtrace_mask.bits);
}

void trigger_all_cpu_backtrace(void)
{
	nmi_all_but_self(false);
}

void smp_stop_other_cpus_with_backtrace(void)
{
	nmi_all_but_self(true);
}

void smp_init_ipis(void)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		INIT_LIST_HEAD(&call_queue[cpu].list);
	request_vector(CALL_FUNCTION_VECTOR, call_function_interrupt, "function call IPI");
	request_vector(RESCHEDULE_VECTOR, reschedule_interrupt, "reschedule IPI");
}
