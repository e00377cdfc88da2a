/*
 * timer.h - one-shot kernel timers on the tick (Linux's struct timer_list).
 *
 * A timer is armed on the current CPU's list with an expiry in jiffies;
 * that CPU's tick (apic_timer.c → run_local_timers) calls the function,
 * in interrupt context, at the first tick with jiffies >= expires.  So a
 * timer fires between 0 and 1 tick late (plus interrupt latency), never
 * early.  schedule_timeout() and msleep() are built on it.
 *
 * Invariants: a pending timer is on exactly one CPU's list (timer->cpu);
 * del_timer_sync() returns only when the function is not running anywhere,
 * so a timer on the stack may then go out of scope.
 */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include "kernel/types.h"
#include "kernel/list.h"

extern u64 jiffies;		/* kernel/apic_timer.c */
extern unsigned int HZ;

struct timer_list {
	struct list_head entry;	/* empty while not pending */
	u64 expires;		/* in jiffies */
	void (*function)(struct timer_list *t);
	int cpu;		/* whose list it is on */
};

void timer_setup(struct timer_list *t, void (*fn)(struct timer_list *));
void add_timer(struct timer_list *t);		/* t->expires set */
void mod_timer(struct timer_list *t, u64 expires);
bool del_timer(struct timer_list *t);		/* true if it was pending */
bool del_timer_sync(struct timer_list *t);
bool timer_pending(const struct timer_list *t);
void run_local_timers(void);			/* the tick, interrupts off */
void timers_init(void);

#define MAX_SCHEDULE_TIMEOUT	((long)(~0UL >> 1))
static inline u64 msecs_to_jiffies(u64 ms) { return (ms * HZ + 999) / 1000; }
static inline u64 jiffies_to_msecs(u64 j) { return j * 1000 / HZ; }

/* Sleep in the current state (set it first) for up to @timeout jiffies;
 * returns the jiffies left if woken early, 0 if the time ran out. */
long schedule_timeout(long timeout);
long schedule_timeout_uninterruptible(long timeout);
void msleep(unsigned int ms);

#endif
