/*
 * irqflags.h - save, disable and restore the interrupt flag (Linux's API).
 *
 *	unsigned long flags;
 *
 *	local_irq_save(flags);		// flags = RFLAGS; CLI
 *	...				// no interrupt on this CPU
 *	local_irq_restore(flags);	// STI only if IF was set at the save
 *
 * Save/restore, not disable/enable, because sections nest: code that
 * disables interrupts may be called with them already off (from an
 * interrupt handler, or under another irqsave lock), and must then leave
 * them off.
 *
 * Invariant: between local_irq_save() and its local_irq_restore(),
 * interrupts stay off; so restore only ever needs to STI, never CLI.
 */
#ifndef KERNEL_IRQFLAGS_H
#define KERNEL_IRQFLAGS_H

#include "kernel/types.h"
#include "kernel/cpu.h"

static inline unsigned long arch_local_irq_save(void)
{
	unsigned long flags = read_flags();

	local_irq_disable();
	return flags;
}

static inline bool irqs_disabled_flags(unsigned long flags)
{
	return !(flags & X86_EFLAGS_IF);
}

static inline bool irqs_disabled(void)
{
	return irqs_disabled_flags(read_flags());
}

/* The assertion catches `int flags`, which would truncate RFLAGS silently. */
#define local_irq_save(flags) do {					\
	_Static_assert(__builtin_types_compatible_p(__typeof__(flags),	\
						    unsigned long),	\
		       "irq flags must be unsigned long");		\
	(flags) = arch_local_irq_save();				\
} while (0)

static inline void local_irq_restore(unsigned long flags)
{
	if (!irqs_disabled_flags(flags))
		local_irq_enable();
}

#endif
