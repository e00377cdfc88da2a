/*
 * percpu_test.c - the per-CPU area behind GS.base, and CPU masks.
 */
#include "kernel/ktest.h"
#include "kernel/percpu.h"
#include "kernel/smp.h"
#include "kernel/cpu.h"
#include "kernel/apic.h"

/* GS.base must hold this CPU's area, and every way of reading it agree. */
KTEST(percpu_gs_base)
{
	int cpu = smp_processor_id();
	struct percpu *gs0;
	int gs_cpu;

	KASSERT(cpu >= 0 && cpu < NR_CPUS);
	KEXPECT_EQ(rdmsr(MSR_GS_BASE), (u64)per_cpu(cpu));
	KEXPECT_EQ(rdmsr(MSR_KERNEL_GS_BASE), 0);	/* no user GS yet */
	KEXPECT(this_cpu() == per_cpu(cpu));
	KEXPECT(this_cpu()->self == this_cpu());
	KEXPECT_EQ(this_cpu()->cpu, cpu);
	/* by hand, not through the accessors under test */
	asm volatile("movq %%gs:0, %0" : "=r"(gs0));
	asm volatile("movl %%gs:%c1, %0" : "=r"(gs_cpu) : "i"(offsetof(struct percpu, cpu)));
	KEXPECT(gs0 == per_cpu(cpu));
	KEXPECT_EQ(gs_cpu, cpu);
	KEXPECT_EQ(offsetof(struct percpu, self), 0);
	KEXPECT_EQ(offsetof(struct percpu, cpu), PAGE_SIZE);	/* after the entry page */
}

/* The boot path runs on CPU 0 and printk's "cpu0:" prefix depends on it. */
KTEST(percpu_boot_cpu_is_0)
{
	KEXPECT_EQ(smp_processor_id(), 0);
	KEXPECT_EQ(this_cpu()->cpu, 0);
	KEXPECT_EQ(this_cpu_read(cpu), 0);
	KEXPECT(this_cpu_read(self) == per_cpu(0));
}

/* A write through %gs lands in this CPU's area and nowhere else. */
KTEST(percpu_read_write)
{
	struct percpu *me = this_cpu();
	int saved = me->irq_count, other = per_cpu(1)->irq_count;

	this_cpu_write(irq_count, 1234567);
	KEXPECT_EQ(me->irq_count, 1234567);
	KEXPECT_EQ(this_cpu_read(irq_count), 1234567);
	KEXPECT_EQ(per_cpu(1)->irq_count, other);
	me->irq_count = -5;
	KEXPECT_EQ(this_cpu_read(irq_count), -5);
	this_cpu_write(irq_count, saved);
	KEXPECT_EQ(me->irq_count, saved);
}

/* Areas are separate pages (the first of each is the PTI entry page), so
 * CPUs never share a cache line. */
KTEST(percpu_areas_cache_aligned)
{
	KEXPECT_EQ((u64)per_cpu(0) % 64, 0);
	KEXPECT((u64)per_cpu(1) - (u64)per_cpu(0) >= 64);
	KEXPECT_EQ(sizeof(struct percpu) % 64, 0);
	KEXPECT_EQ((u64)per_cpu(0) % PAGE_SIZE, 0);
}

/* percpu_init_cpu() runs before the APIC is mapped, so it asks CPUID;
 * the APIC's own ID register must agree. */
KTEST(percpu_apic_id)
{
	KEXPECT_EQ(this_cpu()->apic_id, apic_id());
}

KTEST(cpumask_ops)
{
	cpumask_t m = CPU_MASK_NONE;
	int cpu, seen = 0, sum = 0;

	KEXPECT_EQ(cpumask_weight(&m), 0);
	KEXPECT_EQ(cpumask_next(-1, &m), NR_CPUS);
	cpumask_set_cpu(1, &m);
	cpumask_set_cpu(NR_CPUS - 1, &m);
	cpumask_set_cpu(1, &m);			/* idempotent */
	KEXPECT_EQ(m.bits, BIT(1) | BIT(NR_CPUS - 1));
	KEXPECT(cpumask_test_cpu(1, &m));
	KEXPECT(!cpumask_test_cpu(0, &m));
	KEXPECT_EQ(cpumask_weight(&m), 2);
	for_each_cpu(cpu, &m) {
		seen++;
		sum += cpu;
	}
	KEXPECT_EQ(seen, 2);
	KEXPECT_EQ(sum, 1 + NR_CPUS - 1);
	cpumask_clear_cpu(1, &m);
	KEXPECT(!cpumask_test_cpu(1, &m));
	KEXPECT_EQ(cpumask_weight(&m), 1);
	KEXPECT_EQ(cpumask_next(NR_CPUS - 1, &m), NR_CPUS);
}

KTEST(cpumask_online)
{
	int cpu, n = 0;

	KEXPECT(cpumask_test_cpu(0, cpu_online_mask));
	KEXPECT(num_online_cpus() >= 1);
	for_each_online_cpu(cpu)
		n++;
	KEXPECT_EQ(n, num_online_cpus());
}
