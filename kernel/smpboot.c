/*
 * smpboot.c - waking every other CPU: INIT-SIPI-SIPI through a trampoline.
 *
 * The boot CPU (BSP) does, for each enabled CPU in the MADT (SDM Vol. 3A,
 * "MP Initialization Protocol Algorithm"; the delays are the SDM's
 * "universal start-up algorithm"):
 *
 *   1. give the AP a kernel stack and write the trampoline's parameters
 *      (CR3, EFER bits, stack, entry point, CPU number);
 *   2. INIT IPI (reset the AP), wait 10 ms;
 *   3. STARTUP IPI with vector TRAMPOLINE_BASE >> 12, wait 200 us, and a
 *      second STARTUP if the AP has not checked in (the first may be lost);
 *   4. wait up to a second for the AP to set its bit in cpu_online_mask.
 *
 * One AP at a time: they share the trampoline's parameter block.
 *
 * The AP, in start_secondary(), makes itself a proper CPU in the same order
 * kmain does: per-CPU area (GS base) first so printk works, then its own
 * GDT/TSS and the shared IDT, the kernel page tables through switch_mm, the
 * CR0/CR4 protections, its local APIC and timer, and only then says online.
 *
 * `smp=N` on the command line caps the number of CPUs (1 = no APs).
 */
#include "kernel/smpboot.h"
#include "kernel/smp.h"
#include "kernel/percpu.h"
#include "kernel/acpi.h"
#include "kernel/apic.h"
#include "kernel/desc.h"
#include "kernel/cpu.h"
#include "kernel/cmdline.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/layout.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/tlb.h"
#include "mm/kstack.h"
#include "sched/sched.h"
#include "kernel/syscall.h"
#include "fpu/fpu.h"

struct trampoline_params {		/* boot/trampoline.S, at its end */
	u32 cr3;
	u32 efer;
	u64 stack;
	u64 entry;
	u32 cpu;
	u32 pad;
} __packed;

extern const char trampoline_start[], trampoline_end[], trampoline_params[];

static pteval_t *trampoline_pgd;
static volatile int ap_checked_in;

/*
 * The AP enables paging while executing at a low address, so its first
 * page tables must map the trampoline 1:1 as well as the kernel half:
 * PML4[0] -> PDPT -> PD[0] = 2 MiB identity page, PML4[256..511] from
 * init_mm.  CR3 is loaded in 32-bit mode, so every table sits below 4 GiB
 * (memblock below BOOT_DIRECT_MAP_SIZE).
 */
void smp_prepare_trampoline(void)
{
	pteval_t *pdpt, *pd;

	trampoline_pgd = early_zeroed_page();
	pdpt = early_zeroed_page();
	pd = early_zeroed_page();
	if (!trampoline_pgd || !pdpt || !pd)
		panic("smpboot: no low memory for the trampoline page tables");
	/* plain stores: these tables belong to no mm and no CPU has loaded
	 * them yet, so set_pte()'s flush accounting has nothing to count */
	pd[0] = 0 | _PAGE_PSE | _PAGE_RW | _PAGE_PRESENT;
	pdpt[0] = virt_to_phys(pd) | _KERNPG_TABLE;
	trampoline_pgd[0] = virt_to_phys(pdpt) | _KERNPG_TABLE;
	memcpy(&trampoline_pgd[KERNEL_PGD_START], &init_mm.pgd[KERNEL_PGD_START],
	       (PTRS_PER_TABLE - KERNEL_PGD_START) * sizeof(pteval_t));
}

void start_secondary(int cpu)
{
	percpu_init_cpu(cpu);		/* first: smp_processor_id() needs GS */
	gdt_init_cpu(cpu);
	idt_load();
	tlb_init_secondary();		/* CR3 := init_mm, through switch_mm */
	cpu_enable_protections();
	syscall_init();
	fpu_init_cpu();
	apic_enable_secondary();
	apic_setup_this_cpu();
	apic_timer_setup_this_cpu();
	set_cpu_online(cpu, true);
	WRITE_ONCE(ap_checked_in, 1);
	pr_info("smp: cpu%d online, APIC id %u, timer %u kHz\n", cpu,
		this_cpu()->apic_id, apic_timer_khz);
	cpu_startup_entry();		/* become this CPU's idle task */
}

static bool wake_ap(int cpu, u32 apic_id)
{
	struct trampoline_params *p = phys_to_virt(TRAMPOLINE_BASE +
						   (trampoline_params - trampoline_start));
	void *stack = alloc_kernel_stack();

	if (!stack) {
		pr_err("smp: no kernel stack for cpu%d\n", cpu);
		return false;
	}
	/* the AP's boot context becomes its idle task, on this stack */
	if (!fork_idle(cpu, stack)) {
		pr_err("smp: no idle task for cpu%d\n", cpu);
		free_kernel_stack(stack);
		return false;
	}
	p->cr3 = virt_to_phys(trampoline_pgd);
	p->efer = (u32)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE)) | EFER_LME;
	p->stack = (u64)stack + THREAD_SIZE;
	p->entry = (u64)start_secondary;
	p->cpu = cpu;
	WRITE_ONCE(ap_checked_in, 0);
	barrier();

	apic_send_ipi(apic_id, APIC_DM_INIT | APIC_INT_LEVELTRIG | APIC_INT_ASSERT);
	udelay(10000);
	for (int sipi = 0; sipi < 2 && !READ_ONCE(ap_checked_in); sipi++) {
		apic_send_ipi(apic_id, APIC_DM_STARTUP | (TRAMPOLINE_BASE >> 12));
		udelay(200);
	}
	for (int ms = 0; ms < 1000 && !READ_ONCE(ap_checked_in); ms++)
		udelay(1000);
	if (!READ_ONCE(ap_checked_in)) {
		pr_err("smp: cpu%d (APIC id %u) did not come online\n", cpu, apic_id);
		return false;		/* its stack stays: it may still wake up */
	}
	return true;
}

void smp_boot_cpus(void)
{
	long max = cmdline_get_long("smp", NR_CPUS);
	u32 bsp = apic_id();
	int next = 1;

	memcpy(phys_to_virt(TRAMPOLINE_BASE), trampoline_start,
	       trampoline_end - trampoline_start);
	this_cpu()->apic_id = bsp;
	if (max < 1 || max > NR_CPUS)
		max = NR_CPUS;
	for (unsigned i = 0; i < madt_info.nr_cpus; i++) {
		const struct acpi_cpu_info *c = &madt_info.cpus[i];

		if (!c->enabled || c->apic_id == bsp)
			continue;
		if (next >= max) {
			pr_info("smp: cpu with APIC id %u not started (smp=%ld / NR_CPUS=%d)\n",
				c->apic_id, max, NR_CPUS);
			continue;
		}
		if (wake_ap(next, c->apic_id))
			next++;
	}
	pr_info("smp: %d CPU%s online\n", num_online_cpus(), num_online_cpus() > 1 ? "s" : "");
}
