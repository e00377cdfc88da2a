/*
 * core.c - run queues, schedule(), wake-ups, the tick, migration, and the
 * context-switch path.
 *
 * THE SWITCH PATH, in order (each step its own function; later issues hook
 * into exactly these):
 *
 *   schedule() / preempt_schedule_irq() / schedule_idle()
 *     __schedule()            pick next under rq->lock, interrupts off
 *       context_switch()
 *         switch_mm_lazy()    address space: a kernel thread borrows the
 *                             previous mm (no CR3 write); a task with an mm
 *                             goes through switch_mm() (mm/tlb.c), the one
 *                             CR3 write.  [ASID allocator, LAM: issues 8, LAM]
 *         switch_fpu()        FPU hand-over (fpu/fpu.h)  [XSAVES: issue 7]
 *         switch_to()         registers and stack (sched/switch.S), then
 *                             __switch_to(): current, TSS.sp0
 *         finish_task_switch() prev->on_cpu = 0, unlock rq, drop the lazy
 *                             mm reference, finish a pending migration
 *   exit_to_user_mode()       (kernel/entry_common.c) the work run on every
 *                             return to ring 3   [PASID fix-up, UINTR]
 *
 * PREEMPTION: full kernel preemption.  An interrupt that returns to kernel
 * code with interrupts on and preempt_count() == 0 switches if the tick or
 * a wake-up asked for it (irqentry_exit); preempt_enable() does the same
 * when the count drops to 0.  Chosen over "only at return to user mode"
 * because there is no user mode yet and every test thread is a kernel
 * thread: without it a CPU-bound kernel thread would never give the CPU
 * up, and the fairness and time-slice tests could not exist.  The price is
 * the one Linux pays: per-CPU data in task context needs preempt_disable().
 *
 * LOAD BALANCING: a new or woken task goes to its previous CPU (for a new
 * one, its creator's) if that is idle, else to an idle allowed CPU, else
 * to the least-loaded allowed CPU.  An idle CPU pulls a waiting task from the busiest run
 * queue (idle loop, and at each tick); a busy CPU does the same every
 * BALANCE_TICKS ticks if the busiest queue has at least two more tasks.
 * Only tasks that are waiting (not on a CPU) and allowed on the puller move.
 */
#include "sched/sched.h"
#include "sched/fair.h"
#include "fpu/fpu.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "mm/kstack.h"
#include "mm/slab.h"
#include "kernel/apic.h"
#include "kernel/desc.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/stacktrace.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/timer.h"
#include "kernel/vsnprintf.h"
#include "kernel/errno.h"

#define BALANCE_TICKS	4

extern char boot_stack[];

struct task_struct init_task = {
	.__state = TASK_RUNNING,
	.flags = PF_KTHREAD,
	.cpus_allowed = CPU_MASK_CPU0,
	.comm = "kmain",
	.active_mm = &init_mm,
	.stack = boot_stack,
	.pi_lock = __SPIN_LOCK_UNLOCKED(init_task.pi_lock),
	.tasks = LIST_HEAD_INIT(init_task.tasks),
};

static struct rq runqueues[NR_CPUS];
static bool sched_running;		/* set once CPU 0's rq is ready */

static DEFINE_SPINLOCK(tasks_lock);	/* the all-tasks list */
static LIST_HEAD(all_tasks);
static u64 live_tasks;
static int next_pid = 2;		/* 0: kmain and the idle tasks, 1: init */

struct rq *cpu_rq(int cpu)
{
	return &runqueues[cpu];
}

static struct rq *this_rq(void)
{
	return &runqueues[smp_processor_id()];
}

static struct task_struct *task_of(struct sched_entity *se)
{
	return container_of(se, struct task_struct, se);
}

static bool is_idle_task(const struct task_struct *p)
{
	return p->flags & PF_IDLE;
}

/* ------------------------------------------------------------ flags */

void set_tsk_need_resched(struct task_struct *p)
{
	asm volatile("lock btsq %1, %0" : "+m"(p->thread_flags)
		     : "r"((u64)TIF_NEED_RESCHED) : "memory");
}

void clear_tsk_need_resched(struct task_struct *p)
{
	asm volatile("lock btrq %1, %0" : "+m"(p->thread_flags)
		     : "r"((u64)TIF_NEED_RESCHED) : "memory");
}

/* NULL-safe: an AP's first instructions run before it has a current. */
bool need_resched(void)
{
	struct task_struct *p = current;

	return p && test_tsk_need_resched(p);
}

/* ------------------------------------------------------------ locking */

static void rq_lock(struct rq *rq)
{
	do_raw_spin_lock(&rq->lock, _THIS_IP_);
}

static void rq_unlock(struct rq *rq)
{
	do_raw_spin_unlock(&rq->lock);
}

/* Both in CPU order, so two CPUs balancing against each other cannot
 * deadlock (each holding one and waiting for the other). */
static void double_rq_lock(struct rq *a, struct rq *b)
{
	if (a == b) {
		rq_lock(a);
	} else if (a->cpu < b->cpu) {
		rq_lock(a);
		rq_lock(b);
	} else {
		rq_lock(b);
		rq_lock(a);
	}
}

static void double_rq_unlock(struct rq *a, struct rq *b)
{
	rq_unlock(a);
	if (a != b)
		rq_unlock(b);
}

/* p->pi_lock held: lock the rq p is on.  p->cpu can change until we hold
 * that rq's lock (a balancer moving p holds both rqs' locks), so check
 * again once we have it. */
static struct rq *__task_rq_lock(struct task_struct *p)
{
	for (;;) {
		struct rq *rq = cpu_rq(READ_ONCE(p->cpu));

		rq_lock(rq);
		if (rq == cpu_rq(READ_ONCE(p->cpu)))
			return rq;
		rq_unlock(rq);
	}
}

/* Linux's task_rq_lock: interrupts off, p->pi_lock, then p's rq lock -
 * p can then neither be woken nor move to another queue. */
static struct rq *task_rq_lock(struct task_struct *p, unsigned long *flags)
{
	local_irq_save(*flags);
	do_raw_spin_lock(&p->pi_lock, _THIS_IP_);
	return __task_rq_lock(p);
}

static void task_rq_unlock(struct rq *rq, struct task_struct *p, unsigned long flags)
{
	rq_unlock(rq);
	do_raw_spin_unlock(&p->pi_lock);
	local_irq_restore(flags);
}

static void update_rq_clock(struct rq *rq)
{
	rq->clock = ktime_get_ns();
}

/* ------------------------------------------------------------ the queue */

static void activate_task(struct rq *rq, struct task_struct *p, int flags)
{
	enqueue_entity(&rq->cfs, &p->se, flags);
	WRITE_ONCE(p->on_rq, 1);
}

/* Returns p's lag, for a move to another queue (ENQUEUE_MIGRATED). */
static s64 deactivate_task(struct rq *rq, struct task_struct *p)
{
	s64 lag = dequeue_entity(&rq->cfs, &p->se);

	WRITE_ONCE(p->on_rq, 0);
	return lag;
}

/* Ask rq's CPU to reschedule: its current task's flag, plus an IPI if that
 * CPU is not us (the IPI's return path does the switch, kernel/irq.c). */
static void resched_curr(struct rq *rq)
{
	struct task_struct *curr = rq->curr;

	if (test_tsk_need_resched(curr))
		return;
	set_tsk_need_resched(curr);
	if (rq->cpu != smp_processor_id())
		smp_send_reschedule(rq->cpu);
}

static void check_preempt_curr(struct rq *rq, struct task_struct *p)
{
	if (rq->cfs.curr)
		update_curr(&rq->cfs, rq->clock);	/* compare with today's vruntime */
	if (rq->curr == rq->idle ||
	    (rq->cfs.curr && check_preempt_wakeup(&rq->cfs, &p->se)))
		resched_curr(rq);
}

static void set_task_cpu(struct task_struct *p, int cpu)
{
	if (p->cpu != cpu) {
		p->nr_migrations++;
		cpu_rq(cpu)->nr_migrations++;
	}
	WRITE_ONCE(p->cpu, cpu);
}

static bool cpu_allowed(const struct task_struct *p, int cpu)
{
	return cpumask_test_cpu(cpu, &p->cpus_allowed) &&
	       cpumask_test_cpu(cpu, cpu_online_mask);
}

static bool rq_idle(struct rq *rq)
{
	return READ_ONCE(rq->curr) == rq->idle && !READ_ONCE(rq->cfs.nr_running);
}

/* Where should a waking or new task run?  Reads other queues without
 * their locks: a heuristic, re-checked by nobody, as in Linux. */
static int select_task_rq(struct task_struct *p)
{
	int prev = p->cpu, cpu, best = -1;
	unsigned best_nr = ~0U;

	if (cpu_allowed(p, prev) && rq_idle(cpu_rq(prev)))
		return prev;
	for_each_online_cpu(cpu)
		if (cpu_allowed(p, cpu) && rq_idle(cpu_rq(cpu)))
			return cpu;
	for_each_online_cpu(cpu) {
		unsigned nr = READ_ONCE(cpu_rq(cpu)->cfs.nr_running);

		if (!cpu_allowed(p, cpu))
			continue;
		if (nr < best_nr || (nr == best_nr && cpu == prev)) {
			best = cpu;
			best_nr = nr;
		}
	}
	if (best < 0) {
		/* set_cpus_allowed_ptr() refuses masks without online CPUs,
		 * so this is a mask naming only CPUs that never came up */
		printk(KERN_WARNING "sched: %s has no online CPU in its mask, using cpu0\n",
		       p->comm);
		best = 0;
	}
	return best;
}

/* ------------------------------------------------------------ wake-ups */

/*
 * Make p runnable if its state is in @state.  Returns 1 if it woke it.
 *
 * Two cases, decided under p's rq lock:
 *   - p is still on a run queue: it set its sleep state but has not yet
 *     reached schedule()'s dequeue (or is being preempted).  Setting
 *     TASK_RUNNING is enough: schedule() will then keep it queued.  This is
 *     the half of the lost-wake-up argument that lives here.
 *   - p is off the queue: it is asleep, or still switching away on its
 *     CPU (on_cpu).  Wait for on_cpu == 0 - its stack is in use until then -
 *     and enqueue it where select_task_rq() says.
 * pi_lock keeps two wakers of p from both enqueueing it.
 */
static int try_to_wake_up(struct task_struct *p, unsigned state, int enqueue_flags)
{
	unsigned long flags;
	struct rq *rq;
	int cpu, ret = 0;

	preempt_disable();		/* a local wake-up may ask for a switch: */
	local_irq_save(flags);		/* preempt_enable() below is where it happens */
	do_raw_spin_lock(&p->pi_lock, _THIS_IP_);
	if (!(task_state(p) & state))
		goto out;
	ret = 1;
	rq = __task_rq_lock(p);
	if (READ_ONCE(p->on_rq)) {
		WRITE_ONCE(p->__state, TASK_RUNNING);
		rq_unlock(rq);
		goto out;
	}
	rq_unlock(rq);

	while (__atomic_load_n(&p->on_cpu, __ATOMIC_ACQUIRE))
		cpu_relax();

	cpu = select_task_rq(p);
	rq = cpu_rq(cpu);
	rq_lock(rq);
	update_rq_clock(rq);
	if (cpu != p->cpu && !(enqueue_flags & ENQUEUE_NEW)) {
		/* vruntime becomes lag: relative to the old queue's minimum */
		p->se.vruntime -= READ_ONCE(cpu_rq(p->cpu)->cfs.min_vruntime);
		enqueue_flags |= ENQUEUE_MIGRATED;
	}
	set_task_cpu(p, cpu);
	WRITE_ONCE(p->__state, TASK_RUNNING);
	activate_task(rq, p, enqueue_flags);
	check_preempt_curr(rq, p);
	rq_unlock(rq);
out:
	do_raw_spin_unlock(&p->pi_lock);
	local_irq_restore(flags);
	preempt_enable();
	return ret;
}

int wake_up_state(struct task_struct *p, unsigned state)
{
	return try_to_wake_up(p, state, ENQUEUE_WAKEUP);
}

int wake_up_process(struct task_struct *p)
{
	return try_to_wake_up(p, TASK_NORMAL, ENQUEUE_WAKEUP);
}

/* First run of a task made by kthread_create(). */
void wake_up_new_task(struct task_struct *p)
{
	try_to_wake_up(p, TASK_NEW, ENQUEUE_NEW);
}

/* ------------------------------------------------------------ the switch */

/*
 * Address space.  A kernel thread (no mm) keeps whatever the CPU has
 * loaded: it borrows prev's active_mm and holds an mm_count on it so the
 * pgd in CR3 cannot be freed under it.  No CR3 write - that is the point:
 * a kernel thread between two slices of the same process costs no TLB
 * flush.  If prev was itself a kernel thread, its borrowed reference
 * passes straight to next.  A task with an mm goes through switch_mm(),
 * which writes CR3 only if that mm is not already loaded; a kernel thread
 * it replaces gives its borrowed reference back in finish_task_switch().
 */
static void switch_mm_lazy(struct rq *rq, struct task_struct *prev,
			   struct task_struct *next)
{
	if (!next->mm) {
		enter_lazy_tlb();		/* shootdowns may skip this CPU now */
		next->active_mm = prev->active_mm;
		if (prev->mm)
			mmgrab(prev->active_mm);
		else
			prev->active_mm = NULL;		/* reference moves to next */
		return;
	}
	switch_mm(prev->active_mm, next->mm);
	next->active_mm = next->mm;
	if (!prev->mm) {
		rq->prev_mm = prev->active_mm;		/* mmdrop after the switch */
		prev->active_mm = NULL;
	}
}

void switch_user_bases(struct task_struct *prev, struct task_struct *next);

/* Runs on next's stack, between the register switch and the return into
 * next: everything a task needs of "its" CPU (sched/switch.S jumps here). */
struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next);
struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next)
{
	u64 top = (u64)next->stack + THREAD_SIZE;

	this_cpu_write(current_task, next);
	this_cpu_write(top_of_stack, top);	/* entries from ring 3 move here */
	switch_user_bases(prev, next);			/* FS/GS bases (kernel/sys.c) */
	return prev;
}

struct task_struct *__switch_to_asm(struct task_struct *prev, struct task_struct *next);

static struct task_struct *switch_to(struct task_struct *prev, struct task_struct *next)
{
	return __switch_to_asm(prev, next);
}

static void requeue_migrated(struct task_struct *p);

/*
 * First thing on the new task's side (also reached by a new task from
 * ret_from_fork).  prev is off the CPU now: clear on_cpu (release, so
 * everything prev did is visible to whoever waits for it: a waker, or
 * kthread_join() about to free its stack), then unlock the rq that
 * __schedule() took on prev's stack.
 */
static void finish_task_switch(struct task_struct *prev)
{
	struct rq *rq = this_rq();
	struct mm_struct *mm = rq->prev_mm;
	bool migrate = prev->migrate_pending;

	rq->prev_mm = NULL;
	prev->migrate_pending = false;
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
	rq_unlock(rq);
	if (mm)
		mmdrop(mm);			/* the lazy borrow ends */
	if (migrate)
		requeue_migrated(prev);
}

static void context_switch(struct rq *rq, struct task_struct *prev,
			   struct task_struct *next)
{
	switch_mm_lazy(rq, prev, next);
	switch_fpu(prev);
	prev = switch_to(prev, next);
	/* now on next's stack; "prev" is the task we came from */
	finish_task_switch(prev);
}

/* Called by ret_from_fork: a new task's first C code. */
void schedule_tail(struct task_struct *prev);
void schedule_tail(struct task_struct *prev)
{
	finish_task_switch(prev);
	preempt_count_sub(1);		/* __schedule()'s, taken by prev */
	local_irq_enable();
}

static void account_idle(struct rq *rq, struct task_struct *prev,
			 struct task_struct *next)
{
	if (prev == rq->idle)
		rq->idle_ns += rq->clock - rq->idle_start;
	if (next == rq->idle)
		rq->idle_start = rq->clock;
}

/*
 * The scheduler.  Interrupts off, preempt_count() == 1.
 *
 * @preempt: prev is being preempted (an interrupt or preempt_enable()),
 * not going to sleep.  Then prev stays queued whatever its state: it may be
 * between set_current_state(TASK_UNINTERRUPTIBLE) and its own schedule()
 * call, and dequeuing it there would make it sleep without having checked
 * its condition - with nobody left to wake it.
 */
static void __schedule(bool preempt)
{
	struct rq *rq = this_rq();
	struct task_struct *prev = rq->curr, *next;
	struct sched_entity *se;
	int cpu = rq->cpu;

	rq_lock(rq);
	update_rq_clock(rq);
	if (!is_idle_task(prev))
		update_curr(&rq->cfs, rq->clock);

	if (!is_idle_task(prev) && prev->on_rq) {
		if (!preempt && task_state(prev) != TASK_RUNNING) {
			deactivate_task(rq, prev);
			prev->nvcsw++;
		} else if (!cpumask_test_cpu(cpu, &prev->cpus_allowed)) {
			/* its mask changed under it: leave, and be queued
			 * elsewhere once off this CPU (finish_task_switch) */
			prev->se.vruntime = (u64)deactivate_task(rq, prev);
			prev->migrate_pending = true;
		}
	}

	if (!is_idle_task(prev))
		put_prev_entity(&rq->cfs, &prev->se);
	se = pick_first_entity(&rq->cfs);
	next = se ? task_of(se) : rq->idle;
	set_next_entity(&rq->cfs, se, rq->clock);
	clear_tsk_need_resched(prev);

	if (next == prev) {
		rq_unlock(rq);
		return;
	}
	rq->nr_switches++;
	if (preempt && task_state(prev) == TASK_RUNNING && !is_idle_task(prev))
		prev->nivcsw++;			/* counted only if it really left */
	account_idle(rq, prev, next);
	WRITE_ONCE(rq->curr, next);
	WRITE_ONCE(next->on_cpu, 1);
	context_switch(rq, prev, next);		/* unlocks rq */
}

static void schedule_debug(void)
{
	if (unlikely(preempt_count() || irqs_disabled())) {
		printk(KERN_ERR "BUG: scheduling while atomic: %s/%d/0x%08x%s\n",
		       current->comm, current->pid, preempt_count(),
		       irqs_disabled() ? " (interrupts off)" : "");
		dump_stack();
	}
}

void schedule(void)
{
	schedule_debug();
	do {
		preempt_count_add(1);
		local_irq_disable();
		__schedule(false);
		local_irq_enable();
		preempt_count_sub(1);
	} while (need_resched());
}

/* The idle task's way in: it runs with preemption off all the time. */
void schedule_idle(void)
{
	do {
		local_irq_disable();
		__schedule(false);
		local_irq_enable();
	} while (need_resched());
}

/* From preempt_enable(): count just reached 0, interrupts on. */
void preempt_schedule(void)
{
	if (!sched_running || preempt_count() || irqs_disabled())
		return;
	do {
		preempt_count_add(1);
		local_irq_disable();
		__schedule(true);
		local_irq_enable();
		preempt_count_sub(1);
	} while (need_resched());
}

/* From an interrupt's return to preemptible kernel code: interrupts off,
 * and they stay off until the IRETQ restores the interrupted RFLAGS. */
void preempt_schedule_irq(void)
{
	do {
		preempt_count_add(1);
		__schedule(true);
		preempt_count_sub(1);
	} while (need_resched());
}

/* A task's last switch (do_exit): preempt_count() == 1, state TASK_DEAD,
 * so __schedule() dequeues it for good. */
void __noreturn do_task_dead(void)
{
	local_irq_disable();
	__schedule(false);
	panic("do_task_dead: %s ran again after exiting", current->comm);
}

/* sched_yield(): step behind every task waiting on this CPU. */
void yield(void)
{
	struct rq *rq;

	local_irq_disable();
	rq = this_rq();
	rq_lock(rq);
	update_rq_clock(rq);
	update_curr(&rq->cfs, rq->clock);
	yield_entity(&rq->cfs);
	rq_unlock(rq);
	local_irq_enable();
	schedule();
}

/* ------------------------------------------------------------ migration */

/* prev left a CPU its mask no longer allows (__schedule); it is off every
 * queue, TASK_RUNNING and off-CPU, so no waker or balancer touches it. */
static void requeue_migrated(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq;
	int cpu;

	local_irq_save(flags);
	do_raw_spin_lock(&p->pi_lock, _THIS_IP_);
	cpu = select_task_rq(p);
	rq = cpu_rq(cpu);
	rq_lock(rq);
	update_rq_clock(rq);
	set_task_cpu(p, cpu);
	activate_task(rq, p, ENQUEUE_MIGRATED);
	check_preempt_curr(rq, p);
	rq_unlock(rq);
	do_raw_spin_unlock(&p->pi_lock);
	local_irq_restore(flags);
}

/* Both rqs locked: move waiting task p from src to dst. */
static void move_queued_task(struct rq *src, struct rq *dst, struct task_struct *p)
{
	p->se.vruntime = (u64)deactivate_task(src, p);
	set_task_cpu(p, dst->cpu);
	activate_task(dst, p, ENQUEUE_MIGRATED);
	check_preempt_curr(dst, p);
}

int set_cpus_allowed_ptr(struct task_struct *p, const cpumask_t *mask)
{
	unsigned long flags;
	struct rq *rq;
	int cpu;

	if (!(mask->bits & cpu_online_mask->bits))
		return -EINVAL;
	if (is_idle_task(p))
		return -EINVAL;
	rq = task_rq_lock(p, &flags);
	p->cpus_allowed = *mask;
	if (cpumask_test_cpu(p->cpu, mask)) {
		rq_unlock(rq);
		goto out;
	}
	if (rq->curr == p) {
		/* running: __schedule() sees the mask and moves it */
		resched_curr(rq);
		rq_unlock(rq);
	} else if (p->on_rq) {
		struct rq *dst;

		rq_unlock(rq);
		cpu = select_task_rq(p);
		dst = cpu_rq(cpu);
		double_rq_lock(rq, dst);
		if (p->on_rq && rq->curr != p && p->cpu == rq->cpu)
			move_queued_task(rq, dst, p);
		double_rq_unlock(rq, dst);
	} else {
		rq_unlock(rq);		/* asleep or new: the wake-up decides */
	}
out:
	do_raw_spin_unlock(&p->pi_lock);
	local_irq_restore(flags);
	if (p == current && need_resched() && !preempt_count())
		schedule();
	return 0;
}

/* Pull one waiting task from the busiest queue if it has at least two more
 * than ours.  Interrupts off. */
static bool load_balance(struct rq *this)
{
	struct rq *busiest = NULL;
	unsigned this_nr = READ_ONCE(this->cfs.nr_running), max_nr = 0;
	struct list_head *pos;
	bool moved = false;
	int cpu;

	for_each_online_cpu(cpu) {
		struct rq *rq = cpu_rq(cpu);
		unsigned nr = READ_ONCE(rq->cfs.nr_running);

		if (rq != this && nr > max_nr) {
			busiest = rq;
			max_nr = nr;
		}
	}
	if (!busiest || max_nr < this_nr + 2)
		return false;
	double_rq_lock(this, busiest);
	if (busiest->cfs.nr_running >= this->cfs.nr_running + 2) {
		/* from the back: the task that would wait longest there */
		for (pos = busiest->cfs.queue.prev; pos != &busiest->cfs.queue; pos = pos->prev) {
			struct task_struct *p = task_of(list_entry(pos, struct sched_entity, run_node));

			if (p->on_cpu || !cpu_allowed(p, this->cpu))
				continue;
			update_rq_clock(this);
			move_queued_task(busiest, this, p);
			moved = true;
			break;
		}
	}
	double_rq_unlock(this, busiest);
	return moved;
}

/* ------------------------------------------------------------ the tick */

/* From the local APIC timer, every CPU, interrupts off. */
void scheduler_tick(void)
{
	struct rq *rq;
	bool balance;

	if (!READ_ONCE(sched_running))
		return;
	rq = this_rq();
	if (!rq->idle)
		return;				/* this CPU has not started */
	rq_lock(rq);
	update_rq_clock(rq);
	rq->nr_ticks++;
	if (rq->curr != rq->idle) {
		update_curr(&rq->cfs, rq->clock);
		if (check_preempt_tick(&rq->cfs))
			resched_curr(rq);
	}
	balance = (s64)(READ_ONCE(jiffies) - rq->next_balance) >= 0;
	if (balance)
		rq->next_balance = READ_ONCE(jiffies) + BALANCE_TICKS;
	rq_unlock(rq);
	if (balance || rq->curr == rq->idle)
		load_balance(rq);
}

/* ------------------------------------------------------------ tasks */

static void task_init_common(struct task_struct *p, const char *name)
{
	p->__state = TASK_NEW;
	spin_lock_init(&p->pi_lock);
	init_entity(&p->se, 0);
	p->cpus_allowed.bits = ~0ULL >> (64 - NR_CPUS);
	init_completion(&p->exited);
	strlcpy(p->comm, name, sizeof(p->comm));
	INIT_LIST_HEAD(&p->tasks);
}

static void task_list_add(struct task_struct *p)
{
	unsigned long flags;

	spin_lock_irqsave(&tasks_lock, flags);
	p->pid = p->tgid = next_pid++;
	list_add_tail(&p->tasks, &all_tasks);
	live_tasks++;
	spin_unlock_irqrestore(&tasks_lock, flags);
}

/* A task with its own kernel stack; state TASK_NEW (not runnable). */
struct task_struct *alloc_task(const char *name)
{
	struct task_struct *p = kzalloc(sizeof(*p), GFP_KERNEL);

	if (!p)
		return NULL;
	p->stack = alloc_kernel_stack();
	if (!p->stack) {
		kfree(p);
		return NULL;
	}
	task_init_common(p, name);
	p->cpu = smp_processor_id();
	task_list_add(p);
	return p;
}

/* Only for a task that has exited and is off every CPU, or never ran. */
void free_task(struct task_struct *p)
{
	unsigned long flags;

	BUG_ON(p->on_cpu || p->on_rq || p == &init_task || is_idle_task(p));
	spin_lock_irqsave(&tasks_lock, flags);
	list_del_init(&p->tasks);
	live_tasks--;
	spin_unlock_irqrestore(&tasks_lock, flags);
	if (p->active_mm)			/* only if it never ran */
		mmdrop(p->active_mm);
	free_kernel_stack(p->stack);
	kfree(p);
}

/* Callers hold tasklist_lock (kernel/signal.h), which keeps a task that
 * is not yet EXIT_DEAD from being freed under them. */
struct task_struct *find_task_by_pid(int pid);
struct task_struct *find_task_by_pid(int pid)
{
	struct task_struct *p, *found = NULL;
	unsigned long flags;

	if (pid <= 0)
		return NULL;
	spin_lock_irqsave(&tasks_lock, flags);
	list_for_each_entry(p, &all_tasks, tasks)
		if (p->pid == pid && p->signal && p->exit_state != 0x20 /* EXIT_DEAD */) {
			found = p;
			break;
		}
	spin_unlock_irqrestore(&tasks_lock, flags);
	return found;
}

/* Call @fn on every task (tasks_lock held: @fn must not sleep or create
 * or free tasks); stops early if @fn returns non-zero, which is returned. */
int for_each_task(int (*fn)(struct task_struct *p, void *arg), void *arg);
int for_each_task(int (*fn)(struct task_struct *p, void *arg), void *arg)
{
	struct task_struct *p;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&tasks_lock, flags);
	list_for_each_entry(p, &all_tasks, tasks) {
		ret = fn(p, arg);
		if (ret)
			break;
	}
	spin_unlock_irqrestore(&tasks_lock, flags);
	return ret;
}

u64 nr_tasks(void)
{
	return READ_ONCE(live_tasks);
}

static void init_idle(struct task_struct *idle, int cpu)
{
	struct rq *rq = cpu_rq(cpu);

	idle->__state = TASK_RUNNING;
	idle->flags |= PF_IDLE | PF_KTHREAD;
	idle->cpus_allowed.bits = BIT(cpu);
	idle->cpu = cpu;
	idle->on_cpu = 1;
	idle->active_mm = &init_mm;
	mmgrab(&init_mm);
	rq->idle = idle;
}

/* The AP's boot context becomes its idle task (Linux's fork_idle): the
 * stack it starts on is the one the BSP allocated for it. */
struct task_struct *fork_idle(int cpu, void *stack)
{
	struct task_struct *idle = kzalloc(sizeof(*idle), GFP_KERNEL);

	if (!idle)
		return NULL;
	task_init_common(idle, "idle");
	snprintf(idle->comm, sizeof(idle->comm), "idle/%d", cpu);
	idle->stack = stack;
	init_idle(idle, cpu);
	cpu_rq(cpu)->curr = idle;
	per_cpu(cpu)->current_task = idle;
	task_list_add(idle);
	idle->pid = idle->tgid = 0;
	return idle;
}

/* ------------------------------------------------------------ idle */

/*
 * The idle task: pull work from busy CPUs, else halt until an interrupt.
 * Interrupts go off for the final need_resched() check and STI;HLT turns
 * them on again: STI delays recognition by one instruction (SDM Vol. 2B,
 * STI), so a reschedule IPI arriving after the check still ends the HLT
 * instead of being taken before it - the idle loop's own lost wake-up.
 */
/* not inlined: backtraces of idle CPUs should say cpu_idle_loop */
static void __noreturn __attribute__((noinline)) cpu_idle_loop(void)
{
	struct rq *rq = this_rq();

	for (;;) {
		while (!need_resched()) {
			local_irq_disable();
			if (load_balance(rq) || need_resched()) {
				local_irq_enable();
				break;
			}
			asm volatile("sti; hlt" ::: "memory");
		}
		schedule_idle();
	}
}

void __noreturn cpu_startup_entry(void)
{
	preempt_disable();		/* the idle task is never preempted */
	this_rq()->idle_start = ktime_get_ns();
	cpu_idle_loop();
}

static int idle_thread_fn(void *unused)
{
	cpu_startup_entry();
}

/* ------------------------------------------------------------ init */

static void init_rq(int cpu)
{
	struct rq *rq = cpu_rq(cpu);

	spin_lock_init(&rq->lock);
	rq->cpu = cpu;
	init_cfs_rq(&rq->cfs);
}

/*
 * CPU 0: the boot context (kmain, on boot_stack) becomes init_task, queued
 * and running on CPU 0's rq; CPU 0 gets a separate idle task.  kmain stays
 * pinned to CPU 0: it runs the tests and the monitor, which use CPU 0's
 * per-CPU state.
 */
void sched_init(void)
{
	struct rq *rq;
	struct task_struct *idle;
	unsigned long flags;

	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		init_rq(cpu);
	rq = cpu_rq(0);
	task_init_common(&init_task, "kmain");
	init_task.__state = TASK_RUNNING;
	init_task.cpus_allowed = CPU_MASK_CPU0;
	init_task.active_mm = &init_mm;
	mmgrab(&init_mm);
	init_task.on_cpu = 1;
	task_list_add(&init_task);
	init_task.pid = init_task.tgid = 0;

	/* save/restore: this runs before the 8259s are remapped, and an
	 * interrupt now would arrive on an exception vector */
	local_irq_save(flags);
	rq->curr = &init_task;
	update_rq_clock(rq);
	activate_task(rq, &init_task, 0);
	set_next_entity(&rq->cfs, &init_task.se, rq->clock);
	local_irq_restore(flags);

	idle = __kthread_create(idle_thread_fn, NULL, "idle/0");
	if (!idle)
		panic("sched: no memory for cpu0's idle task");
	init_idle(idle, 0);
	/* not running yet: it borrows an mm at its first switch, like any
	 * kernel thread, so it holds none now */
	mmdrop(&init_mm);
	idle->active_mm = NULL;
	idle->pid = idle->tgid = 0;
	idle->on_cpu = 0;		/* not running yet: the first switch sets it */
	rq->idle_start = rq->clock;
	WRITE_ONCE(sched_running, true);
	pr_info("sched: fair policy (weighted vruntime), HZ=%u, latency %llu us, "
		"full kernel preemption\n", HZ,
		(unsigned long long)(SCHED_LATENCY_NS / 1000));
}

/* ------------------------------------------------------------ info */

int set_user_nice(struct task_struct *p, int nice)
{
	unsigned long flags;
	struct rq *rq;

	if (nice < MIN_NICE || nice > MAX_NICE)
		return -EINVAL;
	rq = task_rq_lock(p, &flags);
	update_rq_clock(rq);
	if (rq->cfs.curr == &p->se)
		update_curr(&rq->cfs, rq->clock);
	reweight_entity(&rq->cfs, &p->se, nice_to_weight(nice));
	p->nice = nice;
	task_rq_unlock(rq, p, flags);
	return 0;
}

int sched_task_cpu(const struct task_struct *p)
{
	return READ_ONCE(p->cpu);
}

/* Includes the slice now running. */
u64 task_sum_exec_runtime(struct task_struct *p)
{
	unsigned long flags;
	struct rq *rq;
	u64 ns;

	rq = task_rq_lock(p, &flags);
	if (rq->cfs.curr == &p->se) {
		update_rq_clock(rq);
		update_curr(&rq->cfs, rq->clock);
	}
	ns = p->se.sum_exec_runtime;
	task_rq_unlock(rq, p, flags);
	return ns;
}

void sched_cpu_stats(int cpu, struct sched_cpu_stats *st)
{
	struct rq *rq = cpu_rq(cpu);
	unsigned long flags;

	memset(st, 0, sizeof(*st));
	if (cpu < 0 || cpu >= NR_CPUS || !rq->idle)
		return;
	local_irq_save(flags);
	rq_lock(rq);
	st->nr_switches = rq->nr_switches;
	st->nr_migrations = rq->nr_migrations;
	st->idle_ns = rq->idle_ns;
	if (rq->curr == rq->idle)
		st->idle_ns += ktime_get_ns() - rq->idle_start;
	st->nr_running = rq->cfs.nr_running;
	rq_unlock(rq);
	local_irq_restore(flags);
	st->cr3_loads = tlb_cr3_loads(cpu);
}

static const char *state_name(const struct task_struct *p)
{
	long s = task_state(p);

	if (s == TASK_RUNNING && is_idle_task(p) && !READ_ONCE(p->on_cpu))
		return "idle";
	if (s == TASK_RUNNING)
		return READ_ONCE(p->on_cpu) ? "running" : "runnable";
	if (s & TASK_DEAD)
		return "dead";
	if (s & TASK_NEW)
		return "new";
	return s & TASK_INTERRUPTIBLE ? "sleeping" : "blocked";
}

void sched_show_stats(void)
{
	struct task_struct *p;
	unsigned long flags;
	int cpu;

	printk_raw("cpu  switches  cr3-loads  migrations  idle-ms  queued\n");
	for_each_online_cpu(cpu) {
		struct sched_cpu_stats st;

		sched_cpu_stats(cpu, &st);
		printk_raw("%3d %9lu %10lu %11lu %8lu %7lu\n", cpu,
			   (unsigned long)st.nr_switches, (unsigned long)st.cr3_loads,
			   (unsigned long)st.nr_migrations,
			   (unsigned long)(st.idle_ns / 1000000),
			   (unsigned long)st.nr_running);
	}
	printk_raw("  pid comm             state     cpu nice  runtime-ms  vol/invol\n");
	spin_lock_irqsave(&tasks_lock, flags);
	list_for_each_entry(p, &all_tasks, tasks)
		printk_raw("%5d %-16s %-9s %3d %4d %11lu  %lu/%lu\n", p->pid, p->comm,
			   state_name(p), p->cpu, p->nice,
			   (unsigned long)(p->se.sum_exec_runtime / 1000000),
			   (unsigned long)p->nvcsw, (unsigned long)p->nivcsw);
	spin_unlock_irqrestore(&tasks_lock, flags);
}
