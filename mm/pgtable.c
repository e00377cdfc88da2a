/*
 * pgtable.c - walking and editing page tables; set_pte() is the one store.
 *
 * See pgtable.h for THE RULE.  Intermediate tables of the user half belong
 * to their mm and are freed with it (free_user_page_tables); those of the
 * kernel half are shared by every mm through PML4 entries 256..511, which
 * are all created at boot (mm/init.c), so adding a kernel mapping never has
 * to touch another mm's PML4.
 */
#include "mm/pgtable.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/tlb.h"
#include "mm/pti.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "mm/memblock.h"

/* NX is only legal when EFER.NXE is on; mm/init.c clears it otherwise. */
pteval_t __supported_pte_mask = ~0ULL;

/*
 * Does replacing present entry @old by @val take something away that a TLB
 * may have cached: the translation, its frame, write or user access, or
 * executability?  Adding rights owes no flush: at worst a CPU takes one
 * spurious fault, which drops the stale entry (SDM Vol. 3A 4.10.4.3).
 */
static bool pte_weakened(pteval_t old, pteval_t val)
{
	if (!pte_present(old) || old == val)
		return false;
	return !pte_present(val) || pte_phys(old) != pte_phys(val) ||
	       ((old & _PAGE_RW) && !(val & _PAGE_RW)) ||
	       ((old & _PAGE_USER) && !(val & _PAGE_USER)) ||
	       (!(old & _PAGE_NX) && (val & _PAGE_NX)) ||
	       ((old ^ val) & _PAGE_PSE);
}

/* @addr: the address the entry maps (a leaf), for the TLB model; ~0 for
 * an intermediate table's entry. */
void set_pte_at(struct mm_struct *mm, u64 addr, pteval_t *ptep, pteval_t val)
{
	pteval_t old = READ_ONCE(*ptep);

	val &= __supported_pte_mask;
	WRITE_ONCE(*ptep, val);
	pti_mirror_user_pgd(mm, ptep, val);	/* a user PML4 slot: both halves */
	/*
	 * A TLB may hold the old translation: a flush is now owed.  The TLB
	 * model hears of the edit *before* the generation moves: a CPU that
	 * reads the new generation and flushes must appear after the edit
	 * in the model's order, or the model would call that flush too early
	 * (edits of one mm are serialised by mmap_lock, so the next
	 * generation is known).
	 */
	if (pte_weakened(old, val)) {
		if (addr != ~0ULL)
			tlb_pte_edit(mm, addr, (u64)atomic64_read(&mm->tlb_gen) + 1);
		atomic64_inc_return(&mm->tlb_gen);
	}
}

void set_pte(struct mm_struct *mm, pteval_t *ptep, pteval_t val)
{
	set_pte_at(mm, ~0ULL, ptep, val);
}

static bool is_user_va(u64 va)
{
	return va < TASK_SIZE_MAX;
}

/* Before the page allocator exists (paging_init), tables come from memblock
 * below 4 GiB, which the boot direct map covers; they are kernel tables and
 * never freed. */
void *early_zeroed_page(void)
{
	phys_addr_t pa = memblock_alloc(PAGE_SIZE, PAGE_SIZE, BOOT_DIRECT_MAP_SIZE);

	if (!pa)
		return NULL;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	return phys_to_virt(pa);
}

static pteval_t *alloc_table(struct mm_struct *mm, u64 va)
{
	void *t = mem_map ? get_zeroed_page(GFP_KERNEL) : early_zeroed_page();

	if (t && is_user_va(va))
		mm->nr_ptes++;
	return t;
}

/* The walker behind walk_page_table(); stops at @stop_level (1..3). */
pteval_t *__walk_page_table(struct mm_struct *mm, u64 va, bool alloc, int *level,
			    int stop_level)
{
	static const int shifts[] = { 0, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT };
	pteval_t *table = mm->pgd;

	for (int lvl = 4; lvl >= 1; lvl--) {
		pteval_t *e = &table[(va >> shifts[lvl]) & 511];

		if (level)
			*level = lvl;
		if (lvl == stop_level || (lvl <= 3 && pte_present(*e) && pte_large(*e)))
			return e;
		if (!pte_present(*e)) {
			pteval_t *t;

			if (!alloc)
				return NULL;	/* *level says where it stopped */
			/* kernel PML4 slots are created only by paging_init */
			BUG_ON(lvl == 4 && !is_user_va(va) && mem_map);
			t = alloc_table(mm, va);
			if (!t)
				return NULL;
			set_pte(mm, e, virt_to_phys(t) |
				(is_user_va(va) ? _PAGE_TABLE : _KERNPG_TABLE));
		}
		table = table_of(*e);
	}
	return NULL;	/* not reached */
}

pteval_t *walk_page_table(struct mm_struct *mm, u64 va, bool alloc, int *level)
{
	return __walk_page_table(mm, va, alloc, level, 1);
}

int map_page(struct mm_struct *mm, u64 va, phys_addr_t pa, pteval_t prot)
{
	int level;
	pteval_t *pte = walk_page_table(mm, va, true, &level);

	if (!pte)
		return -ENOMEM;
	if (level != 1 || pte_present(*pte))
		return -EEXIST;
	set_pte(mm, pte, (pa & PTE_PFN_MASK) | prot);
	return 0;
}

/* bytes from @va to the end of the region a missing entry at @level covers */
static u64 skip_hole(u64 va, int level)
{
	u64 size = 1UL << (PAGE_SHIFT + 9 * (level - 1));

	return ALIGN_DOWN(va, size) + size - va;
}

/*
 * The frames of cleared user PTEs wait here until the TLB flush is done:
 * freeing first would let another CPU (a thread of the process, or a
 * kernel thread running on the mm lazily) keep using a stale translation
 * into a frame that already belongs to someone else.  Linux's mmu_gather,
 * in its simplest form: a batch that is flushed, then freed, when full.
 */
#define GATHER_MAX	64

struct mmu_gather {
	struct mm_struct *mm;
	u64 start;			/* of the range cleared since the last flush */
	u64 start_gen;			/* mm->tlb_gen when that range began */
	unsigned nr;
	phys_addr_t frames[GATHER_MAX];
};

static void tlb_flush_mmu(struct mmu_gather *tlb, u64 end)
{
#ifndef BUG_UNMAP_NO_FLUSH
	flush_tlb_mm_range_gen(tlb->mm, tlb->start, end, tlb->start_gen, false);
#else
	/* BUG=unmap-no-flush: the entries are gone from the page table but the
	 * TLB still translates them, into frames already back in the allocator */
#endif
	for (unsigned i = 0; i < tlb->nr; i++)
		put_page(phys_to_page(tlb->frames[i]));
	tlb->nr = 0;
	tlb->start = end;
	tlb->start_gen = (u64)atomic64_read(&tlb->mm->tlb_gen);
}

void unmap_range(struct mm_struct *mm, u64 start, u64 end)
{
	struct mmu_gather tlb = { .mm = mm, .start = start, .nr = 0,
				  .start_gen = (u64)atomic64_read(&mm->tlb_gen) };
	u64 va = start;

	while (va < end) {
		int level;
		pteval_t *pte = walk_page_table(mm, va, false, &level);

		if (!pte) {
			u64 skip = skip_hole(va, level);

			if (va + skip < va)
				break;			/* wrapped past the top */
			va += skip;
			continue;
		}
		if (level != 1) {
			pr_err("unmap_range: %#lx is in a large page; not unmapped\n", va);
			va += skip_hole(va, level);
			continue;
		}
		if (pte_present(*pte)) {
			phys_addr_t pa = pte_phys(*pte);

			set_pte_at(mm, va, pte, 0);
			if (is_user_va(va)) {
				tlb.frames[tlb.nr++] = pa;
				mm->rss--;
				if (tlb.nr == GATHER_MAX)
					tlb_flush_mmu(&tlb, va + PAGE_SIZE);
			}
		}
		va += PAGE_SIZE;
	}
	tlb_flush_mmu(&tlb, end);
}

int protect_range(struct mm_struct *mm, u64 start, u64 end, pteval_t prot)
{
	u64 start_gen = (u64)atomic64_read(&mm->tlb_gen);

	for (u64 va = start; va < end; va += PAGE_SIZE) {
		int level;
		pteval_t *pte = walk_page_table(mm, va, false, &level);

		if (!pte || !pte_present(*pte))
			continue;		/* not faulted in yet: the VMA decides */
		if (level != 1)
			return -EINVAL;
		set_pte_at(mm, va, pte, pte_phys(*pte) | prot |
			   (*pte & (_PAGE_ACCESSED | _PAGE_DIRTY)));
	}
	flush_tlb_mm_range_gen(mm, start, end, start_gen, false);
	return 0;
}

int follow_pte(struct mm_struct *mm, u64 va, phys_addr_t *pa, pteval_t *flags)
{
	int level;
	pteval_t *e = walk_page_table(mm, va, false, &level);
	u64 size;

	if (!e || !pte_present(*e))
		return -EFAULT;
	size = 1UL << (PAGE_SHIFT + 9 * (level - 1));
	if (pa)
		*pa = (pte_phys(*e) & ~(size - 1)) + (va & (size - 1));
	if (flags)
		*flags = *e & ~PTE_PFN_MASK;
	return 0;
}

static void free_table(struct mm_struct *mm, pteval_t *table, int level)
{
	for (int i = 0; i < PTRS_PER_TABLE && level > 1; i++) {
		pteval_t e = table[i];

		if (!pte_present(e))
			continue;
		if (pte_large(e))
			panic("free_table: large page in a user page table");
		free_table(mm, table_of(e), level - 1);
	}
	free_page(table);
	mm->nr_ptes--;
}

/* After every user page has been unmapped: free the user half's tables.
 * No flush is needed for the intermediate entries themselves here because
 * the mm is not loaded anywhere any more (mm_users == 0, see mm.h). */
void free_user_page_tables(struct mm_struct *mm)
{
	for (int i = 0; i < KERNEL_PGD_START; i++) {
		pteval_t e = mm->pgd[i];

		if (!pte_present(e))
			continue;
		set_pte(mm, &mm->pgd[i], 0);
		free_table(mm, table_of(e), 3);
	}
}

void dump_page_walk(struct mm_struct *mm, u64 va)
{
	static const char *const names[] = { "", "PTE", "PMD", "PUD", "PGD" };
	static const int shifts[] = { 0, PAGE_SHIFT, PMD_SHIFT, PUD_SHIFT, PGDIR_SHIFT };
	pteval_t *table = mm->pgd;

	for (int lvl = 4; lvl >= 1; lvl--) {
		pteval_t e = table[(va >> shifts[lvl]) & 511];

		printk(KERN_CONT " %s %lx", names[lvl], e);
		if (!pte_present(e) || lvl == 1 || pte_large(e))
			break;
		table = table_of(e);
	}
	printk(KERN_CONT "\n");
}
