/*
 * mm.h - address spaces (struct mm_struct) and their two reference counts.
 *
 * An mm_struct is one address space: a PML4 (pgd) whose upper half (entries
 * 256..511) is shared by every mm and maps the kernel, a VMA set describing
 * the user half, and the counters the TLB code uses.
 *
 * THE TWO COUNTS (Linux's meaning; later issues depend on exactly this):
 *
 *   mm_users  - how many users of the *address space*: threads sharing it,
 *               and temporary users (e.g. a kernel thread doing I/O into it
 *               with mmget()).  mmput() drops one; at 0 the user half is
 *               torn down (exit_mmap: VMAs, pages, user page tables), since
 *               nobody can run in it or access it any more.
 *
 *   mm_count  - how many references to the *struct itself*.  All mm_users
 *               together hold ONE mm_count.  Others are held by whoever
 *               must keep the struct and its pgd alive without using the
 *               address space: a kernel thread that lazily keeps the last
 *               user mm loaded in CR3 (lazy TLB, scheduler issue), a CPU
 *               whose TLB may still hold its entries, and later the PASID
 *               (mmgrab when the PASID is attached, mmdrop when the mm is
 *               freed - seed 001).  mmdrop() drops one; at 0 the pgd page
 *               and the struct are freed.
 *
 *   Why two: after the last thread exits (mm_users = 0) a CPU may still run
 *   a kernel thread with this pgd in CR3.  The user mappings can go, but the
 *   pgd must stay valid until that CPU switches away and calls mmdrop().
 *
 * Invariant: mm_count >= 1 while mm_users > 0; the kernel half of the pgd
 * is never freed (it belongs to init_mm); init_mm is never dropped.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include "kernel/types.h"
#include "kernel/atomic.h"
#include "mm/pgtable.h"
#include "mm/vma.h"

struct mm_struct {
	pteval_t *pgd;			/* PML4, by its direct-map address */
	struct vma_set vmas;		/* the user half's regions */
	atomic_t mm_users;
	atomic_t mm_count;
	atomic64_t tlb_gen;		/* bumped by every change to a present PTE */
	u64 context_id;			/* unique, never reused (Linux: ctx_id) */
	u64 nr_ptes;			/* page-table pages of the user half */
	u64 rss;			/* user pages mapped (resident set) */
	const char *name;		/* for reports */
};

extern struct mm_struct init_mm;	/* the kernel's own address space */

struct mm_struct *mm_alloc(void);
void mmget(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
u64 mm_live_count(void);		/* allocated mm_structs, for leak checks */

/* user mappings (mm/mmap.c): Linux's mmap/munmap/mprotect in kernel form */
#define PROT_NONE	0x0
#define PROT_READ	0x1
#define PROT_WRITE	0x2
#define PROT_EXEC	0x4
long do_mmap_anon(struct mm_struct *mm, u64 addr, u64 len, int prot, bool fixed);
int do_munmap(struct mm_struct *mm, u64 addr, u64 len);
int do_mprotect(struct mm_struct *mm, u64 addr, u64 len, int prot);
pteval_t vm_flags_to_prot(u64 vm_flags);

/* page faults (mm/fault.c) */
struct fault_stats {
	u64 faults;
	u64 demand_zero;
};
extern struct fault_stats fault_stats;
struct pt_regs;
void do_page_fault(struct pt_regs *regs, u64 address);
int handle_mm_fault(struct mm_struct *mm, u64 address, u64 error_code);

/* the mm whose user half this CPU can currently access (mm/tlb.c) */
struct mm_struct *current_mm(void);

#endif
