/*
 * spinlock.h - ticket spinlocks (the x86 design Linux used 2008-2015).
 *
 * A lock is two 16-bit counters: `next`, the ticket the next arriving CPU
 * will draw, and `owner`, the ticket now being served.  Taking the lock is
 * one LOCK XADD that adds 1 to `next` and returns the old value: that is
 * our ticket, and we spin (PAUSE) until `owner` equals it.  Releasing adds
 * 1 to `owner`, which calls the next ticket.  Free means owner == next.
 *
 * Why tickets: a plain test-and-set lock lets whichever CPU's cache wins
 * the line take it, so the CPU sharing a cache (or a socket) with the last
 * holder can win over and over while another CPU starves.  Tickets serve
 * CPUs strictly in arrival order (FIFO): a waiter's wait is bounded by the
 * number of CPUs ahead of it.  See docs/locking.md for the timeline.
 *
 * Why release is a plain store: only the holder writes `owner`, so no
 * atomic instruction is needed, and x86 already gives the store release
 * ordering: writes are not reordered with older reads or with other
 * writes (SDM Vol. 3A, "Memory Ordering in P6 and More Recent Processor
 * Families").  Every load and store of the critical section is globally
 * visible before another CPU can see the new `owner`.  Only the compiler
 * must be stopped from sinking them below the store (barrier()).
 *
 * Two levels:
 *   arch_spinlock_t  the bare ticket lock, inline, no checks.  For printk's
 *                    log buffer lock and the debug code itself, which must
 *                    not report through printk while holding it.
 *   spinlock_t       what everything else uses.  With CONFIG_DEBUG_SPINLOCK
 *                    (default on) it records a name, the owner CPU and the
 *                    owner's return address and panics on recursion,
 *                    unlocking a lock this CPU does not hold, and
 *                    assert_spin_locked() failures; a waiter that spins
 *                    for spin_lockup_ms (2 s; 2^28 loops before the TSC is
 *                    calibrated) prints "lockup suspected" once and keeps
 *                    spinning.
 *
 * The irqsave rule: a lock that an interrupt handler takes must be taken
 * with interrupts off everywhere (spin_lock_irqsave), or the handler can
 * interrupt the holder on its own CPU and spin forever.
 *
 * Preemption: spin_lock() raises the preempt count (kernel/preempt.h)
 * before drawing its ticket and spin_unlock() lowers it after the release,
 * so a holder is never switched out while others spin on it: a waiter
 * would burn its whole time slice, or, on one CPU, spin forever.  The
 * do_raw_spin_*() forms take the lock with the debug checks but leave the
 * count alone; only the scheduler uses them, for run-queue locks it takes
 * with interrupts off and releases on the other side of a task switch.
 *
 * Invariants: a lock is initialised (DEFINE_SPINLOCK or spin_lock_init)
 * before use; it is released on the CPU that took it; lock sections nest
 * in the order docs/locking.md lists.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include "kernel/types.h"
#include "kernel/cpu.h"
#include "kernel/irqflags.h"
#include "kernel/preempt.h"

#ifndef CONFIG_DEBUG_SPINLOCK
#define CONFIG_DEBUG_SPINLOCK	1	/* build with -DCONFIG_DEBUG_SPINLOCK=0 to drop */
#endif

/* ------------------------------------------------------------ the bare lock */

#define TICKET_SHIFT	16		/* next is the high half of head_tail */

typedef struct {
	union {
		u32 head_tail;		/* both, for the XADD and CMPXCHG */
		struct {
			u16 owner;	/* the ticket being served */
			u16 next;	/* the ticket the next CPU draws */
		} tickets;
	};
} arch_spinlock_t;

#define __ARCH_SPIN_LOCK_UNLOCKED	{ .head_tail = 0 }

static inline bool arch_spin_value_unlocked(u32 head_tail)
{
	return (u16)head_tail == (u16)(head_tail >> TICKET_SHIFT);
}

static inline bool arch_spin_is_locked(arch_spinlock_t *lock)
{
	return !arch_spin_value_unlocked(READ_ONCE(lock->head_tail));
}

/* Returns the old {owner, next}: ours is the old next.  LOCK XADD is a full
 * barrier, so the critical section cannot start before it. */
static inline u32 arch_spin_take_ticket(arch_spinlock_t *lock)
{
	u32 old = 1U << TICKET_SHIFT;

	asm volatile("lock xaddl %0, %1"
		     : "+r"(old), "+m"(lock->head_tail) : : "memory");
	return old;
}

static inline void arch_spin_wait(arch_spinlock_t *lock, u16 ticket)
{
	while (READ_ONCE(lock->tickets.owner) != ticket)
		cpu_relax();
	barrier();	/* the section's accesses stay below the last check */
}

static inline void arch_spin_lock(arch_spinlock_t *lock)
{
	u32 old = arch_spin_take_ticket(lock);

	if (!arch_spin_value_unlocked(old))
		arch_spin_wait(lock, old >> TICKET_SHIFT);
}

/* Take a ticket only if it would be served at once: CMPXCHG from a free
 * value, so a busy lock's counters are left alone. */
static inline bool arch_spin_trylock(arch_spinlock_t *lock)
{
	u32 old = READ_ONCE(lock->head_tail);
	bool ok;

	if (!arch_spin_value_unlocked(old))
		return false;
	asm volatile("lock cmpxchgl %3, %1; sete %0"
		     : "=qm"(ok), "+m"(lock->head_tail), "+a"(old)
		     : "r"(old + (1U << TICKET_SHIFT)) : "memory");
	return ok;
}

static inline void arch_spin_unlock(arch_spinlock_t *lock)
{
	barrier();	/* the section's accesses stay above the release */
	WRITE_ONCE(lock->tickets.owner, (u16)(lock->tickets.owner + 1));
}

/* ------------------------------------------------------------ spinlock_t */

typedef struct spinlock {
	arch_spinlock_t raw;
#if CONFIG_DEBUG_SPINLOCK
	const char *name;
	int owner_cpu;		/* -1 while free */
	u64 owner_ip;		/* where the owner (or the last one) took it */
#endif
} spinlock_t;

#if CONFIG_DEBUG_SPINLOCK
#define __SPIN_DEBUG_INIT(lockname)	.name = #lockname, .owner_cpu = -1,
#else
#define __SPIN_DEBUG_INIT(lockname)
#endif

#define __SPIN_LOCK_UNLOCKED(lockname)					\
	{ .raw = __ARCH_SPIN_LOCK_UNLOCKED, __SPIN_DEBUG_INIT(lockname) }
#define DEFINE_SPINLOCK(x)	spinlock_t x = __SPIN_LOCK_UNLOCKED(x)

void __spin_lock_init(spinlock_t *lock, const char *name);
#define spin_lock_init(lock)	__spin_lock_init((lock), #lock)

void do_raw_spin_lock(spinlock_t *lock, u64 ip);
void do_raw_spin_unlock(spinlock_t *lock);
int do_raw_spin_trylock(spinlock_t *lock, u64 ip);	/* 1 if taken */

/* The address of this very spot (Linux's _THIS_IP_): spin_lock() is
 * always inlined, so it is in spin_lock()'s caller - the name the debug
 * reports print. */
#define _THIS_IP_	({ __label__ __here; __here: (u64)&&__here; })

static __attribute__((always_inline)) inline void spin_lock(spinlock_t *lock)
{
	preempt_disable();
	do_raw_spin_lock(lock, _THIS_IP_);
}

static __attribute__((always_inline)) inline int spin_trylock(spinlock_t *lock)
{
	preempt_disable();
	if (do_raw_spin_trylock(lock, _THIS_IP_))
		return 1;
	preempt_enable();
	return 0;
}

static inline void spin_unlock(spinlock_t *lock)
{
	do_raw_spin_unlock(lock);
	preempt_enable();
}

static inline bool spin_is_locked(spinlock_t *lock)
{
	return arch_spin_is_locked(&lock->raw);
}

/* Panics unless the lock is held (with debugging: held by this CPU). */
void assert_spin_locked(spinlock_t *lock);

/* Interrupts go off before the ticket is drawn: an interrupt arriving
 * after the lock is taken but before CLI could deadlock on it. */
#define spin_lock_irqsave(lock, flags) do {				\
	local_irq_save(flags);						\
	spin_lock(lock);						\
} while (0)

/* The count drops only after interrupts are back on, so a reschedule
 * that became due inside the section happens here, not with IF=0. */
static inline void spin_unlock_irqrestore(spinlock_t *lock, unsigned long flags)
{
	do_raw_spin_unlock(lock);
	local_irq_restore(flags);
	preempt_enable();
}

#define spin_lock_irq(lock) do { local_irq_disable(); spin_lock(lock); } while (0)
static inline void spin_unlock_irq(spinlock_t *lock)
{
	do_raw_spin_unlock(lock);
	local_irq_enable();
	preempt_enable();
}

/* ------------------------------------------------------------ debugging */

#if CONFIG_DEBUG_SPINLOCK
enum spin_bug {
	SPIN_BUG_RECURSION,		/* this CPU already holds it */
	SPIN_BUG_WRONG_OWNER,		/* unlock of another CPU's lock */
	SPIN_BUG_ALREADY_UNLOCKED,	/* unlock of a free lock */
	SPIN_BUG_NOT_HELD,		/* assert_spin_locked() failed */
	SPIN_BUG_LOCKUP,		/* waited more than spin_lockup_ms */
};

/*
 * For tests only.  When set, a report calls the hook instead of printing
 * and panicking, and the faulty operation is abandoned: the lock is left
 * as it was (a recursive spin_lock returns without a ticket, a bad unlock
 * releases nothing).  A lockup report calls it once and keeps spinning,
 * so the hook may release the lock.
 */
typedef void (*spin_debug_report_t)(spinlock_t *lock, enum spin_bug bug,
				    const char *msg);
extern spin_debug_report_t spin_debug_report_hook;
extern unsigned int spin_lockup_ms;

bool spin_held_by_this_cpu(spinlock_t *lock);
#endif

#endif
