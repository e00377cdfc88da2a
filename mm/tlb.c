/*
 * tlb.c - the CR3 write path and local TLB flushes.
 *
 * A flush of a kernel range reaches every CPU (by IPI); a flush of a user
 * mm's range is still local, which is only right while that mm is loaded
 * on no other CPU - lazily loaded ones included.  The TLB issue turns it
 * into shootdowns to every CPU in the mm's cpumask, driven by mm->tlb_gen
 * (bumped by set_pte()).
 *
 * Invariant: cpu_tlbstate.loaded_mm always names the mm whose pgd is in
 * CR3, and holds an mm_count reference on it (mmgrab) while it is there,
 * so a CR3 can never point at a freed pgd.
 */
#include "mm/tlb.h"
#include "mm/mm.h"
#include "kernel/cpu.h"
#include "kernel/layout.h"
#include "kernel/smp.h"
#include "kernel/irqflags.h"
#include "kernel/panic.h"
#include "sched/sched.h"

struct tlb_stats tlb_stats;
/* per CPU; CPU 0's reference on init_mm is counted in init_mm's initial
 * mm_count, an AP takes its own in tlb_init_secondary() */
static struct tlb_state cpu_tlbstate[NR_CPUS] = { [0] = { .loaded_mm = &init_mm } };

static struct tlb_state *this_tlbstate(void)
{
	return &cpu_tlbstate[smp_processor_id()];
}

/* THE CR3 write.  Counted per CPU: the scheduler's lazy-mm tests and the
 * monitor's "sched" command read the counts. */
static void write_cr3(u64 val)
{
	this_tlbstate()->cr3_loads++;
	tlb_stats.cr3_writes++;
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

u64 tlb_cr3_loads(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(cpu_tlbstate[cpu].cr3_loads) : 0;
}

/* The address space the running task owns (NULL in a kernel thread that
 * has not borrowed one with use_mm): what user-address faults resolve in.
 * Not the loaded one: a kernel thread may run lazily on another task's
 * page tables, and must not fault pages into them. */
struct mm_struct *current_mm(void)
{
	return current->mm;
}

struct mm_struct *this_cpu_loaded_mm(void)
{
	return this_tlbstate()->loaded_mm;
}

/* Another CPU's, for tests and reports: may change as soon as it is read. */
struct mm_struct *tlb_cpu_loaded_mm(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(cpu_tlbstate[cpu].loaded_mm) : NULL;
}

/*
 * Load @next's page tables on this CPU, unless they already are: then no
 * CR3 write at all (the lazy-mm rule, sched/core.c, depends on this).
 * @prev is the mm the scheduler believes is loaded; the per-CPU loaded_mm
 * is the truth, and its mm_count reference moves to @next.  Interrupts or
 * preemption off: loaded_mm is per CPU.
 */
void switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	struct tlb_state *ts = this_tlbstate();
	struct mm_struct *loaded = ts->loaded_mm;

	if (loaded == next && __read_cr3() == virt_to_phys(next->pgd))
		return;
	mmgrab(next);
	/* MOV to CR3 without PCIDs flushes all non-global entries (SDM Vol.
	 * 3A, "Invalidation of TLBs and Paging-Structure Caches"). */
	write_cr3(virt_to_phys(next->pgd));
	ts->loaded_mm = next;
	mmdrop(loaded);
}

/*
 * Toggling CR4.PGE flushes everything, global entries included (SDM Vol. 3A,
 * "Invalidation of TLBs and Paging-Structure Caches"); a CR3 write alone
 * would leave the kernel's global entries in place.
 */
void __flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	tlb_stats.flush_all++;
	if (cr4 & X86_CR4_PGE) {
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(__read_cr3());
	}
}

#define FLUSH_ONE_BY_ONE_MAX	33	/* Linux's tlb_single_page_flush_ceiling */

struct flush_range {
	u64 start, end;
};

static void flush_tlb_local(u64 start, u64 end)
{
	if ((end - start) >> PAGE_SHIFT > FLUSH_ONE_BY_ONE_MAX) {
		__flush_tlb_all();
		return;
	}
	for (u64 va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		tlb_stats.flush_one++;
		asm volatile("invlpg (%0)" : : "r"(va) : "memory");
	}
}

struct flush_range_mm {
	struct mm_struct *mm;
	u64 start, end;
};

static void flush_tlb_func(void *info)
{
	struct flush_range *r = info;

	flush_tlb_local(r->start, r->end);
}

/* On a CPU that may have switched away meanwhile: its CR3 load then
 * already flushed the entries (no PCIDs yet), so only flush if still on. */
static void flush_tlb_mm_func(void *info)
{
	struct flush_range_mm *r = info;

	if (this_tlbstate()->loaded_mm == r->mm)
		flush_tlb_local(r->start, r->end);
}

/*
 * Kernel mappings are in every mm and every CPU may have cached them: a
 * kernel stack freed by kthread_join() on CPU 0 may have been used on
 * CPU 3, whose TLB would keep writing into the freed frames.  So a kernel
 * range is flushed everywhere, by IPI (interrupts must be on, see
 * smp_call_function_many).
 *
 * A user mm's range is flushed on every CPU that has the mm loaded now -
 * the threads of a process run on several CPUs, and a kernel thread may
 * run lazily on it.  The check of each CPU's loaded_mm comes after the
 * PTE change (set_pte, then the full barrier of the LOCK'd operations in
 * smp_call_function_many): a CPU that loads the mm later writes CR3,
 * which flushes all non-global entries, and walks the new tables.  This
 * is the simple form; the TLB issue replaces it with PCIDs, an mm_cpumask
 * and tlb_gen-driven flushes.
 */
void flush_tlb_mm_range(struct mm_struct *mm, u64 start, u64 end)
{
	struct flush_range r = { start, end };
	struct flush_range_mm rm = { mm, start, end };
	cpumask_t targets = CPU_MASK_NONE;
	int cpu, self;

	preempt_disable();
	self = smp_processor_id();
	if (mm == &init_mm) {
		flush_tlb_local(start, end);
		if (num_online_cpus() > 1) {
			WARN_ON(irqs_disabled());
			if (!irqs_disabled())
				smp_call_function_many(cpu_online_mask, flush_tlb_func, &r, true);
		}
		preempt_enable();
		return;
	}
	if (mm == this_tlbstate()->loaded_mm)
		flush_tlb_local(start, end);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* PTE stores before the reads */
	for_each_online_cpu(cpu)
		if (cpu != self && READ_ONCE(cpu_tlbstate[cpu].loaded_mm) == mm)
			cpumask_set_cpu(cpu, &targets);
	if (targets.bits) {
		WARN_ON(irqs_disabled());
		if (!irqs_disabled())
			smp_call_function_many(&targets, flush_tlb_mm_func, &rm, true);
	}
	preempt_enable();
}

/*
 * On a CPU that may run a kernel thread on @info lazily: move it to
 * init_mm (interrupts off: an IPI, or called so).  The kernel thread's
 * borrowed reference (active_mm) and the CPU's own (loaded_mm) both go.
 */
static void leave_lazy_mm(void *info)
{
	struct mm_struct *mm = info;
	struct task_struct *tsk = current;

	if (this_tlbstate()->loaded_mm != mm || tsk->mm || tsk->active_mm != mm)
		return;
	mmgrab(&init_mm);
	tsk->active_mm = &init_mm;
	switch_mm(mm, &init_mm);
	mmdrop(mm);
}

/*
 * The last thread of @mm is gone (mmput).  CPUs that ran it last may still
 * have it loaded under a kernel thread - the lazy-mm rule - and would keep
 * it, its PML4 and their TLB entries for it until they next run a user
 * task.  Send them to init_mm now (Linux's "shoot lazies",
 * MMU_LAZY_TLB_SHOOTDOWN): the memory comes back when the process ends, so
 * leak counters return to their baseline, and the page-table teardown
 * that follows has only this CPU to flush.  Needs interrupts on (the IPI
 * waits); without them the lazy CPUs simply keep the mm a while longer.
 */
void exit_lazy_tlb_users(struct mm_struct *mm)
{
	cpumask_t targets = CPU_MASK_NONE;
	unsigned long flags;
	int cpu, self;

	if (irqs_disabled())
		return;
	preempt_disable();
	self = smp_processor_id();
	local_irq_save(flags);
	leave_lazy_mm(mm);		/* this CPU, if it is a lazy user */
	local_irq_restore(flags);
	for_each_online_cpu(cpu)
		if (cpu != self && READ_ONCE(cpu_tlbstate[cpu].loaded_mm) == mm)
			cpumask_set_cpu(cpu, &targets);
	if (targets.bits)
		smp_call_function_many(&targets, leave_lazy_mm, mm, true);
	preempt_enable();
}

/* An AP arrives on the trampoline's page tables; move it to init_mm's
 * through the one CR3 path, holding a reference like every loaded mm. */
void tlb_init_secondary(void)
{
	this_tlbstate()->loaded_mm = &init_mm;
	mmgrab(&init_mm);
	switch_mm(&init_mm, &init_mm);
}

/*
 * A kernel thread takes on a user address space (Linux's kthread_use_mm):
 * it becomes, for the scheduler, a task of that mm (current->mm set), so
 * switching between it and the mm's other tasks costs no CR3 write.  Like
 * any task with an mm it holds an mm_users reference and no mm_count of
 * its own; the borrowed lazy reference it held on its old active_mm goes.
 */
void use_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = current;
	struct mm_struct *old;

	BUG_ON(tsk->mm);
	mmget(mm);
	preempt_disable();
	local_irq_disable();		/* the scheduler reads these fields */
	old = tsk->active_mm;
	tsk->mm = mm;
	tsk->active_mm = mm;
	switch_mm(old, mm);
	local_irq_enable();
	preempt_enable();
	mmdrop(old);
}

/* Back to being a kernel thread on init_mm, holding a reference on it as
 * every kernel thread's active_mm does. */
void unuse_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = current;

	BUG_ON(tsk->mm != mm);
	mmgrab(&init_mm);
	preempt_disable();
	local_irq_disable();
	tsk->mm = NULL;
	tsk->active_mm = &init_mm;
	switch_mm(mm, &init_mm);
	local_irq_enable();
	preempt_enable();
	mmput(mm);
}
