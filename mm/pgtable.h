/*
 * pgtable.h - x86-64 4-level page tables: entry bits and the one edit path.
 *
 * Levels (Intel SDM Vol. 3A, "4-Level Paging and 5-Level Paging"): PML4 (Linux: pgd) ->
 * PDPT (pud) -> PD (pmd) -> PT (pte); 512 eight-byte entries per 4 KiB
 * table; bits 47:39, 38:30, 29:21, 20:12 of the address index them.  A PDPT
 * entry with PS maps 1 GiB, a PD entry with PS maps 2 MiB.
 *
 * THE RULE: every change to a page-table entry that may be cached in a TLB
 * goes through set_pte() (or its wrappers map_page/unmap_range/
 * protect_range).  set_pte() bumps the owning mm's tlb_gen whenever it
 * removes or weakens a *present* entry (another frame, fewer rights; adding
 * rights owes no flush): that counter is how the TLB code
 * (mm/tlb.c, and the TLB issue's per-CPU generations) knows a flush is owed.
 * A raw store to an entry elsewhere is a bug: it would skip the count.
 * The one exception is filling a table that no CPU has loaded yet and no
 * mm owns (a new mm's PML4 copy in mm_alloc, the AP trampoline tables in
 * kernel/smpboot.c): no TLB can hold its entries, so there is nothing to
 * count.  The boot code's and the trampoline's CR3 loads are likewise the
 * only CR3 writes outside mm/tlb.c, made before any mm exists on that CPU.
 * Filling a not-present entry needs no flush (x86 never caches not-present
 * entries; SDM Vol. 3A, "Translation Lookaside Buffers (TLBs)") but still
 * goes through set_pte so there is one place to watch in GDB.
 */
#ifndef MM_PGTABLE_H
#define MM_PGTABLE_H

#include "kernel/types.h"
#include "kernel/layout.h"

typedef u64 pteval_t;

#define _PAGE_PRESENT	BIT(0)
#define _PAGE_RW	BIT(1)
#define _PAGE_USER	BIT(2)
#define _PAGE_PWT	BIT(3)
#define _PAGE_PCD	BIT(4)
#define _PAGE_ACCESSED	BIT(5)
#define _PAGE_DIRTY	BIT(6)
#define _PAGE_PSE	BIT(7)		/* large page in a PD/PDPT entry */
#define _PAGE_GLOBAL	BIT(8)
#define _PAGE_NX	BIT(63)
#define PTE_PFN_MASK	0x000ffffffffff000ULL

/* protections used by the kernel (Linux's names) */
#define PAGE_KERNEL		(_PAGE_PRESENT | _PAGE_RW | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_RO		(_PAGE_PRESENT | _PAGE_GLOBAL | _PAGE_NX)
#define PAGE_KERNEL_EXEC	(_PAGE_PRESENT | _PAGE_GLOBAL)
#define PAGE_KERNEL_RX		PAGE_KERNEL_EXEC
/* intermediate tables are permissive; the leaf decides: access rights combine
 * across levels (SDM Vol. 3A, "Access Rights") */
#define _PAGE_TABLE		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define _KERNPG_TABLE		(_PAGE_PRESENT | _PAGE_RW)

#define PGDIR_SHIFT	39
#define PUD_SHIFT	30
#define PMD_SHIFT	21
#define PUD_SIZE	(1UL << PUD_SHIFT)
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PTRS_PER_TABLE	512
#define KERNEL_PGD_START 256		/* PML4 entries 256..511: the kernel half */


static inline unsigned pgd_index(u64 va) { return (va >> PGDIR_SHIFT) & 511; }
static inline unsigned pud_index(u64 va) { return (va >> PUD_SHIFT) & 511; }
static inline unsigned pmd_index(u64 va) { return (va >> PMD_SHIFT) & 511; }
static inline unsigned pte_index(u64 va) { return (va >> PAGE_SHIFT) & 511; }

static inline bool pte_present(pteval_t e) { return e & _PAGE_PRESENT; }
static inline bool pte_large(pteval_t e) { return e & _PAGE_PSE; }
static inline phys_addr_t pte_phys(pteval_t e) { return e & PTE_PFN_MASK; }
static inline pteval_t *table_of(pteval_t e) { return phys_to_virt(pte_phys(e)); }

struct mm_struct;

/* The one place that stores a page-table entry (see THE RULE above). */
void set_pte(struct mm_struct *mm, pteval_t *ptep, pteval_t val);
/* The same for a leaf entry mapping @addr (the TLB model records it). */
void set_pte_at(struct mm_struct *mm, u64 addr, pteval_t *ptep, pteval_t val);

/*
 * Find the leaf entry for @va in @mm, allocating missing intermediate
 * tables when @alloc.  Returns NULL when a table is missing (and !alloc) or
 * cannot be allocated.  *@level gets 1 (4K PTE), 2 (2M PMD) or 3 (1G PUD):
 * a large page ends the walk.
 */
pteval_t *walk_page_table(struct mm_struct *mm, u64 va, bool alloc, int *level);
pteval_t *__walk_page_table(struct mm_struct *mm, u64 va, bool alloc, int *level,
			    int stop_level);
extern pteval_t __supported_pte_mask;
void *early_zeroed_page(void);
void paging_init(void);
void cpu_enable_protections(void);
extern bool smap_enabled;
extern u64 direct_map_size;

int map_page(struct mm_struct *mm, u64 va, phys_addr_t pa, pteval_t prot);
void unmap_range(struct mm_struct *mm, u64 start, u64 end);
int protect_range(struct mm_struct *mm, u64 start, u64 end, pteval_t prot);
/* translate; returns 0 and fills *pa / *flags, or -EFAULT if unmapped */
int follow_pte(struct mm_struct *mm, u64 va, phys_addr_t *pa, pteval_t *flags);
void free_user_page_tables(struct mm_struct *mm);
void dump_page_walk(struct mm_struct *mm, u64 va);

#endif
