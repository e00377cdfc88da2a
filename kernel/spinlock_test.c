/*
 * spinlock_test.c - ticket lock semantics, irqsave, and the debug checks.
 *
 * One CPU runs the tests, so "another CPU holds the lock" is staged by
 * writing the lock's fields by hand, and the debug reports (which panic in
 * production) are captured through spin_debug_report_hook.  The hook is
 * always cleared before a test can return: KASSERT is not used while it
 * is set, or a later real bug would be swallowed.  While capturing, a
 * lockup report releases the lock after 20 ms, so a broken check fails
 * the test instead of hanging it.
 */
#include "kernel/ktest.h"
#include "kernel/spinlock.h"
#include "kernel/irqflags.h"
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/cpu.h"
#include "kernel/atomic.h"
#include "kernel/kallsyms.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/apic.h"

/* A queue of two, by hand: the timeline in docs/locking.md. */
KTEST(spinlock_ticket_queue)
{
	arch_spinlock_t l = __ARCH_SPIN_LOCK_UNLOCKED;
	u32 a, b;

	a = arch_spin_take_ticket(&l);		/* CPU A arrives: free */
	KEXPECT_EQ(a, 0);			/* owner 0, next 0: ticket 0 served */
	b = arch_spin_take_ticket(&l);		/* CPU B arrives: waits */
	KEXPECT_EQ(b >> TICKET_SHIFT, 1);	/* B's ticket is 1 ... */
	KEXPECT_EQ((u16)b, 0);			/* ... while 0 is served */
	KEXPECT(!arch_spin_value_unlocked(b));
	KEXPECT_EQ(l.tickets.next, 2);
	arch_spin_unlock(&l);			/* A leaves: now serving 1 = B */
	KEXPECT_EQ(l.tickets.owner, 1);
	KEXPECT(arch_spin_is_locked(&l));
	KEXPECT(!arch_spin_trylock(&l));	/* busy: counters untouched */
	KEXPECT_EQ(l.head_tail, (2U << TICKET_SHIFT) | 1);
	arch_spin_unlock(&l);			/* B leaves */
	KEXPECT(!arch_spin_is_locked(&l));
	KEXPECT_EQ(l.head_tail, (2U << TICKET_SHIFT) | 2);
}

KTEST(spinlock_lock_unlock)
{
	DEFINE_SPINLOCK(l);

	KEXPECT_EQ(l.raw.head_tail, 0);
	KEXPECT(!spin_is_locked(&l));
	spin_lock(&l);
	KEXPECT(spin_is_locked(&l));
	KEXPECT_EQ(l.raw.tickets.owner, 0);
	KEXPECT_EQ(l.raw.tickets.next, 1);
	spin_unlock(&l);
	KEXPECT(!spin_is_locked(&l));
	KEXPECT_EQ(l.raw.tickets.owner, 1);
	for (int i = 0; i < 3; i++) {
		spin_lock(&l);
		spin_unlock(&l);
	}
	KEXPECT_EQ(l.raw.tickets.owner, 4);
	KEXPECT_EQ(l.raw.tickets.next, 4);
}

KTEST(spinlock_trylock)
{
	spinlock_t l;

	spin_lock_init(&l);
	KEXPECT_EQ(spin_trylock(&l), 1);
	KEXPECT(spin_is_locked(&l));
	KEXPECT_EQ(l.raw.tickets.next, 1);
	KEXPECT_EQ(spin_trylock(&l), 0);	/* held: fails, draws no ticket */
	KEXPECT_EQ(l.raw.tickets.next, 1);
	spin_unlock(&l);
	KEXPECT(!spin_is_locked(&l));
	KEXPECT_EQ(spin_trylock(&l), 1);
	spin_unlock(&l);
	KEXPECT_EQ(l.raw.head_tail, (2U << TICKET_SHIFT) | 2);
}

/* 16-bit counters wrap; 0xffff -> 0 must still be "the next ticket". */
KTEST(spinlock_ticket_wraparound)
{
	DEFINE_SPINLOCK(l);

	l.raw.tickets.owner = l.raw.tickets.next = 0xffff;
	spin_lock(&l);
	KEXPECT(spin_is_locked(&l));
	KEXPECT_EQ(l.raw.tickets.owner, 0xffff);
	KEXPECT_EQ(l.raw.tickets.next, 0);
	KEXPECT_EQ(spin_trylock(&l), 0);
	spin_unlock(&l);
	KEXPECT(!spin_is_locked(&l));
	KEXPECT_EQ(l.raw.head_tail, 0);
	KEXPECT_EQ(spin_trylock(&l), 1);
	spin_unlock(&l);
}

/* irqsave must leave IF as it found it, from either state. */
KTEST(spinlock_irqsave_restores_if)
{
	unsigned long outer, flags;
	DEFINE_SPINLOCK(l);

	local_irq_save(outer);
	local_irq_enable();
	spin_lock_irqsave(&l, flags);
	KEXPECT(irqs_disabled());
	KEXPECT(!irqs_disabled_flags(flags));
	spin_unlock_irqrestore(&l, flags);
	KEXPECT(!irqs_disabled());

	local_irq_disable();
	spin_lock_irqsave(&l, flags);
	KEXPECT(irqs_disabled());
	KEXPECT(irqs_disabled_flags(flags));
	spin_unlock_irqrestore(&l, flags);
	KEXPECT(irqs_disabled());		/* must not STI */

	local_irq_restore(outer);
	KEXPECT_EQ(irqs_disabled(), irqs_disabled_flags(outer));
	KEXPECT(!spin_is_locked(&l));
}

/* And "disabled" must mean it: the tick waits until the restore. */
KTEST(spinlock_irqsave_holds_off_tick)
{
	unsigned long flags;
	DEFINE_SPINLOCK(l);
	u64 before, during;
	int cpu = smp_processor_id();

	if (irqs_disabled() || !tsc_khz)
		KSKIP("needs interrupts on and a calibrated TSC");
	spin_lock_irqsave(&l, flags);
	before = apic_timer_ticks(cpu);		/* inside: a tick just before
						 * the lock must not count */
	udelay(3000000 / HZ);			/* three tick periods */
	during = apic_timer_ticks(cpu);
	spin_unlock_irqrestore(&l, flags);
	udelay(1000000 / HZ);
	KEXPECT_EQ(during, before);
	KEXPECT(apic_timer_ticks(cpu) > before);
}

#if CONFIG_DEBUG_SPINLOCK

static struct {
	int calls;
	enum spin_bug bug;
	char msg[256];
	unsigned int saved_lockup_ms;
} cap;

static void capture_report(spinlock_t *lock, enum spin_bug bug, const char *msg)
{
	cap.calls++;
	cap.bug = bug;
	strlcpy(cap.msg, msg, sizeof(cap.msg));
	/* play the other CPU: it finally unlocks */
	if (bug == SPIN_BUG_LOCKUP) {
		WRITE_ONCE(lock->owner_cpu, -1);
		arch_spin_unlock(&lock->raw);
	}
}

static void capture_start(void)
{
	memset(&cap, 0, sizeof(cap));
	cap.saved_lockup_ms = spin_lockup_ms;
	spin_lockup_ms = 20;
	spin_debug_report_hook = capture_report;
}

static void capture_stop(void)
{
	spin_debug_report_hook = NULL;
	spin_lockup_ms = cap.saved_lockup_ms;
}

static bool owner_ip_in(spinlock_t *l, const char *func)
{
	const char *name = kallsyms_lookup(l->owner_ip, NULL, NULL);

	return name && !strcmp(name, func);
}

KTEST(spinlock_debug_owner)
{
	DEFINE_SPINLOCK(l);

	KEXPECT(!strcmp(l.name, "l"));
	KEXPECT_EQ(l.owner_cpu, -1);
	spin_lock(&l);
	KEXPECT_EQ(l.owner_cpu, smp_processor_id());
	KEXPECT(owner_ip_in(&l, "ktest_fn_spinlock_debug_owner"));
	KEXPECT(spin_held_by_this_cpu(&l));
	spin_unlock(&l);
	KEXPECT_EQ(l.owner_cpu, -1);
	KEXPECT(!spin_held_by_this_cpu(&l));
}

KTEST(spinlock_recursion_reported)
{
	DEFINE_SPINLOCK(rec_lock);

	spin_lock(&rec_lock);
	capture_start();
	spin_lock(&rec_lock);			/* deadlock, without the check */
	capture_stop();
	KEXPECT_EQ(cap.calls, 1);
	KEXPECT_EQ(cap.bug, SPIN_BUG_RECURSION);
	KEXPECT(strstr(cap.msg, "BUG: spinlock recursion on CPU0, lock rec_lock") != NULL);
	KEXPECT(strstr(cap.msg, "held from ktest_fn_spinlock_recursion_reported+0x") != NULL);
	KEXPECT_EQ(rec_lock.raw.tickets.next, 1);	/* no ticket drawn */
	spin_unlock(&rec_lock);
	KEXPECT(!spin_is_locked(&rec_lock));
}

KTEST(spinlock_wrong_owner_reported)
{
	DEFINE_SPINLOCK(wo_lock);

	/* CPU 1 "took" it at spin_trylock: stage that by hand */
	spin_lock(&wo_lock);
	wo_lock.owner_cpu = 1;
	wo_lock.owner_ip = (u64)spin_trylock;
	capture_start();
	spin_unlock(&wo_lock);
	capture_stop();
	KEXPECT_EQ(cap.calls, 1);
	KEXPECT_EQ(cap.bug, SPIN_BUG_WRONG_OWNER);
	KEXPECT(strstr(cap.msg, "BUG: spinlock wrong owner on CPU0, lock wo_lock") != NULL);
	KEXPECT(strstr(cap.msg, "owner cpu 1 at spin_trylock+0x0/") != NULL);
	KEXPECT(spin_is_locked(&wo_lock));	/* not released */

	wo_lock.owner_cpu = smp_processor_id();
	spin_unlock(&wo_lock);
	capture_start();
	spin_unlock(&wo_lock);			/* a second unlock */
	capture_stop();
	KEXPECT_EQ(cap.calls, 1);
	KEXPECT_EQ(cap.bug, SPIN_BUG_ALREADY_UNLOCKED);
	KEXPECT(strstr(cap.msg, "BUG: spinlock already unlocked on CPU0, lock wo_lock") != NULL);
	KEXPECT_EQ(wo_lock.raw.head_tail, (1U << TICKET_SHIFT) | 1);
}

KTEST(spinlock_assert_held)
{
	DEFINE_SPINLOCK(l);

	capture_start();
	spin_lock(&l);
	assert_spin_locked(&l);			/* fine */
	spin_unlock(&l);
	assert_spin_locked(&l);
	capture_stop();
	KEXPECT_EQ(cap.calls, 1);
	KEXPECT_EQ(cap.bug, SPIN_BUG_NOT_HELD);
	KEXPECT(strstr(cap.msg, "BUG: spinlock not held on CPU0, lock l") != NULL);
}

KTEST(spinlock_lockup_reported)
{
	DEFINE_SPINLOCK(stuck_lock);
	u64 t0, waited;

	if (!tsc_khz)
		KSKIP("TSC not calibrated: the limit would be 2^28 loops");
	spin_lock(&stuck_lock);			/* now pretend CPU 1 holds it */
	stuck_lock.owner_cpu = 1;
	stuck_lock.owner_ip = (u64)spin_trylock;
	capture_start();			/* limit 20 ms, then release */
	/* measured with the detector's own clock: ktime may have fallen back
	 * to jiffies (an unstable TSC under host load), 10 ms coarse */
	t0 = rdtsc();
	spin_lock(&stuck_lock);			/* returns once the hook releases */
	waited = rdtsc() - t0;
	capture_stop();
	KEXPECT_EQ(cap.calls, 1);
	KEXPECT_EQ(cap.bug, SPIN_BUG_LOCKUP);
	KEXPECT(strstr(cap.msg, "BUG: spinlock lockup suspected on CPU0, lock stuck_lock") != NULL);
	KEXPECT(strstr(cap.msg, "owner cpu 1 at spin_trylock+0x0/") != NULL);
	KEXPECT(waited >= 20 * (u64)tsc_khz);	/* 20 ms of TSC cycles */
	KEXPECT(spin_held_by_this_cpu(&stuck_lock));
	spin_unlock(&stuck_lock);
	KEXPECT(!spin_is_locked(&stuck_lock));
}

#endif /* CONFIG_DEBUG_SPINLOCK */

/*
 * Multi-CPU contention: every online CPU adds 1 to a shared counter
 * CONTENTION_ITERS times under one lock, with a read-PAUSE-write increment
 * that loses updates unless the lock excludes; the total must be exact.
 *
 * How it is driven: the test calls
 *	smp_call_function_many(cpu_online_mask, contention_worker, &ct, false)
 * (kernel/smp.h: run func(info) on the other online CPUs in the mask, by
 * IPI, without waiting) and then runs contention_worker on its own CPU;
 * the workers start together at a barrier and the test waits for all of
 * them to count themselves finished.
 */

/*
 * Kept small on purpose: a ticket lock hands over in strict FIFO order, so
 * when QEMU's vCPU threads outnumber the host's cores (make test runs two
 * QEMUs on two cores) each hand-off can wait for the host to schedule the
 * one vCPU whose ticket is next - lock-waiter preemption, the reason Linux
 * replaced ticket locks with paravirt-aware queued locks.  20000 per CPU
 * took minutes there; 1000 still loses updates at once if the lock is
 * broken, because the increment is a read, a PAUSE and a write.
 */
#define CONTENTION_ITERS	1000

static struct contention {
	spinlock_t lock;
	u64 counter;			/* under lock */
	int nr;
	atomic_t started, finished;
	cpumask_t ran;			/* which CPUs ran the worker */
	bool wrong_cpu;			/* per-CPU data disagreed on some CPU */
	bool give_up;			/* a CPU never started: stop waiting */
} ct;

static void contention_worker(void *info)
{
	struct contention *c = info;
	int cpu = smp_processor_id();

	if (this_cpu()->cpu != cpu || rdmsr(MSR_GS_BASE) != (u64)per_cpu(cpu))
		WRITE_ONCE(c->wrong_cpu, true);
	cpumask_set_cpu(cpu, &c->ran);
	atomic_inc(&c->started);
	while (atomic_read(&c->started) < c->nr && !READ_ONCE(c->give_up))
		cpu_relax();
	if (READ_ONCE(c->give_up))
		return;
	for (int i = 0; i < CONTENTION_ITERS; i++) {
		u64 v;

		spin_lock(&c->lock);
		v = c->counter;
		cpu_relax();
		c->counter = v + 1;
		spin_unlock(&c->lock);
	}
	atomic_inc(&c->finished);
}

KTEST(spinlock_contention_smp)
{
	u64 deadline;

	if (num_online_cpus() < 2)
		KSKIP("needs more than one CPU online");
	spin_lock_init(&ct.lock);
	ct.counter = 0;
	ct.nr = num_online_cpus();
	atomic_set(&ct.started, 0);
	atomic_set(&ct.finished, 0);
	ct.ran = CPU_MASK_NONE;
	ct.wrong_cpu = false;
	ct.give_up = false;
	smp_call_function_many(cpu_online_mask, contention_worker, &ct, false);
	deadline = ktime_get_ns() + 5ULL * 1000000000;
	while (atomic_read(&ct.started) < ct.nr - 1 && ktime_get_ns() < deadline)
		cpu_relax();
	if (atomic_read(&ct.started) < ct.nr - 1) {
		WRITE_ONCE(ct.give_up, true);
		KASSERT(!"every other CPU started the worker within 5 s");
	}
	contention_worker(&ct);
	deadline = ktime_get_ns() + 10ULL * 1000000000;
	while (atomic_read(&ct.finished) < ct.nr && ktime_get_ns() < deadline)
		cpu_relax();
	KASSERT(atomic_read(&ct.finished) == ct.nr);
	spin_lock(&ct.lock);
	KEXPECT_EQ(ct.counter, (u64)ct.nr * CONTENTION_ITERS);
	spin_unlock(&ct.lock);
	KEXPECT_EQ(ct.ran.bits, cpu_online_mask->bits);
	KEXPECT(!ct.wrong_cpu);
}
