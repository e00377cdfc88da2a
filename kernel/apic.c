/*
 * apic.c - local APIC set-up, EOI and inter-processor interrupts.
 *
 * Mode: x2APIC when CPUID has it (MSR access, 32-bit APIC ids, one-write
 * ICR), otherwise xAPIC through MMIO in the direct map.  QEMU's TCG has no
 * x2APIC; the MSR path follows SDM Vol. 3A, "x2APIC Register Address Space"
 * and is exercised where a CPU model offers it.
 *
 * Set-up per CPU: software-enable with the spurious vector, route errors to
 * ERROR_APIC_VECTOR, mask LINT0/LINT1 (the PIC's virtual-wire path is not
 * used), accept every priority (TPR = 0).
 */
#include "kernel/apic.h"
#include "kernel/irq.h"
#include "kernel/irq_vectors.h"
#include "kernel/cpu.h"
#include "kernel/cpufeature.h"
#include "kernel/layout.h"
#include "kernel/printk.h"
#include "kernel/errno.h"
#include "kernel/time.h"
#include "kernel/traps.h"
#include "kernel/smp.h"
#include "kernel/cmdline.h"

static volatile u32 *apic_mmio;
static bool x2apic;
static u64 apic_errors;

bool apic_x2apic_mode(void)
{
	return x2apic;
}

u32 apic_read(u32 reg)
{
	if (x2apic)
		return (u32)rdmsr(0x800 + (reg >> 4));
	return apic_mmio[reg / 4];
}

void apic_write(u32 reg, u32 val)
{
	if (x2apic)
		wrmsr(0x800 + (reg >> 4), val);
	else
		apic_mmio[reg / 4] = val;
}

void apic_eoi(void)
{
	apic_write(APIC_EOI, 0);
}

u32 apic_id(void)
{
	return x2apic ? apic_read(APIC_ID) : apic_read(APIC_ID) >> 24;
}

/*
 * xAPIC: write the destination (ICR2) first, because writing the low half
 * sends; then wait for "delivery status" to clear before the next IPI.
 * x2APIC: one 64-bit MSR write, no busy bit (SDM Vol. 3A, "Interrupt
 * Command Register (ICR)" in x2APIC mode).
 */
int apic_send_ipi(u32 dest, u32 icr_low)
{
	if (x2apic) {
		wrmsr(0x800 + (APIC_ICR >> 4), ((u64)dest << 32) | icr_low);
		return 0;
	}
	apic_write(APIC_ICR2, dest << 24);
	apic_write(APIC_ICR, icr_low);
	for (int i = 0; i < 1000000; i++) {
		if (!(apic_read(APIC_ICR) & APIC_ICR_BUSY))
			return 0;
		cpu_relax();
	}
	pr_err("apic: IPI %#x to apic %u stuck in delivery\n", icr_low, dest);
	return -ETIMEDOUT;
}

static void apic_error_interrupt(struct pt_regs *regs)
{
	u32 esr;

	apic_write(APIC_ESR, 0);	/* latch the errors, then read (SDM) */
	esr = apic_read(APIC_ESR);
	apic_errors++;
	pr_err("apic: error interrupt on cpu%d, ESR %#x\n", smp_processor_id(), esr);
}

void apic_setup_this_cpu(void)
{
	apic_write(APIC_TASKPRI, 0);
	apic_write(APIC_LVT0, APIC_LVT_MASKED);
	apic_write(APIC_LVT1, APIC_LVT_MASKED);
	apic_write(APIC_LVTERR, ERROR_APIC_VECTOR);
	apic_write(APIC_ESR, 0);
	apic_write(APIC_SPIV, APIC_SPIV_ENABLE | SPURIOUS_APIC_VECTOR);
	apic_eoi();			/* drop anything left in service */
}

/* An AP's APIC comes out of INIT in xAPIC mode: match the BSP's mode. */
void apic_enable_secondary(void)
{
	u64 base = rdmsr(MSR_IA32_APICBASE) | APICBASE_ENABLE;

	if (x2apic)
		base |= APICBASE_X2APIC;
	wrmsr(MSR_IA32_APICBASE, base);
}

void apic_init(void)
{
	u64 base = rdmsr(MSR_IA32_APICBASE);

	x2apic = boot_cpu_has(X86_FEATURE_X2APIC) && !cmdline_has("nox2apic");
	base |= APICBASE_ENABLE;
	if (x2apic)
		base |= APICBASE_X2APIC;
	wrmsr(MSR_IA32_APICBASE, base);
	apic_mmio = phys_to_virt(base & ~0xfffULL);
	legacy_pic_disable();
	request_vector(ERROR_APIC_VECTOR, apic_error_interrupt, "APIC error");
	apic_setup_this_cpu();
	pr_info("apic: %s mode, base %#lx, id %u, version %#x, %u LVT entries\n",
		x2apic ? "x2APIC" : "xAPIC", (unsigned long)(base & ~0xfffULL), apic_id(),
		apic_read(APIC_LVR) & 0xff, ((apic_read(APIC_LVR) >> 16) & 0xff) + 1);
}
