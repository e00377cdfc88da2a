/*
 * smp.h - which CPU am I?
 *
 * Only the boot CPU runs until the SMP issue brings up the others; it then
 * replaces this with a read of the per-CPU area through the GS base.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#define NR_CPUS	8

static inline int smp_processor_id(void)
{
	return 0;
}

#endif
