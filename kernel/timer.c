/*
 * timer.c - kernel timers on the tick, and sleeping with a time-out.
 *
 * Each CPU has a list of pending timers, kept sorted by expiry; its tick
 * (run_local_timers, interrupts off) runs the expired ones.  A timer is
 * added to the list of the CPU that arms it.
 *
 * The del_timer_sync() rule: a timer function runs without the list lock
 * (it may wake tasks, which takes other locks); base->running says which
 * timer is running, so deleting a timer can wait until its function has
 * returned before the caller frees it - schedule_timeout()'s timer lives
 * on the sleeper's stack.
 *
 * Lock order: base->lock, then whatever the timer function takes.
 */
#include "kernel/timer.h"
#include "kernel/spinlock.h"
#include "kernel/smp.h"
#include "kernel/panic.h"
#include "sched/sched.h"

struct timer_base {
	spinlock_t lock;
	struct list_head pending;
	struct timer_list *running;
};

static struct timer_base timer_bases[NR_CPUS];

void timers_init(void)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		spin_lock_init(&timer_bases[cpu].lock);
		INIT_LIST_HEAD(&timer_bases[cpu].pending);
	}
}

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *))
{
	INIT_LIST_HEAD(&t->entry);
	t->function = fn;
	t->expires = 0;
	t->cpu = -1;
}

bool timer_pending(const struct timer_list *t)
{
	return !list_empty(&t->entry);
}

/* Lock the base @t is on (it may move between our read and the lock). */
static struct timer_base *lock_timer_base(struct timer_list *t, unsigned long *flags)
{
	for (;;) {
		int cpu = READ_ONCE(t->cpu);
		struct timer_base *base;

		if (cpu < 0)
			cpu = 0;
		base = &timer_bases[cpu];
		spin_lock_irqsave(&base->lock, *flags);
		if (READ_ONCE(t->cpu) == cpu || (t->cpu < 0 && cpu == 0))
			return base;
		spin_unlock_irqrestore(&base->lock, *flags);
	}
}

static void enqueue_timer(struct timer_base *base, struct timer_list *t)
{
	struct list_head *pos;

	list_for_each(pos, &base->pending) {
		struct timer_list *o = list_entry(pos, struct timer_list, entry);

		if ((s64)(t->expires - o->expires) < 0)
			break;
	}
	list_add_tail(&t->entry, pos);
}

static bool detach_if_pending(struct timer_list *t)
{
	if (!timer_pending(t))
		return false;
	list_del_init(&t->entry);
	return true;
}

void mod_timer(struct timer_list *t, u64 expires)
{
	struct timer_base *base, *target;
	unsigned long flags;
	int cpu;

	base = lock_timer_base(t, &flags);
	detach_if_pending(t);
	spin_unlock_irqrestore(&base->lock, flags);

	local_irq_save(flags);
	cpu = smp_processor_id();		/* stable: interrupts are off */
	target = &timer_bases[cpu];
	do_raw_spin_lock(&target->lock, _THIS_IP_);
	t->expires = expires;
	WRITE_ONCE(t->cpu, cpu);
	enqueue_timer(target, t);
	do_raw_spin_unlock(&target->lock);
	local_irq_restore(flags);
}

void add_timer(struct timer_list *t)
{
	BUG_ON(timer_pending(t));
	mod_timer(t, t->expires);
}

bool del_timer(struct timer_list *t)
{
	struct timer_base *base;
	unsigned long flags;
	bool ret;

	base = lock_timer_base(t, &flags);
	ret = detach_if_pending(t);
	spin_unlock_irqrestore(&base->lock, flags);
	return ret;
}

/* Not from interrupt context: it may wait for the function on another
 * CPU, which could be waiting for us. */
bool del_timer_sync(struct timer_list *t)
{
	for (;;) {
		struct timer_base *base;
		unsigned long flags;
		bool ret, running;

		base = lock_timer_base(t, &flags);
		ret = detach_if_pending(t);
		running = base->running == t;
		spin_unlock_irqrestore(&base->lock, flags);
		if (!running)
			return ret;
		cpu_relax();
	}
}

void run_local_timers(void)
{
	struct timer_base *base = &timer_bases[smp_processor_id()];
	u64 now = READ_ONCE(jiffies);

	do_raw_spin_lock(&base->lock, _THIS_IP_);
	while (!list_empty(&base->pending)) {
		struct timer_list *t = list_first_entry(&base->pending, struct timer_list, entry);

		if ((s64)(now - t->expires) < 0)
			break;			/* sorted: the rest are later */
		list_del_init(&t->entry);
		base->running = t;
		do_raw_spin_unlock(&base->lock);
		t->function(t);
		do_raw_spin_lock(&base->lock, _THIS_IP_);
		base->running = NULL;
	}
	do_raw_spin_unlock(&base->lock);
}

/* ------------------------------------------------------------ sleeping */

struct process_timer {
	struct timer_list timer;
	struct task_struct *task;
};

static void process_timeout(struct timer_list *t)
{
	wake_up_process(container_of(t, struct process_timer, timer)->task);
}

/*
 * The caller has set its state (TASK_UNINTERRUPTIBLE, say) and, usually,
 * queued itself where a wake-up can find it; the timer is one more waker.
 * Returns 0 if the time ran out, else the jiffies that were left.
 */
long schedule_timeout(long timeout)
{
	struct process_timer pt;
	u64 expire;
	long left;

	if (timeout == MAX_SCHEDULE_TIMEOUT) {
		schedule();
		return timeout;
	}
	if (timeout <= 0) {
		__set_current_state(TASK_RUNNING);
		return 0;
	}
	expire = READ_ONCE(jiffies) + timeout;
	pt.task = current;
	timer_setup(&pt.timer, process_timeout);
	pt.timer.expires = expire;
	add_timer(&pt.timer);
	schedule();
	del_timer_sync(&pt.timer);
	left = (long)(expire - READ_ONCE(jiffies));
	return left < 0 ? 0 : left;
}

long schedule_timeout_uninterruptible(long timeout)
{
	set_current_state(TASK_UNINTERRUPTIBLE);
	return schedule_timeout(timeout);
}

/* At least @ms: +1 because the first tick may come at once. */
void msleep(unsigned int ms)
{
	long timeout = msecs_to_jiffies(ms) + 1;

	while (timeout)
		timeout = schedule_timeout_uninterruptible(timeout);
}
