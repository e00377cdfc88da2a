/*
 * mutex.c - sleeping locks (see mutex.h for the rules and the invariant).
 *
 * The slow path, step by step, and the race each step closes:
 *   1. take wait_lock and join wait_list - from here an unlock will see us;
 *   2. set our state to TASK_UNINTERRUPTIBLE - from here a wake-up sets it
 *      back and schedule() will not sleep;
 *   3. try the CMPXCHG once more - the owner may have left between our
 *      first try and step 1, and would then have found the list empty;
 *   4. drop wait_lock and schedule().
 * mutex_unlock() clears owner *before* taking wait_lock to wake the first
 * waiter, so any waiter either sees owner == NULL at step 3 or is on the
 * list when the unlocker looks.
 */
#include "sched/mutex.h"
#include "sched/sched.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/stacktrace.h"

struct mutex_waiter {
	struct list_head list;
	struct task_struct *task;
};

void __mutex_init(struct mutex *lock, const char *name)
{
	lock->owner = NULL;
	spin_lock_init(&lock->wait_lock);
	INIT_LIST_HEAD(&lock->wait_list);
	lock->name = name;
}

static bool __mutex_trylock(struct mutex *lock)
{
	struct task_struct *expected = NULL;

	return __atomic_compare_exchange_n(&lock->owner, &expected, current, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void mutex_bug(struct mutex *lock, const char *what)
{
	struct task_struct *owner = READ_ONCE(lock->owner);

	printk(KERN_ERR "BUG: mutex %s: %s, owner %s/%d, current %s/%d\n",
	       lock->name ? lock->name : "?", what, owner ? owner->comm : "none",
	       owner ? owner->pid : -1, current->comm, current->pid);
	dump_stack();
}

void mutex_lock(struct mutex *lock)
{
	struct mutex_waiter waiter;

	if (in_interrupt() || irqs_disabled())
		mutex_bug(lock, "mutex_lock in atomic context");
	if (READ_ONCE(lock->owner) == current) {
		mutex_bug(lock, "recursive mutex_lock (deadlock)");
		return;
	}
	if (__mutex_trylock(lock))
		return;

	waiter.task = current;
	spin_lock(&lock->wait_lock);
	list_add_tail(&waiter.list, &lock->wait_list);
	for (;;) {
		set_current_state(TASK_UNINTERRUPTIBLE);
		if (__mutex_trylock(lock))
			break;
		spin_unlock(&lock->wait_lock);
		schedule();
		spin_lock(&lock->wait_lock);
	}
	__set_current_state(TASK_RUNNING);
	list_del(&waiter.list);
	spin_unlock(&lock->wait_lock);
}

int mutex_trylock(struct mutex *lock)
{
	return __mutex_trylock(lock);
}

void mutex_unlock(struct mutex *lock)
{
	struct mutex_waiter *first = NULL;

	if (READ_ONCE(lock->owner) != current) {
		mutex_bug(lock, "unlock by a task that does not own it");
		return;
	}
	__atomic_store_n(&lock->owner, NULL, __ATOMIC_RELEASE);
	/* full barrier: owner = NULL is visible before we read the list
	 * (a store followed by a load may otherwise be reordered on x86) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	spin_lock(&lock->wait_lock);
	if (!list_empty(&lock->wait_list))
		first = list_first_entry(&lock->wait_list, struct mutex_waiter, list);
	if (first)
		wake_up_process(first->task);
	spin_unlock(&lock->wait_lock);
}

bool mutex_is_locked(struct mutex *lock)
{
	return READ_ONCE(lock->owner) != NULL;
}
