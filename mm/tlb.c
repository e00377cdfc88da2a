/*
 * tlb.c - the CR3 write path and local TLB flushes.
 *
 * A flush is still a local INVLPG or CR3 reload: user mms are only ever
 * loaded on the CPU that runs the tests, and kernel mappings are not yet
 * changed while other CPUs run.  The TLB issue turns flush_tlb_mm_range()
 * into shootdowns to every CPU in the mm's cpumask, driven by mm->tlb_gen
 * (bumped by set_pte()).
 *
 * Invariant: cpu_tlbstate.loaded_mm always names the mm whose pgd is in
 * CR3, and holds an mm_count reference on it (mmgrab) while it is there,
 * so a CR3 can never point at a freed pgd.
 */
#include "mm/tlb.h"
#include "mm/mm.h"
#include "kernel/cpu.h"
#include "kernel/layout.h"
#include "kernel/smp.h"

struct tlb_stats tlb_stats;
/* per CPU; CPU 0's reference on init_mm is counted in init_mm's initial
 * mm_count, an AP takes its own in tlb_init_secondary() */
static struct tlb_state cpu_tlbstate[NR_CPUS] = { [0] = { .loaded_mm = &init_mm } };

static struct tlb_state *this_tlbstate(void)
{
	return &cpu_tlbstate[smp_processor_id()];
}

/* THE CR3 write. */
static void write_cr3(u64 val)
{
	tlb_stats.cr3_writes++;
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

struct mm_struct *current_mm(void)
{
	return this_tlbstate()->loaded_mm;
}

void switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	if (prev == next && __read_cr3() == virt_to_phys(next->pgd))
		return;
	mmgrab(next);
	/* MOV to CR3 without PCIDs flushes all non-global entries (SDM Vol.
	 * 3A, "Invalidation of TLBs and Paging-Structure Caches"). */
	write_cr3(virt_to_phys(next->pgd));
	this_tlbstate()->loaded_mm = next;
	mmdrop(prev);
}

/*
 * Toggling CR4.PGE flushes everything, global entries included (SDM Vol. 3A,
 * "Invalidation of TLBs and Paging-Structure Caches"); a CR3 write alone
 * would leave the kernel's global entries in place.
 */
void __flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	tlb_stats.flush_all++;
	if (cr4 & X86_CR4_PGE) {
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(__read_cr3());
	}
}

#define FLUSH_ONE_BY_ONE_MAX	33	/* Linux's tlb_single_page_flush_ceiling */

void flush_tlb_mm_range(struct mm_struct *mm, u64 start, u64 end)
{
	/* Kernel mappings are in every mm; user ones only matter if loaded. */
	if (mm != &init_mm && mm != this_tlbstate()->loaded_mm)
		return;
	if ((end - start) >> PAGE_SHIFT > FLUSH_ONE_BY_ONE_MAX) {
		__flush_tlb_all();
		return;
	}
	for (u64 va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE) {
		tlb_stats.flush_one++;
		asm volatile("invlpg (%0)" : : "r"(va) : "memory");
	}
}

/* An AP arrives on the trampoline's page tables; move it to init_mm's
 * through the one CR3 path, holding a reference like every loaded mm. */
void tlb_init_secondary(void)
{
	this_tlbstate()->loaded_mm = &init_mm;
	mmgrab(&init_mm);
	switch_mm(&init_mm, &init_mm);
}

void use_mm(struct mm_struct *mm)
{
	mmget(mm);
	switch_mm(this_tlbstate()->loaded_mm, mm);
}

void unuse_mm(struct mm_struct *mm)
{
	switch_mm(mm, &init_mm);
	mmput(mm);
}
