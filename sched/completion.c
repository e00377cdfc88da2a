/*
 * completion.c - struct completion (see completion.h).
 *
 * wait_for_completion() is the wait-queue pattern with the condition
 * "done > 0" checked under wait.lock, which complete() also holds: so the
 * check and the sleep cannot straddle a complete().
 */
#include "sched/completion.h"
#include "sched/sched.h"
#include "kernel/timer.h"

void init_completion(struct completion *x)
{
	x->done = 0;
	init_waitqueue_head(&x->wait);
}

void reinit_completion(struct completion *x)
{
	x->done = 0;
}

void complete(struct completion *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->wait.lock, flags);
	if (x->done != COMPLETION_ALL)
		x->done++;
	spin_unlock_irqrestore(&x->wait.lock, flags);
	/* after the unlock: wake_up takes the same lock */
	__wake_up(&x->wait, TASK_NORMAL, 1);
}

void complete_all(struct completion *x)
{
	unsigned long flags;

	spin_lock_irqsave(&x->wait.lock, flags);
	x->done = COMPLETION_ALL;
	spin_unlock_irqrestore(&x->wait.lock, flags);
	__wake_up(&x->wait, TASK_NORMAL, 0);
}

/* done > 0 ? take one and say so : false.  Under the lock. */
static bool try_take(struct completion *x)
{
	unsigned long flags;
	bool ok = false;

	spin_lock_irqsave(&x->wait.lock, flags);
	if (x->done) {
		if (x->done != COMPLETION_ALL)
			x->done--;
		ok = true;
	}
	spin_unlock_irqrestore(&x->wait.lock, flags);
	return ok;
}

/*
 * Exclusive waits: one complete() wakes one waiter.  The check after
 * prepare_to_wait_exclusive() is what closes the race with a complete()
 * that comes between our first check and our sleep.
 */
long wait_for_completion_timeout(struct completion *x, long timeout)
{
	DEFINE_WAIT(wait);

	for (;;) {
		prepare_to_wait_exclusive(&x->wait, &wait, TASK_UNINTERRUPTIBLE);
		if (try_take(x)) {
			if (!timeout)
				timeout = 1;
			break;
		}
		if (!timeout)
			break;
		timeout = schedule_timeout(timeout);
	}
	finish_wait(&x->wait, &wait);
	return timeout;
}

void wait_for_completion(struct completion *x)
{
	wait_for_completion_timeout(x, MAX_SCHEDULE_TIMEOUT);
}

bool completion_done(struct completion *x)
{
	return READ_ONCE(x->done) != 0;
}
