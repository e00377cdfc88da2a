/*
 * wait.c - wait queues (the sleeping half of the pattern in wait.h).
 *
 * Wake functions run under wq->lock with interrupts off; they only call
 * try_to_wake_up(), which takes p->pi_lock and a run-queue lock: so the
 * lock order is wq->lock, then pi_lock, then rq->lock.
 */
#include "sched/wait.h"
#include "sched/sched.h"

void init_waitqueue_head(struct wait_queue_head *wq)
{
	spin_lock_init(&wq->lock);
	INIT_LIST_HEAD(&wq->head);
}

int default_wake_function(struct wait_queue_entry *wq_entry, unsigned mode)
{
	return wake_up_state(wq_entry->private, mode);
}

/* Woken entries leave the queue at once, so a second wake_up() cannot
 * count an already-woken sleeper as one of its nr_exclusive. */
int autoremove_wake_function(struct wait_queue_entry *wq_entry, unsigned mode)
{
	int ret = default_wake_function(wq_entry, mode);

	if (ret)
		list_del_init(&wq_entry->entry);
	return ret;
}

void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wait)
{
	unsigned long flags;

	wait->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq->lock, flags);
	list_add(&wait->entry, &wq->head);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *wait)
{
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_del_init(&wait->entry);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Queue first, then the state: both under the lock, so a waker holding
 * it sees either neither or both. */
void prepare_to_wait(struct wait_queue_head *wq, struct wait_queue_entry *wait, long state)
{
	unsigned long flags;

	wait->flags &= ~WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&wait->entry))
		list_add(&wait->entry, &wq->head);
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* Exclusive waiters go to the tail: wake_up() wakes the non-exclusive
 * ones and then the first exclusive one (no thundering herd). */
void prepare_to_wait_exclusive(struct wait_queue_head *wq, struct wait_queue_entry *wait,
			       long state)
{
	unsigned long flags;

	wait->flags |= WQ_FLAG_EXCLUSIVE;
	spin_lock_irqsave(&wq->lock, flags);
	if (list_empty(&wait->entry))
		list_add_tail(&wait->entry, &wq->head);
	set_current_state(state);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/* list_empty without the lock is safe here: only a waker, under the lock,
 * removes our entry, and after that nobody touches it again. */
void finish_wait(struct wait_queue_head *wq, struct wait_queue_entry *wait)
{
	unsigned long flags;

	__set_current_state(TASK_RUNNING);
	if (!list_empty(&wait->entry)) {
		spin_lock_irqsave(&wq->lock, flags);
		list_del_init(&wait->entry);
		spin_unlock_irqrestore(&wq->lock, flags);
	}
}

void __wake_up(struct wait_queue_head *wq, unsigned mode, int nr_exclusive)
{
	struct wait_queue_entry *curr, *next;
	unsigned long flags;

	spin_lock_irqsave(&wq->lock, flags);
	list_for_each_entry_safe(curr, next, &wq->head, entry) {
		unsigned f = curr->flags;

		if (curr->func(curr, mode) && (f & WQ_FLAG_EXCLUSIVE) && !--nr_exclusive)
			break;
	}
	spin_unlock_irqrestore(&wq->lock, flags);
}

bool waitqueue_active(struct wait_queue_head *wq)
{
	return !list_empty(&wq->head);
}
