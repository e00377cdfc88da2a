/*
 * spinlock.c - spinlock_t: the ticket lock plus, with CONFIG_DEBUG_SPINLOCK,
 * the owner bookkeeping and the checks that turn a silent hang into a
 * report naming the lock, the CPUs and the holder's call site.
 *
 * spin_lock() is an always-inline wrapper (kernel/spinlock.h) that raises
 * the preempt count and passes its caller's address in: that is what the
 * reports symbolize.
 *
 * Invariant: owner_cpu is written only by the CPU holding the lock (or
 * taking it), and set back to -1 before the releasing store; so a CPU that
 * reads its own number there really holds the lock.  Other CPUs' reads of
 * owner_cpu/owner_ip are racy and used only in reports.
 */
#include "kernel/spinlock.h"
#include "kernel/smp.h"
#include "kernel/panic.h"

#if CONFIG_DEBUG_SPINLOCK

#include "kernel/printk.h"
#include "kernel/kallsyms.h"
#include "kernel/stacktrace.h"
#include "kernel/vsnprintf.h"
#include "kernel/time.h"

spin_debug_report_t spin_debug_report_hook;
unsigned int spin_lockup_ms = 2000;

/* Without a calibrated TSC: loops of PAUSE, roughly seconds on real CPUs. */
#define SPIN_LOCKUP_LOOPS	(1ULL << 28)

void __spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->raw = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
	lock->name = name;
	lock->owner_cpu = -1;
	lock->owner_ip = 0;
}

bool spin_held_by_this_cpu(spinlock_t *lock)
{
	return spin_is_locked(lock) &&
	       READ_ONCE(lock->owner_cpu) == smp_processor_id();
}

/*
 * The production path panics (a lock bug corrupts whatever the lock
 * protects; going on would bury the cause), except for a suspected
 * lockup, which may yet resolve: that one prints a backtrace and returns.
 */
static void spin_report(spinlock_t *lock, enum spin_bug bug, const char *msg)
{
	spin_debug_report_t hook = READ_ONCE(spin_debug_report_hook);

	if (hook) {
		hook(lock, bug, msg);
		return;
	}
	if (bug != SPIN_BUG_LOCKUP)
		panic("%s", msg);
	printk(KERN_ERR "%s\n", msg);
	dump_stack();
}

static void spin_bug(spinlock_t *lock, enum spin_bug bug)
{
	static const char *const what[] = {
		[SPIN_BUG_RECURSION] = "recursion",
		[SPIN_BUG_WRONG_OWNER] = "wrong owner",
		[SPIN_BUG_ALREADY_UNLOCKED] = "already unlocked",
		[SPIN_BUG_NOT_HELD] = "not held",
		[SPIN_BUG_LOCKUP] = "lockup suspected",
	};
	int owner = READ_ONCE(lock->owner_cpu);
	char msg[256], sym[128];
	int n;

	sprint_symbol(sym, sizeof(sym), READ_ONCE(lock->owner_ip));
	n = snprintf(msg, sizeof(msg), "BUG: spinlock %s on CPU%d, lock %s",
		     what[bug], smp_processor_id(), lock->name ? lock->name : "?");
	if (bug == SPIN_BUG_RECURSION)
		snprintf(msg + n, sizeof(msg) - n, ", held from %s", sym);
	else if (owner >= 0)
		snprintf(msg + n, sizeof(msg) - n, ", owner cpu %d at %s", owner, sym);
	else if (bug == SPIN_BUG_ALREADY_UNLOCKED && lock->owner_ip)
		snprintf(msg + n, sizeof(msg) - n, ", last taken at %s", sym);
	spin_report(lock, bug, msg);
}

static bool spin_waited_too_long(u64 start_tsc, u64 loops)
{
	u64 khz = READ_ONCE(tsc_khz);

	if (!khz)
		return loops >= SPIN_LOCKUP_LOOPS;
	return rdtsc() - start_tsc >= (u64)READ_ONCE(spin_lockup_ms) * khz;
}

/* arch_spin_wait() with the lockup check; the clock is read every 256
 * PAUSEs, which keeps RDTSC off the hot path of a short wait. */
static void spin_wait_debug(spinlock_t *lock, u16 ticket)
{
	u64 start = rdtsc(), loops = 0;
	bool reported = false;

	while (READ_ONCE(lock->raw.tickets.owner) != ticket) {
		cpu_relax();
		if (reported || ++loops % 256)
			continue;
		if (spin_waited_too_long(start, loops)) {
			spin_bug(lock, SPIN_BUG_LOCKUP);
			reported = true;
		}
	}
	barrier();
}

static void spin_acquired(spinlock_t *lock, u64 ip)
{
	WRITE_ONCE(lock->owner_cpu, smp_processor_id());
	WRITE_ONCE(lock->owner_ip, ip);
}

void do_raw_spin_lock(spinlock_t *lock, u64 ip)
{
	u32 old;

	/* Checked before drawing a ticket: ours would never be served. */
	if (spin_held_by_this_cpu(lock)) {
		spin_bug(lock, SPIN_BUG_RECURSION);
		return;
	}
	old = arch_spin_take_ticket(&lock->raw);
	if (!arch_spin_value_unlocked(old))
		spin_wait_debug(lock, old >> TICKET_SHIFT);
	spin_acquired(lock, ip);
}

int do_raw_spin_trylock(spinlock_t *lock, u64 ip)
{
	if (!arch_spin_trylock(&lock->raw))
		return 0;
	spin_acquired(lock, ip);
	return 1;
}

void do_raw_spin_unlock(spinlock_t *lock)
{
	if (!spin_is_locked(lock)) {
		spin_bug(lock, SPIN_BUG_ALREADY_UNLOCKED);
		return;
	}
	if (READ_ONCE(lock->owner_cpu) != smp_processor_id()) {
		spin_bug(lock, SPIN_BUG_WRONG_OWNER);
		return;
	}
	WRITE_ONCE(lock->owner_cpu, -1);	/* before the release: see top */
	arch_spin_unlock(&lock->raw);
}

void assert_spin_locked(spinlock_t *lock)
{
	if (!spin_held_by_this_cpu(lock))
		spin_bug(lock, SPIN_BUG_NOT_HELD);
}

#else /* !CONFIG_DEBUG_SPINLOCK */

void __spin_lock_init(spinlock_t *lock, const char *name)
{
	lock->raw = (arch_spinlock_t)__ARCH_SPIN_LOCK_UNLOCKED;
}

void do_raw_spin_lock(spinlock_t *lock, u64 ip)
{
	arch_spin_lock(&lock->raw);
}

int do_raw_spin_trylock(spinlock_t *lock, u64 ip)
{
	return arch_spin_trylock(&lock->raw);
}

void do_raw_spin_unlock(spinlock_t *lock)
{
	arch_spin_unlock(&lock->raw);
}

void assert_spin_locked(spinlock_t *lock)
{
	BUG_ON(!spin_is_locked(lock));
}

#endif
