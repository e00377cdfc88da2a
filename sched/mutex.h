/*
 * mutex.h - a sleeping lock (Linux's struct mutex, simplified).
 *
 * owner is the holding task or NULL; taking a free mutex is one CMPXCHG.
 * A task that finds it held queues itself on wait_list and sleeps; unlock
 * clears owner and wakes the first waiter, which then races for the lock
 * again (no hand-off: a running task may take it first - Linux allows that
 * "lock stealing" too, for throughput).
 *
 * Rules (checked): only task context may lock (a mutex may sleep); only the
 * owner may unlock; no recursion.  Hold times may be long; a spinlock must
 * not be held across mutex_lock().
 *
 * Invariant: a waiter is on wait_list from before its last CMPXCHG attempt
 * until it owns the lock, so an unlock can never miss it (same argument as
 * the wait-queue pattern in wait.h).
 */
#ifndef SCHED_MUTEX_H
#define SCHED_MUTEX_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/spinlock.h"

struct task_struct;

struct mutex {
	struct task_struct *owner;
	spinlock_t wait_lock;
	struct list_head wait_list;
	const char *name;
};

#define __MUTEX_INITIALIZER(lockname) {					\
	.owner = NULL,							\
	.wait_lock = __SPIN_LOCK_UNLOCKED(lockname.wait_lock),		\
	.wait_list = LIST_HEAD_INIT(lockname.wait_list),		\
	.name = #lockname }
#define DEFINE_MUTEX(m) struct mutex m = __MUTEX_INITIALIZER(m)

void __mutex_init(struct mutex *lock, const char *name);
#define mutex_init(m)	__mutex_init((m), #m)
void mutex_lock(struct mutex *lock);
int mutex_trylock(struct mutex *lock);		/* 1 if taken */
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);

#endif
