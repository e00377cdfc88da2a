/*
 * smp_test.c - every CPU QEMU was given came online and its timer ticks.
 *
 * The harness passes expect_cpus=N (the -smp count); without it the test
 * only checks that the online CPUs match the enabled ones in the MADT.
 */
#include "kernel/ktest.h"
#include "sched/sched.h"
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/time.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/atomic.h"
#include "kernel/printk.h"
#include "kernel/vsnprintf.h"
#include "kernel/cpu.h"

KTEST(smp_all_cpus_online)
{
	long expect = cmdline_get_long("expect_cpus", 0);
	long cap = cmdline_get_long("smp", NR_CPUS);
	long want = MIN((long)madt_info.nr_cpus_enabled, MIN(cap, (long)NR_CPUS));

	if (expect)
		KEXPECT_EQ(num_online_cpus(), MIN(expect, want));
	else
		KEXPECT_EQ(num_online_cpus(), want);
}

KTEST(smp_apic_ids_distinct)
{
	int cpu, other;

	for_each_online_cpu(cpu) {
		KEXPECT_EQ(per_cpu(cpu)->cpu, cpu);
		for_each_online_cpu(other)
			if (other != cpu)
				KEXPECT(per_cpu(cpu)->apic_id != per_cpu(other)->apic_id);
	}
}

/* Each online CPU's own APIC timer must be ticking. */
KTEST(smp_every_timer_ticks)
{
	u64 before[NR_CPUS];
	int cpu;

	for_each_online_cpu(cpu)
		before[cpu] = apic_timer_ticks(cpu);
	udelay(50000);				/* 5 ticks at HZ=100 */
	for_each_online_cpu(cpu)
		if (apic_timer_ticks(cpu) - before[cpu] < 2)
			ktest_fail(t, __FILE__, __LINE__, "cpu%d's timer did not tick (%lu -> %lu)",
				   cpu, (unsigned long)before[cpu],
				   (unsigned long)apic_timer_ticks(cpu));
}

/* ------------------------------------------------ cross-CPU calls */

static atomic_t hits[NR_CPUS];

static void count_hit(void *info)
{
	atomic_inc(&hits[smp_processor_id()]);
}

static void reset_hits(void)
{
	for (int i = 0; i < NR_CPUS; i++)
		atomic_set(&hits[i], 0);
}

#define CALL_ROUNDS	50

KTEST(smp_call_function_reaches_every_cpu)
{
	int self = smp_processor_id(), cpu;

	if (num_online_cpus() < 2)
		KSKIP("needs more than one CPU online");
	reset_hits();
	for (int r = 0; r < CALL_ROUNDS; r++)
		smp_call_function_many(cpu_online_mask, count_hit, NULL, true);
	for_each_online_cpu(cpu)
		KEXPECT_EQ(atomic_read(&hits[cpu]), cpu == self ? 0 : CALL_ROUNDS);
}

static volatile int finished[NR_CPUS];

static void slow_call(void *info)
{
	udelay(2000);			/* long enough to be caught mid-way */
	finished[smp_processor_id()] = 1;
}

/* wait=true means: the function has *finished* on every target when the
 * call returns.  BUG=csd-unlock-early breaks exactly this. */
KTEST(smp_call_function_waits_for_completion)
{
	int self = smp_processor_id(), cpu;

	if (num_online_cpus() < 2)
		KSKIP("needs more than one CPU online");
	for_each_online_cpu(cpu)
		finished[cpu] = 0;
	smp_call_function_many(cpu_online_mask, slow_call, NULL, true);
	for_each_online_cpu(cpu)
		if (cpu != self && !finished[cpu])
			ktest_fail(t, __FILE__, __LINE__,
				   "returned before cpu%d's function finished", cpu);
	udelay(5000);			/* let any early-released call end */
}

/*
 * The storm: every CPU at once calls every other CPU, waiting each time,
 * for STORM_ROUNDS rounds.  Each CPU must be called exactly
 * STORM_ROUNDS * (n - 1) times.  Waiting callers on all CPUs at once is the
 * case that deadlocks if a waiter spins with interrupts off.
 */
#define STORM_ROUNDS	200

static atomic_t storm_done;

static int storm_worker(void *info)
{
	for (int r = 0; r < STORM_ROUNDS; r++)
		smp_call_function_many(cpu_online_mask, count_hit, NULL, true);
	atomic_inc(&storm_done);
	return 0;
}

KTEST(smp_ipi_storm)
{
	int self = smp_processor_id(), n = num_online_cpus(), cpu;
	struct task_struct *workers[NR_CPUS] = { 0 };
	u64 deadline;

	if (n < 2)
		KSKIP("needs more than one CPU online");
	reset_hits();
	atomic_set(&storm_done, 0);
	for_each_online_cpu(cpu)
		if (cpu != self) {
			workers[cpu] = kthread_run_on_cpu(storm_worker, NULL, cpu, "storm");
			KEXPECT(workers[cpu] != NULL);
		}
	storm_worker(NULL);
	deadline = ktime_get_ns() + 20ULL * 1000000000;
	while (atomic_read(&storm_done) < n && ktime_get_ns() < deadline)
		cpu_relax();
	KEXPECT_EQ(atomic_read(&storm_done), n);
	for_each_online_cpu(cpu)
		if (workers[cpu])
			kthread_join(workers[cpu]);
	for_each_online_cpu(cpu)
		KEXPECT_EQ(atomic_read(&hits[cpu]), STORM_ROUNDS * (n - 1));
}

static volatile int woke[NR_CPUS];

static int note_woken(void *info)
{
	woke[smp_processor_id()] = 1;
	return 0;
}

/*
 * An idle AP sleeps in HLT; queueing a thread for it must send the
 * reschedule IPI, which wakes it to run the thread.  Busy-waiting (udelay)
 * keeps this CPU from scheduling, so only the IPI can get the work done.
 */
KTEST(smp_reschedule_ipi_wakes_idle_cpu)
{
	int self = smp_processor_id(), cpu;

	if (num_online_cpus() < 2)
		KSKIP("needs more than one CPU online");
	for_each_online_cpu(cpu) {
		u64 before = irq_count(RESCHEDULE_VECTOR, cpu);
		struct task_struct *p;

		if (cpu == self)
			continue;
		woke[cpu] = 0;
		p = kthread_run_on_cpu(note_woken, NULL, cpu, "note_woken");
		KASSERT(p != NULL);
		for (int ms = 0; ms < 500 && !woke[cpu]; ms++)
			udelay(1000);
		KEXPECT_EQ(woke[cpu], 1);
		KEXPECT(irq_count(RESCHEDULE_VECTOR, cpu) > before);
		kthread_join(p);
	}
	KEXPECT(kthread_run_on_cpu(note_woken, NULL, NR_CPUS, "bad") == NULL);
}

/* panic() relies on this: every other CPU answers an NMI with its stack. */
KTEST(smp_nmi_backtrace_all_cpus)
{
	int self = smp_processor_id(), cpu;
	u64 pos = log_pos();
	char line[32];

	if (num_online_cpus() < 2)
		KSKIP("needs more than one CPU online");
	trigger_all_cpu_backtrace();
	for_each_online_cpu(cpu) {
		if (cpu == self)
			continue;
		snprintf(line, sizeof(line), "NMI backtrace for cpu%d", cpu);
		KEXPECT(log_contains_since(pos, line));
	}
	KEXPECT(log_contains_since(pos, "cpu_idle_loop"));
	KEXPECT(!log_contains_since(pos, "did not answer"));
}
