/*
 * percpu.c - the per-CPU areas, GS.base setup, and the online CPU mask.
 *
 * The areas are static (NR_CPUS of them, in .bss): per-CPU data must work
 * before the memory allocators exist, and printk needs it from the first
 * line kmain prints.
 *
 * Invariant: per_cpu(cpu)->self == per_cpu(cpu) and ->cpu == cpu once
 * percpu_init_cpu(cpu) ran; nothing changes them afterwards.
 */
#include "kernel/percpu.h"
#include "kernel/asm-offsets.h"
#include "kernel/smp.h"
#include "kernel/cpu.h"

struct percpu percpu_areas[NR_CPUS];

/* kernel/entry.S reaches these fields by number */
_Static_assert(offsetof(struct percpu, top_of_stack) == PERCPU_top_of_stack, "asm-offsets");
_Static_assert(offsetof(struct percpu, user_rsp_scratch) == PERCPU_user_rsp_scratch, "asm-offsets");
_Static_assert(offsetof(struct percpu, entry_stack_top) == PERCPU_entry_stack_top, "asm-offsets");
_Static_assert(offsetof(struct percpu, user_cr3) == PERCPU_user_cr3, "asm-offsets");
_Static_assert(offsetof(struct percpu, kernel_cr3_noflush) == PERCPU_kernel_cr3_noflush,
	       "asm-offsets");
_Static_assert(offsetof(struct percpu, pti) == PERCPU_pti, "asm-offsets");
/* the entry page holds only the fields above (mm/pti.c maps it for ring 3) */
_Static_assert(offsetof(struct percpu, cpu) == PAGE_SIZE, "entry page is one page");

/* CPU 0 runs the boot code, so it is online before anything can ask. */
cpumask_t __cpu_online_mask = { .bits = BIT(0) };

/*
 * The initial APIC ID from CPUID, because the local APIC is not mapped
 * yet: leaf 0BH's EDX is the full 32-bit x2APIC ID when the leaf exists
 * (EBX != 0 at subleaf 0), else leaf 01H's EBX[31:24] (SDM Vol. 3A,
 * "Identifying Logical Processors in an MP System").
 */
static u32 cpuid_apic_id(void)
{
	if (cpuid(0).eax >= 0xb) {
		struct cpuid_regs r = cpuid_count(0xb, 0);

		if (r.ebx)
			return r.edx;
	}
	return cpuid(1).ebx >> 24;
}

void percpu_init_cpu(int cpu)
{
	struct percpu *p;

	if (cpu < 0 || cpu >= NR_CPUS)
		halt_forever();		/* cannot even print: printk needs this */
	p = &percpu_areas[cpu];
	p->self = p;
	p->cpu = cpu;
	p->apic_id = cpuid_apic_id();
	wrmsr(MSR_GS_BASE, (u64)p);
	wrmsr(MSR_KERNEL_GS_BASE, 0);	/* the user's GS base, for SWAPGS */
}

void set_cpu_online(int cpu, bool online)
{
	if (online)
		cpumask_set_cpu(cpu, &__cpu_online_mask);
	else
		cpumask_clear_cpu(cpu, &__cpu_online_mask);
}
