/*
 * irq.c - the vector table of handlers and per-CPU interrupt counts.
 *
 * Invariant: handlers are installed before the source is unmasked and are
 * never removed, so handle_irq() reads the table without a lock.
 */
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/apic.h"
#include "kernel/traps.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/errno.h"

struct irq_desc {
	irq_handler_t handler;
	const char *name;
	u64 count[NR_CPUS];
};

static struct irq_desc irq_desc[NR_VECTORS];

int request_vector(unsigned vector, irq_handler_t handler, const char *name)
{
	if (vector < FIRST_EXTERNAL_VECTOR || vector >= NR_VECTORS || !handler)
		return -EINVAL;
	if (irq_desc[vector].handler)
		return -EBUSY;
	irq_desc[vector].name = name;
	irq_desc[vector].handler = handler;
	return 0;
}

/* A masked 8259 can still raise IRQ 7/15 when a request vanishes before the
 * CPU acknowledges it; such a spurious interrupt gets no EOI (the 8259's
 * in-service bit was never set). */
static bool pic_spurious(unsigned vector)
{
	return vector == PIC_MASTER_VECTOR + 7 || vector == PIC_SLAVE_VECTOR + 7;
}

void handle_irq(struct pt_regs *regs)
{
	unsigned vector = regs->vector;
	struct irq_desc *desc = &irq_desc[vector];

	desc->count[smp_processor_id()]++;
	if (desc->handler)
		desc->handler(regs);
	else if (!pic_spurious(vector) && vector != SPURIOUS_APIC_VECTOR)
		printk(KERN_WARNING "irq: unexpected vector %#x on cpu%d\n", vector,
		       smp_processor_id());
	/* The APIC's spurious vector must not be EOI'd (SDM Vol. 3A,
	 * "Spurious Interrupt"); neither must the PIC's. */
	if (vector != SPURIOUS_APIC_VECTOR && !pic_spurious(vector))
		apic_eoi();
}

u64 irq_count(unsigned vector, int cpu)
{
	return vector < NR_VECTORS && cpu < NR_CPUS ? irq_desc[vector].count[cpu] : 0;
}

void show_interrupts(void)
{
	for (unsigned v = FIRST_EXTERNAL_VECTOR; v < NR_VECTORS; v++) {
		u64 total = 0;

		for (int c = 0; c < NR_CPUS; c++)
			total += irq_desc[v].count[c];
		if (total || irq_desc[v].handler)
			printk_raw("  %#04x %10lu  %s\n", v, (unsigned long)total,
				   irq_desc[v].name ? irq_desc[v].name : "(none)");
	}
}
