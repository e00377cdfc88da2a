/*
 * futex.c - fast user-space locking: sleep until a word in user memory
 * changes (Linux's futex(2): WAIT, WAKE, REQUEUE, CMP_REQUEUE, and the
 * _BITSET forms).
 *
 * A waiter is keyed by the word's address: (mm, virtual address) for a
 * private futex (FUTEX_PRIVATE_FLAG: only threads of one process use
 * it), (physical frame, offset) for a shared one, so processes mapping
 * the same page (MAP_SHARED, or forked before a write) meet on the same
 * key.  Keys hash into buckets, each a spinlock and a list of waiters.
 *
 * THE RACE futex exists to close: user space checks the word, decides to
 * sleep, and calls FUTEX_WAIT(addr, val) - but the owner may have changed
 * the word and called FUTEX_WAKE in between.  So FUTEX_WAIT re-reads the
 * word *under the bucket lock* and sleeps only if it still equals val;
 * FUTEX_WAKE takes the same lock.  Either the waker runs first (then the
 * waiter sees the new value, returns -EAGAIN, and user space retries) or
 * the waiter is queued first (then the waker finds it).  This is the
 * kernel's wait-queue pattern (sched/wait.h), with user memory as the
 * condition.
 *
 * Reading user memory under a spinlock is safe here because the page was
 * faulted in just before the lock was taken; if it went away in between
 * (another thread's munmap), the read fails and the call returns -EFAULT.
 */
#include "kernel/syscall.h"
#include "kernel/signal.h"
#include "kernel/errno.h"
#include "kernel/timer.h"
#include "kernel/time.h"
#include "kernel/string.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "mm/pgtable.h"
#include "sched/sched.h"

#define FUTEX_WAIT		0
#define FUTEX_WAKE		1
#define FUTEX_REQUEUE		3
#define FUTEX_CMP_REQUEUE	4
#define FUTEX_WAIT_BITSET	9
#define FUTEX_WAKE_BITSET	10
#define FUTEX_PRIVATE_FLAG	128
#define FUTEX_CLOCK_REALTIME	256
#define FUTEX_CMD_MASK		(~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_MATCH_ANY	0xffffffffU

#define FUTEX_HASH_SIZE		64

struct futex_key {
	u64 a, b;		/* private: mm, address; shared: frame, offset */
};

struct futex_bucket;

struct futex_q {
	struct list_head list;
	struct futex_key key;
	struct futex_bucket *hb;	/* where it is queued: REQUEUE moves it */
	struct task_struct *task;
	u32 bitset;
	bool woken;
};

struct futex_bucket {
	spinlock_t lock;
	struct list_head waiters;
};

static struct futex_bucket futex_queues[FUTEX_HASH_SIZE];
static bool futex_ready;

void futex_init(void);
void futex_init(void)
{
	for (int i = 0; i < FUTEX_HASH_SIZE; i++) {
		spin_lock_init(&futex_queues[i].lock);
		INIT_LIST_HEAD(&futex_queues[i].waiters);
	}
	futex_ready = true;
}

static struct futex_bucket *hash_futex(const struct futex_key *k)
{
	u64 h = (k->a ^ (k->b >> 2)) * 0x9e3779b97f4a7c15ULL;

	return &futex_queues[h >> 58];
}

static bool key_eq(const struct futex_key *x, const struct futex_key *y)
{
	return x->a == y->a && x->b == y->b;
}

/* Fault the word in (so the read under the lock finds it) and key it. */
static int get_futex_key(u32 __user *uaddr, bool private, struct futex_key *key)
{
	u64 a = (u64)uaddr;
	phys_addr_t pa;
	u32 val;

	if (a & 3)
		return -EINVAL;
	if (copy_from_user(&val, uaddr, sizeof(val)))
		return -EFAULT;
	if (private) {
		key->a = (u64)current->mm;
		key->b = a;
		return 0;
	}
	if (follow_pte(current->mm, a & ~(PAGE_SIZE - 1), &pa, NULL))
		return -EFAULT;
	key->a = pa;
	key->b = a & (PAGE_SIZE - 1);
	return 0;
}

/* A relative timespec (FUTEX_WAIT) or an absolute one (_BITSET), as
 * jiffies from now; MAX_SCHEDULE_TIMEOUT for none. */
struct timespec_64 {
	s64 tv_sec;
	s64 tv_nsec;
};

long timespec_to_timeout(const struct timespec_64 *ts, bool absolute, int clock);

static long futex_timeout(const struct timespec_64 __user *uts, bool absolute, int clock,
			  long *timeout)
{
	struct timespec_64 ts;

	*timeout = MAX_SCHEDULE_TIMEOUT;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*timeout = timespec_to_timeout(&ts, absolute, clock);
	return 0;
}

static long futex_wait(u32 __user *uaddr, bool private, u32 val, long timeout, u32 bitset)
{
	struct futex_bucket *hb;
	struct futex_q q;
	unsigned long flags;
	u32 cur;
	int err;

	if (!bitset)
		return -EINVAL;
	err = get_futex_key(uaddr, private, &q.key);
	if (err)
		return err;
	q.task = current;
	q.bitset = bitset;
	q.woken = false;
	hb = hash_futex(&q.key);

	spin_lock_irqsave(&hb->lock, flags);
	if (copy_from_user(&cur, uaddr, sizeof(cur))) {
		spin_unlock_irqrestore(&hb->lock, flags);
		return -EFAULT;
	}
	if (cur != val) {
		spin_unlock_irqrestore(&hb->lock, flags);
		return -EAGAIN;		/* the word moved on: retry in user space */
	}
	list_add_tail(&q.list, &hb->waiters);
	q.hb = hb;
	set_current_state(TASK_INTERRUPTIBLE);
	spin_unlock_irqrestore(&hb->lock, flags);

	if (!READ_ONCE(q.woken) && !signal_pending(current))
		timeout = schedule_timeout(timeout);
	__set_current_state(TASK_RUNNING);

	for (;;) {			/* the bucket we are in now, locked */
		hb = READ_ONCE(q.hb);
		spin_lock_irqsave(&hb->lock, flags);
		if (hb == READ_ONCE(q.hb))
			break;
		spin_unlock_irqrestore(&hb->lock, flags);
	}
	if (q.woken) {
		spin_unlock_irqrestore(&hb->lock, flags);
		return 0;
	}
	list_del(&q.list);
	spin_unlock_irqrestore(&hb->lock, flags);
	if (!timeout)
		return -ETIMEDOUT;
	return -EINTR;
}

/* Wake up to @nr waiters on @uaddr whose bitset matches; the count. */
static long futex_wake_bits(u32 __user *uaddr, bool private, int nr, u32 bitset)
{
	struct futex_key key;
	struct futex_bucket *hb;
	struct futex_q *q, *n;
	unsigned long flags;
	int woken = 0, err;

	if (!bitset)
		return -EINVAL;
	err = get_futex_key(uaddr, private, &key);
	if (err)
		return err;
	hb = hash_futex(&key);
	spin_lock_irqsave(&hb->lock, flags);
	list_for_each_entry_safe(q, n, &hb->waiters, list) {
		if (woken >= nr)
			break;
		if (!key_eq(&q->key, &key) || !(q->bitset & bitset))
			continue;
		list_del(&q->list);
		WRITE_ONCE(q->woken, true);
		wake_up_process(q->task);
		woken++;
	}
	spin_unlock_irqrestore(&hb->lock, flags);
	return woken;
}

/* For CLONE_CHILD_CLEARTID at thread exit (kernel/exit.c).  Both keys:
 * musl's pthread_join waits on the tid word as a private futex. */
int futex_wake(u32 __user *uaddr, int nr_wake);
int futex_wake(u32 __user *uaddr, int nr_wake)
{
	if (!futex_ready)
		return 0;
	if (futex_wake_bits(uaddr, true, nr_wake, FUTEX_BITSET_MATCH_ANY) > 0)
		return 1;
	return futex_wake_bits(uaddr, false, nr_wake, FUTEX_BITSET_MATCH_ANY);
}

static void double_lock_hb(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a > b) {
		struct futex_bucket *t = a;

		a = b;
		b = t;
	}
	spin_lock(&a->lock);
	if (a != b)
		spin_lock(&b->lock);
}

static void double_unlock_hb(struct futex_bucket *a, struct futex_bucket *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

/* Wake @nr_wake on uaddr, move up to @nr_requeue others to uaddr2
 * (CMP_REQUEUE: only if *uaddr still equals @cmpval). */
static long futex_requeue(u32 __user *uaddr, bool private, int nr_wake,
			  int nr_requeue, u32 __user *uaddr2, u32 *cmpval)
{
	struct futex_key k1, k2;
	struct futex_bucket *hb1, *hb2;
	struct futex_q *q, *n;
	unsigned long flags;
	long done = 0;
	int err, moved = 0;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	err = get_futex_key(uaddr, private, &k1);
	if (!err)
		err = get_futex_key(uaddr2, private, &k2);
	if (err)
		return err;
	hb1 = hash_futex(&k1);
	hb2 = hash_futex(&k2);
	local_irq_save(flags);
	double_lock_hb(hb1, hb2);
	if (cmpval) {
		u32 cur;

		if (copy_from_user(&cur, uaddr, sizeof(cur))) {
			done = -EFAULT;
			goto out;
		}
		if (cur != *cmpval) {
			done = -EAGAIN;
			goto out;
		}
	}
	list_for_each_entry_safe(q, n, &hb1->waiters, list) {
		if (!key_eq(&q->key, &k1))
			continue;
		if (done < nr_wake) {
			list_del(&q->list);
			WRITE_ONCE(q->woken, true);
			wake_up_process(q->task);
			done++;
		} else if (moved < nr_requeue) {
			list_del(&q->list);
			q->key = k2;
			list_add_tail(&q->list, &hb2->waiters);
			WRITE_ONCE(q->hb, hb2);
			moved++;
		} else {
			break;
		}
	}
	done += moved;
out:
	double_unlock_hb(hb1, hb2);
	local_irq_restore(flags);
	return done;
}

SYSCALL_DEFINE6(futex, u32 __user *, uaddr, int, op, u32, val,
		const struct timespec_64 __user *, utime, u32 __user *, uaddr2, u32, val3)
{
	bool private = op & FUTEX_PRIVATE_FLAG;
	int cmd = op & FUTEX_CMD_MASK;
	int clock = (op & FUTEX_CLOCK_REALTIME) ? 0 /* REALTIME */ : 1 /* MONOTONIC */;
	long timeout, err;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		err = futex_timeout(utime, false, clock, &timeout);
		return err ? err : futex_wait(uaddr, private, val, timeout, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		err = futex_timeout(utime, true, clock, &timeout);
		return err ? err : futex_wait(uaddr, private, val, timeout, val3);
	case FUTEX_WAKE:
		return futex_wake_bits(uaddr, private, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_wake_bits(uaddr, private, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, private, (int)val, (int)(long)utime, uaddr2, NULL);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, private, (int)val, (int)(long)utime, uaddr2, &val3);
	default:
		return -ENOSYS;
	}
}
