/*
 * smpboot.h - bringing up the application processors (APs).
 */
#ifndef KERNEL_SMPBOOT_H
#define KERNEL_SMPBOOT_H

#include "kernel/types.h"

#define TRAMPOLINE_BASE	0x8000		/* must match boot/trampoline.S */

void smp_prepare_trampoline(void);	/* after paging_init, before page_alloc_init */
void smp_boot_cpus(void);		/* after the BSP's APIC and timer run */
void start_secondary(int cpu);

#endif
