/*
 * init.c - the kernel's final page tables, and the CPU protections that
 * depend on them.
 *
 * paging_init() replaces the boot tables (boot/entry.S) with init_mm's:
 *
 *   direct map   PAGE_OFFSET + [0, max(end of RAM, 4 GiB)), 1 GiB pages when
 *                the CPU has them (CPUID PDPE1GB), else 2 MiB; RW, NX, global.
 *                The 4 GiB floor covers the framebuffer and the APICs; those
 *                are MMIO mapped write-back in the PAT, which is safe because
 *                the firmware's MTRRs make them UC and UC wins (SDM Vol. 3A,
 *                "Memory Type Setting for PAT and MTRR combinations").
 *   kernel image KERNEL_VMA + phys, 4 KiB pages: text RX, rodata RO+NX,
 *                data and bss RW+NX, the boot stack's guard page absent.
 *                .boot (32-bit code, no longer needed) is not mapped.
 *   stacks       KSTACK_START: guarded kernel stacks (mm/kstack.c).
 *
 * Nothing maps the low identity range any more: NULL faults.
 *
 * Order matters: EFER.NXE must be on before a table with NX bits is loaded
 * (NX is a reserved bit otherwise: #PF with RSVD), and CR0.WP / SMEP / SMAP
 * only after the kernel's own mappings are right.
 */
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/tlb.h"
#include "mm/pti.h"
#include "kernel/string.h"
#include "mm/kstack.h"
#include "mm/memblock.h"
#include "mm/page_alloc.h"
#include "kernel/cpu.h"
#include "kernel/cpufeature.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/layout.h"
#include "kernel/smp.h"

extern char boot_stack_guard[];
bool smap_enabled;
u64 direct_map_size;

static void map_kernel_range(const char *name, void *vstart, void *vend, pteval_t prot)
{
	u64 start = ALIGN_DOWN((u64)vstart, PAGE_SIZE), end = ALIGN_UP((u64)vend, PAGE_SIZE);

	for (u64 va = start; va < end; va += PAGE_SIZE) {
		if (va == (u64)boot_stack_guard)
			continue;		/* the guard stays unmapped */
		if (map_page(&init_mm, va, va - KERNEL_VMA, prot))
			panic("paging_init: cannot map %s at %#lx", name, va);
	}
	pr_info("mm: kernel %-7s %#lx-%#lx %4lu KiB %s%s\n", name, start, end - 1,
		(end - start) >> 10, (prot & _PAGE_RW) ? "RW" : "RO",
		(prot & _PAGE_NX) ? " NX" : " X");
}

static void map_direct(void)
{
	bool gbpages = boot_cpu_has(X86_FEATURE_PDPE1GB);
	u64 step = gbpages ? PUD_SIZE : PMD_SIZE;
	u64 end = ALIGN_UP(MAX(memblock_end_of_ram(), (u64)BOOT_DIRECT_MAP_SIZE), PUD_SIZE);

	if (end > (1UL << PGDIR_SHIFT)) {
		pr_warn("mm: RAM above 512 GiB is not mapped\n");
		end = 1UL << PGDIR_SHIFT;
	}
	for (u64 pa = 0; pa < end; pa += step) {
		pteval_t *e = __walk_page_table(&init_mm, PAGE_OFFSET + pa, true, NULL,
						gbpages ? 3 : 2);

		if (!e)
			panic("paging_init: out of memory for the direct map");
		set_pte(&init_mm, e, pa | PAGE_KERNEL | _PAGE_PSE);
	}
	direct_map_size = end;
	pr_info("mm: direct map %#lx-%#lx (%lu GiB, %s pages)\n", PAGE_OFFSET,
		PAGE_OFFSET + end - 1, end >> 30, gbpages ? "1 GiB" : "2 MiB");
}

/* init_mm's PML4, 8 KiB aligned like a PTI pair's kernel half, so that
 * CR3 bit 12 is set only while a user half is loaded (mm/pti.c). */
static pteval_t *early_pgd(void)
{
	phys_addr_t pa = memblock_alloc(2 * PAGE_SIZE, 2 * PAGE_SIZE, BOOT_DIRECT_MAP_SIZE);

	if (!pa)
		return NULL;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return phys_to_virt(pa);
}

/* Every kernel PML4 slot we use exists from the start, so all mms can copy
 * entries 256..511 once and see later kernel mappings (pgtable.c). */
static void populate_kernel_pgd(void)
{
	static const u64 slots[] = { PAGE_OFFSET, KSTACK_START, KERNEL_VMA };

	for (unsigned i = 0; i < ARRAY_SIZE(slots); i++)
		if (!__walk_page_table(&init_mm, slots[i], true, NULL, 3))
			panic("paging_init: out of memory for the kernel PML4");
}

/* Every CPU runs this once its CR3 holds init_mm's tables (APs from
 * start_secondary): the bits must match on all CPUs. */
void cpu_enable_protections(void)
{
	u64 cr4 = read_cr4() | X86_CR4_PGE;

	write_cr0(read_cr0() | X86_CR0_WP);	/* ring 0 obeys read-only too */
	if (boot_cpu_has(X86_FEATURE_SMEP))
		cr4 |= X86_CR4_SMEP;		/* never execute user pages */
	if (boot_cpu_has(X86_FEATURE_SMAP)) {
		cr4 |= X86_CR4_SMAP;		/* touch user pages only with STAC */
		smap_enabled = true;
	}
	if (boot_cpu_has(X86_FEATURE_UMIP))
		cr4 |= X86_CR4_UMIP;		/* no SGDT/SIDT/... in ring 3 */
	write_cr4(cr4);
	if (smp_processor_id() != 0)
		return;
	pr_info("mm: CR0.WP on; SMEP %s, SMAP %s, UMIP %s, global pages %s\n",
		(cr4 & X86_CR4_SMEP) ? "on" : "absent",
		(cr4 & X86_CR4_SMAP) ? "on" : "absent",
		(cr4 & X86_CR4_UMIP) ? "on" : "absent",
		pti_enabled ? "off (pti)" : "on");
}

void paging_init(void)
{
	if (boot_cpu_has(X86_FEATURE_NX))
		wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	else
		__supported_pte_mask &= ~_PAGE_NX;

	pti_select();			/* before any entry: decides the G bit */
	init_mm.pgd = early_pgd();
	if (!init_mm.pgd)
		panic("paging_init: no memory for the kernel PML4");
	populate_kernel_pgd();
	map_direct();
	map_kernel_range("text", _text, _etext, PAGE_KERNEL_RX);
	map_kernel_range("rodata", __start_rodata, __end_rodata, PAGE_KERNEL_RO);
	map_kernel_range("data", _sdata, __bss_stop, PAGE_KERNEL);
	pti_init();			/* the user half's kernel entries */
	pr_info("mm: stacks %#lx-%#lx (%d slots of %d KiB + guard page)\n",
		KSTACK_START, KSTACK_END - 1, KSTACK_SLOTS, THREAD_SIZE >> 10);

	switch_mm(&init_mm, &init_mm);		/* CR3 := init_mm.pgd */
	cpu_enable_protections();
}
