/*
 * smp_test.c - every CPU QEMU was given came online and its timer ticks.
 *
 * The harness passes expect_cpus=N (the -smp count); without it the test
 * only checks that the online CPUs match the enabled ones in the MADT.
 */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/cmdline.h"
#include "kernel/time.h"

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
