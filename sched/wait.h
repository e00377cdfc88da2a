/*
 * wait.h - wait queues: how a task sleeps until a condition holds.
 *
 * THE PATTERN (every sleeper in the kernel follows it; wait_event() is it):
 *
 *	DEFINE_WAIT(wait);
 *	for (;;) {
 *		prepare_to_wait(&wq, &wait, TASK_UNINTERRUPTIBLE);  // 1. queue, state
 *		if (condition)                                      // 2. check
 *			break;
 *		schedule();                                         // 3. sleep
 *	}
 *	finish_wait(&wq, &wait);
 *
 *	waker:  condition = true;  wake_up(&wq);
 *
 * Why in this order: the sleeper announces itself (on the queue, state
 * not RUNNING) *before* it looks at the condition.  If the waker sets the
 * condition after the check, it also finds the sleeper on the queue and
 * sets it back to TASK_RUNNING - and schedule() does not deschedule a task
 * whose state is RUNNING.  Checking first and queueing second leaves a
 * window where the wake-up finds nobody and the sleeper sleeps forever:
 * the lost wake-up.  set_current_state() uses XCHG, a full barrier, because
 * x86 may otherwise let the condition load pass the state store (a store
 * may be buffered past a later load, SDM Vol. 3A, "Memory Ordering in P6
 * and More Recent Processor Families").  See docs/scheduler.md.
 *
 * Invariant: an entry is on at most one queue, and only while its task is
 * between prepare_to_wait() and finish_wait().  wq->lock is taken with
 * interrupts off: interrupt handlers call wake_up().
 */
#ifndef SCHED_WAIT_H
#define SCHED_WAIT_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct task_struct;
struct wait_queue_entry;
typedef int (*wait_queue_func_t)(struct wait_queue_entry *wq_entry, unsigned mode);

struct wait_queue_entry {
	struct task_struct *private;	/* the sleeper */
	wait_queue_func_t func;
	struct list_head entry;
	unsigned flags;
};

#define WQ_FLAG_EXCLUSIVE	0x01	/* wake_up() wakes one of these */

struct wait_queue_head {
	spinlock_t lock;
	struct list_head head;
};
typedef struct wait_queue_head wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) {				\
	.lock = __SPIN_LOCK_UNLOCKED(name.lock),			\
	.head = LIST_HEAD_INIT(name.head) }
#define DECLARE_WAIT_QUEUE_HEAD(name) \
	struct wait_queue_head name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

void init_waitqueue_head(struct wait_queue_head *wq);

int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned mode);
int default_wake_function(struct wait_queue_entry *wq_entry, unsigned mode);

#define DEFINE_WAIT(name) struct wait_queue_entry name = {		\
	.private = current, .func = autoremove_wake_function,		\
	.entry = LIST_HEAD_INIT((name).entry) }

void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *wait, long state);
void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *wait,
			       long state);
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wait);
void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wait);
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wait);

/* mode: the task states to wake (TASK_NORMAL: either sleep). nr_exclusive:
 * how many exclusive waiters to wake, 0 for all. */
void __wake_up(struct wait_queue_head *wq, unsigned mode, int nr_exclusive);
#define wake_up(wq)		__wake_up((wq), TASK_NORMAL, 1)
#define wake_up_all(wq)		__wake_up((wq), TASK_NORMAL, 0)
bool waitqueue_active(struct wait_queue_head *wq);

/* Sleep until @cond; the whole pattern above.  Task context only. */
#ifdef BUG_LOST_WAKEUP
/*
 * BUG=lost-wakeup: the naive order - check, then queue and sleep.  A waker
 * that sets @cond and calls wake_up() between the check and
 * prepare_to_wait() finds nobody to wake, and the sleeper sleeps with its
 * condition true.  The window is a few instructions wide; the udelay()
 * widens it to 200 us, as race reproducers do, so the ping-pong test hits
 * it within a few rounds instead of once in a blue moon.
 */
#include "kernel/time.h"
#define wait_event(wq, cond) do {					\
	DEFINE_WAIT(__wait);						\
	for (;;) {							\
		if (cond)						\
			break;						\
		udelay(200);						\
		prepare_to_wait(&(wq), &__wait, TASK_UNINTERRUPTIBLE);	\
		schedule();						\
	}								\
	finish_wait(&(wq), &__wait);					\
} while (0)
#else
#define wait_event(wq, cond) do {					\
	DEFINE_WAIT(__wait);						\
	for (;;) {							\
		prepare_to_wait(&(wq), &__wait, TASK_UNINTERRUPTIBLE);	\
		if (cond)						\
			break;						\
		schedule();						\
	}								\
	finish_wait(&(wq), &__wait);					\
} while (0)
#endif

/*
 * Sleep until @cond or @timeout jiffies pass.  Like Linux: 0 if the time
 * ran out with @cond still false, otherwise the jiffies left (at least 1).
 */
#define wait_event_timeout(wq, cond, timeout) ({			\
	long __left = (timeout);					\
	DEFINE_WAIT(__wait);						\
	for (;;) {							\
		prepare_to_wait(&(wq), &__wait, TASK_UNINTERRUPTIBLE);	\
		if (cond) {						\
			if (!__left)					\
				__left = 1;				\
			break;						\
		}							\
		if (!__left)						\
			break;						\
		__left = schedule_timeout(__left);			\
	}								\
	finish_wait(&(wq), &__wait);					\
	__left;								\
})

#endif
