/*
 * irq.h - dispatching device interrupts and IPIs (vectors 0x20..0xff).
 *
 * do_trap() hands every vector >= 32 to handle_irq(), which counts it, runs
 * the handler registered for it with request_vector(), and signals end of
 * interrupt to the local APIC unless the vector came from somewhere that
 * must not get one (the APIC's own spurious vector, the masked PIC).
 * Handlers run with interrupts off and must not sleep.
 */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include "kernel/types.h"

struct pt_regs;
typedef void (*irq_handler_t)(struct pt_regs *regs);

int request_vector(unsigned vector, irq_handler_t handler, const char *name);
void handle_irq(struct pt_regs *regs);
u64 irq_count(unsigned vector, int cpu);
void show_interrupts(void);

#endif
