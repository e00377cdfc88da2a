/*
 * completion.h - "wait until that has happened" (Linux's struct completion).
 *
 * A counter of done events plus a wait queue.  complete() adds one event
 * and wakes one waiter; complete_all() makes every current and future wait
 * return; wait_for_completion() sleeps until an event is there and takes
 * it.  Used for "the thread has exited" (kthread_stop/kthread_join) and by
 * tests as a one-shot signal between CPUs.
 *
 * Invariant: done is only read or changed under wait.lock.
 */
#ifndef SCHED_COMPLETION_H
#define SCHED_COMPLETION_H

#include "sched/wait.h"

#define COMPLETION_ALL	0x7fffffff	/* done after complete_all() */

struct completion {
	unsigned done;
	struct wait_queue_head wait;
};

#define COMPLETION_INITIALIZER(work) \
	{ 0, __WAIT_QUEUE_HEAD_INITIALIZER((work).wait) }
#define DECLARE_COMPLETION(work) struct completion work = COMPLETION_INITIALIZER(work)

void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
/* jiffies left (>= 1) on success, 0 on time-out */
long wait_for_completion_timeout(struct completion *x, long timeout);
bool completion_done(struct completion *x);

#endif
