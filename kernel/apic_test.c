/*
 * apic_test.c - the local APIC, its timer and interrupt dispatch.
 */
#include "kernel/ktest.h"
#include "kernel/apic.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/time.h"
#include "kernel/cpu.h"
#include "kernel/smp.h"
#include "kernel/errno.h"
#include "kernel/io_apic.h"

KTEST(apic_enabled)
{
	KEXPECT(rdmsr(MSR_IA32_APICBASE) & APICBASE_ENABLE);
	KEXPECT(apic_read(APIC_SPIV) & APIC_SPIV_ENABLE);
	KEXPECT_EQ(apic_read(APIC_SPIV) & 0xff, SPURIOUS_APIC_VECTOR);
	KEXPECT(apic_read(APIC_LVT0) & APIC_LVT_MASKED);
	KEXPECT_EQ(apic_read(APIC_ESR), 0);
}

/* The tick must run at HZ: count ticks across a TSC-timed 100 ms. */
KTEST(apic_timer_ticks_at_hz)
{
	int cpu = smp_processor_id();
	u64 before, after, expect = HZ / 10;

	KASSERT(read_flags() & X86_EFLAGS_IF);
	before = apic_timer_ticks(cpu);
	udelay(100000);
	after = apic_timer_ticks(cpu);
	/* within a factor of two: a wrong HZ or a timer divided wrongly is
	 * far outside; TCG host stalls (ticks skipped, not replayed) are in */
	KEXPECT(after - before >= expect / 2);
	KEXPECT(after - before <= expect * 2 + 2);
	KEXPECT_EQ(irq_count(LOCAL_TIMER_VECTOR, cpu) >= after, 1);
}

static volatile int self_ipi_hits;

static void self_ipi_handler(struct pt_regs *regs)
{
	self_ipi_hits++;
}

/* A fixed IPI to ourselves goes through the ICR, the IDT and handle_irq(),
 * then EOI: the full IPI path on one CPU. */
KTEST(apic_self_ipi)
{
	static bool registered;
	const unsigned vec = 0xf0;	/* test-only vector, outside the map */

	if (!registered) {
		KEXPECT_EQ(request_vector(vec, self_ipi_handler, "ktest self-IPI"), 0);
		registered = true;
	}
	KEXPECT_EQ(request_vector(vec, self_ipi_handler, "again"), -EBUSY);
	KEXPECT_EQ(request_vector(3, self_ipi_handler, "exception"), -EINVAL);
	self_ipi_hits = 0;
	for (int i = 0; i < 100; i++)
		KEXPECT_EQ(apic_send_ipi(apic_id(), APIC_DM_FIXED | APIC_INT_ASSERT | vec), 0);
	udelay(1000);
	KEXPECT_EQ(self_ipi_hits, 100);
}

/* Bad arguments to the interrupt plumbing: an error, never a crash. */
KTEST(irq_bad_arguments_rejected)
{
	KEXPECT_EQ(request_vector(0x20, NULL, "no handler"), -EINVAL);
	KEXPECT_EQ(request_vector(NR_VECTORS, (irq_handler_t)0x1, "too big"), -EINVAL);
	KEXPECT_EQ(request_vector(~0u, (irq_handler_t)0x1, "huge"), -EINVAL);
	KEXPECT_EQ(request_vector(LOCAL_TIMER_VECTOR, (irq_handler_t)0x1, "taken"), -EBUSY);
	KEXPECT_EQ(io_apic_route(100000, 0x40, apic_id(), 0), -ENOENT);
	KEXPECT_EQ(io_apic_mask(100000, true), -ENOENT);
	KEXPECT_EQ(io_apic_add(9, 0xfec00001, 0), -EINVAL);		/* misaligned */
	KEXPECT_EQ(io_apic_add(9, 0x100000000000ULL, 0), -EINVAL);	/* unmapped */
	KEXPECT_EQ(irq_count(NR_VECTORS, 0), 0);
	KEXPECT_EQ(irq_count(0x20, NR_CPUS), 0);
}
