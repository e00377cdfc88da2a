/*
 * apic.h - the local APIC: this CPU's interrupt controller and timer.
 *
 * Every CPU has one, at the same physical address (xAPIC: MMIO at
 * IA32_APIC_BASE, normally 0xfee00000) or reached through MSRs 0x800+
 * (x2APIC).  Writes go to the APIC of the CPU that executes them, which is
 * what makes "EOI" and "send an IPI from here" per-CPU operations with no
 * CPU argument.  SDM Vol. 3A, chapter "Advanced Programmable Interrupt
 * Controller (APIC)".
 */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H

#include "kernel/types.h"

/* register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16) */
#define APIC_ID		0x020
#define APIC_LVR	0x030	/* version; max LVT entry in bits 23:16 */
#define APIC_TASKPRI	0x080
#define APIC_EOI	0x0b0
#define APIC_SPIV	0x0f0	/* spurious vector + software enable (bit 8) */
#define  APIC_SPIV_ENABLE	BIT(8)
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310	/* xAPIC: destination in bits 31:24 */
#define APIC_LVTT	0x320	/* timer */
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380	/* timer initial count */
#define APIC_TMCCT	0x390	/* timer current count */
#define APIC_TDCR	0x3e0	/* timer divide configuration */
#define  APIC_TDR_DIV_16	0x3
#define APIC_LVT_MASKED		BIT(16)
#define APIC_LVT_TIMER_PERIODIC	BIT(17)

/* ICR fields */
#define APIC_DM_FIXED		0x000
#define APIC_DM_NMI		0x400
#define APIC_DM_INIT		0x500
#define APIC_DM_STARTUP		0x600
#define APIC_ICR_BUSY		BIT(12)	/* xAPIC: delivery status */
#define APIC_INT_ASSERT		BIT(14)
#define APIC_INT_LEVELTRIG	BIT(15)
#define APIC_DEST_SELF		0x40000
#define APIC_DEST_ALLINC	0x80000
#define APIC_DEST_ALLBUT	0xc0000

#define MSR_IA32_APICBASE	0x1b
#define  APICBASE_BSP		BIT(8)
#define  APICBASE_X2APIC	BIT(10)
#define  APICBASE_ENABLE	BIT(11)

void apic_init(void);			/* boot CPU: choose mode, then setup */
void apic_setup_this_cpu(void);		/* every CPU, the BSP included */
void apic_enable_secondary(void);
u32 apic_read(u32 reg);
void apic_write(u32 reg, u32 val);
void apic_eoi(void);
u32 apic_id(void);
bool apic_x2apic_mode(void);
int apic_send_ipi(u32 dest_apic_id, u32 icr_low);	/* 0 or -ETIMEDOUT */
void legacy_pic_disable(void);

/* the local APIC timer (kernel/apic_timer.c) */
extern unsigned int HZ;
extern u64 jiffies;			/* ticks of the boot CPU since boot */
extern u32 apic_timer_khz;		/* timer input clock after the divider */
void apic_timer_calibrate(void);
void apic_timer_setup_this_cpu(void);
u64 apic_timer_ticks(int cpu);

#endif
