/*
 * pti.c - page-table isolation: user page tables that map almost nothing
 * of the kernel (Linux's arch/x86/mm/pti.c, in a small form).
 *
 * Why: on a CPU with Meltdown, ring 3 can read any kernel address that is
 * mapped in the page tables it runs on, by speculation, whatever the U/S
 * bit says.  The cure is to run ring 3 on page tables in which the kernel
 * is absent, and to switch CR3 on every kernel entry and exit.
 *
 * What it owns:
 *   - pti=on|off (the boot line "pti: ..."): the default is ON.  Not for
 *     safety - QEMU's TCG and Bochs do not speculate - but because this
 *     kernel exists to show the mechanism, and the pending-flush bitmap
 *     (mm/asid.h, seed 003) only does anything with PTI.  pti=off is the
 *     fast configuration; docs/tlb.md and docs/performance.md measure both.
 *   - the PGD pair: with PTI each user mm's PML4 is an 8 KiB-aligned
 *     pair, the kernel half first and the user half at +4 KiB, so the two
 *     CR3 values differ in bit 12 only (CR3_PTI_USER_PGTABLE_BIT) and the
 *     entry code can switch between them with an AND, needing no memory.
 *     init_mm's PML4 is 8 KiB-aligned too, so bit 12 of CR3 is 1 only
 *     while a user half is loaded (the NMI entry relies on it).
 *   - the user half's contents: entries 0..255 mirror the kernel half's
 *     (set_pte_at calls pti_mirror_user_pgd for them: one edit path), so
 *     both halves share every lower-level user table; entries 256..511
 *     come from pti_user_template, built once at boot, which maps only:
 *        the entry text (kernel/entry.S's .entry.text)   RX
 *        the IDT                                        RO
 *        per CPU: GDT, TSS, IST stacks, entry stack      RW (kernel/gdt.c)
 *        per CPU: the entry page of struct percpu        RW (kernel/percpu.h)
 *     at the same virtual addresses as in the kernel half, so no pointer
 *     changes with the CR3 switch.
 *   - no global kernel pages under PTI: a global TLB entry survives the
 *     switch to the user CR3 and would keep the kernel reachable from ring
 *     3 (SDM Vol. 3A 4.10.2.4), so _PAGE_GLOBAL is dropped from
 *     __supported_pte_mask before the kernel's tables are built.  The
 *     price: a kernel-range flush no longer reaches other PCIDs through
 *     the G bit, so mm/tlb.c marks the other ASID slots stale.
 *
 * Invariant: the user half of a PGD pair maps nothing of the kernel but
 * the template's pages; the template never changes after pti_init().
 */
#include "mm/pti.h"
#include "mm/mm.h"
#include "mm/pgtable.h"
#include "mm/page_alloc.h"
#include "kernel/cmdline.h"
#include "kernel/desc.h"
#include "kernel/errno.h"
#include "kernel/layout.h"
#include "kernel/panic.h"
#include "kernel/percpu.h"
#include "kernel/printk.h"
#include "kernel/smp.h"
#include "kernel/string.h"

bool pti_enabled;
/* The template: a page-table tree for the user half's kernel entries.  A
 * struct mm_struct only so that the one walker and set_pte_at build it. */
static struct mm_struct pti_template_mm;
static unsigned pti_pages;		/* pages the template maps */

/* Early, before the kernel's tables exist (paging_init): decide. */
void pti_select(void)
{
	const char *want = cmdline_get("pti");

	pti_enabled = true;
	if (want && !strcmp(want, "off"))
		pti_enabled = false;
	else if (want && strcmp(want, "on"))
		pr_warn("pti: unknown value pti=%s, using on\n", want);
	if (pti_enabled)
		__supported_pte_mask &= ~_PAGE_GLOBAL;
}

/* Map [start, end) of the kernel image into the template, same addresses. */
static void pti_clone_range(const char *what, u64 start, u64 end, pteval_t prot)
{
	for (u64 va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		int err = map_page(&pti_template_mm, va, va - KERNEL_VMA, prot);

		if (err && err != -EEXIST)
			panic("pti: cannot map %s at %#lx (%d)", what, va, err);
		if (!err)
			pti_pages++;
	}
}

/*
 * Build the template (paging_init, after the kernel's own tables; tables
 * still come from memblock).  Everything it maps is static in the kernel
 * image: all NR_CPUS CPUs' areas are mapped now, whether they come up or
 * not, so nothing is added later.
 */
void pti_init(void)
{
	if (!pti_enabled) {
		pr_info("pti: off (one page table per process, no CR3 switch on entry)\n");
		return;
	}
	pti_template_mm.pgd = early_zeroed_page();
	if (!pti_template_mm.pgd)
		panic("pti: no memory for the user PGD template");
	pti_clone_range("entry text", (u64)__entry_text_start, (u64)__entry_text_end,
			PAGE_KERNEL_RX);
	pti_clone_range("IDT", idt_table_address(), idt_table_address() + PAGE_SIZE,
			PAGE_KERNEL_RO);
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		u64 start, end;

		cpu_desc_tables_range(cpu, &start, &end);
		/* RW: the CPU sets descriptor accessed bits during IRET */
		pti_clone_range("GDT/TSS/stacks", start, end, PAGE_KERNEL);
		pti_clone_range("entry page", (u64)per_cpu(cpu), (u64)per_cpu(cpu) + PAGE_SIZE,
				PAGE_KERNEL);
	}
	pr_info("pti: on - user page tables map %u kernel pages (entry text %lu, IDT 1, "
		"%d CPUs' entry areas)\n", pti_pages,
		(unsigned long)((__entry_text_end - __entry_text_start) >> PAGE_SHIFT), NR_CPUS);
}

unsigned pti_user_kernel_pages(void)
{
	return pti_pages;
}

/*
 * A new mm's PML4: one page without PTI; with it, an 8 KiB pair whose
 * user half gets the template's kernel entries.  The caller copies the
 * kernel half's entries 256..511 from init_mm.
 */
pteval_t *pgd_alloc(void)
{
	pteval_t *pgd;

	if (!pti_enabled)
		return get_zeroed_page(GFP_KERNEL);
	pgd = get_free_pages(GFP_KERNEL, 1);	/* order 1: 8 KiB aligned */
	if (!pgd)
		return NULL;
	memset(pgd, 0, 2 * PAGE_SIZE);
	memcpy(&kernel_to_user_pgd(pgd)[KERNEL_PGD_START], &pti_template_mm.pgd[KERNEL_PGD_START],
	       (PTRS_PER_TABLE - KERNEL_PGD_START) * sizeof(pteval_t));
	return pgd;
}

void pgd_free(pteval_t *pgd)
{
	if (pti_enabled)
		free_pages(pgd, 1);
	else
		free_page(pgd);
}

/* set_pte_at() stored @val in @mm's PML4 at @ptep: give the user half the
 * same entry if it is a user-half slot (Linux's pti_set_user_pgtbl). */
void pti_mirror_user_pgd(struct mm_struct *mm, pteval_t *ptep, pteval_t val)
{
	if (!pti_enabled || !mm->pgd || mm == &pti_template_mm || mm == &init_mm)
		return;
	if (ptep < mm->pgd || ptep >= mm->pgd + KERNEL_PGD_START)
		return;
	WRITE_ONCE(kernel_to_user_pgd(ptep)[0], val);
}
