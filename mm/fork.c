/*
 * fork.c - dup_mm(): fork's copy-on-write copy of an address space.
 *
 * The child gets a copy of every VMA (each file VMA takes its own file
 * reference) and a copy of every user PTE that holds a frame, pointing at
 * the SAME frame, whose _refcount goes up by one (get_page).  Nothing is
 * copied until somebody writes:
 *
 *   private, writable PTE     -> read-only in BOTH parent and child; the
 *                                first write in either takes a
 *                                copy-on-write fault (mm/fault.c), which
 *                                copies the frame, or just makes the PTE
 *                                writable again if the other side has
 *                                meanwhile let go (refcount back to 1)
 *   private, read-only PTE    -> shared as it is (text, rodata, a mapped
 *                                file's pages: nobody may write them)
 *   VM_SHARED (MAP_SHARED     -> shared as it is, writable: both see every
 *   anonymous)                   write, which is the point
 *   PROT_NONE entry           -> shared as it is (it stays read-only for
 *                                COW purposes when mprotect reopens it:
 *                                change_protection checks the refcount)
 *
 * INVARIANTS this keeps (mm.h): a frame's _refcount = the number of PTEs
 * mapping it, over all mms; a private page with _refcount > 1 is never
 * writable through any PTE; rss counts the PTEs holding frames.
 *
 * THE PARENT'S TLB.  Write-protecting a parent PTE is a permission
 * reduction: until the parent's TLB forgets the old entry, a parent thread
 * could still write into the frame through it - into the child's memory.
 * So every range write-protected here is flushed (flush_tlb_mm_range)
 * before dup_mm returns, i.e. before the child can run.
 *
 * FAILURE.  Out of memory at any point (a VMA, a page table) undoes
 * everything through the normal teardown: mmput() of the half-built child
 * unmaps what was copied (each frame loses the reference it gained), frees
 * its page tables and VMAs (dropping their file references) and the mm.
 * The parent is left with some PTEs write-protected; they take one
 * copy-on-write fault each, find _refcount 1 and become writable again.
 *
 * Locking: the parent's mmap_lock is held throughout, so no fault or
 * munmap changes its page tables under us.  The child is not visible to
 * anyone yet.
 */
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/tlb.h"
#include "kernel/errno.h"
#include "kernel/panic.h"

struct copy_pte_args {
	struct mm_struct *dst;
	struct vm_area_struct *vma;	/* the parent's */
	bool wrprotected;		/* some parent PTE lost _PAGE_RW */
};

/* One parent PTE slot: share its frame with the child. */
static int copy_one_pte(struct mm_struct *src, pteval_t *spte, u64 va, void *arg)
{
	struct copy_pte_args *a = arg;
	pteval_t e = READ_ONCE(*spte), *dpte;

	if (!pte_has_page(e))
		return 0;
	dpte = alloc_user_pte(a->dst, va);
	if (!dpte)
		return -ENOMEM;
	if (!(a->vma->vm_flags & VM_SHARED) && (e & _PAGE_RW)) {
		e &= ~_PAGE_RW;
		set_pte_at(src, va, spte, e);	/* present: tlb_gen++, flush below */
		a->wrprotected = true;
	}
	get_page(phys_to_page(pte_phys(e)));
	set_pte(a->dst, dpte, e);		/* an empty slot of an unloaded mm */
	a->dst->rss++;
	return 0;
}

struct mm_struct *dup_mm(struct mm_struct *old)
{
	struct mm_struct *mm = mm_alloc();
	struct vm_area_struct *vma;
	int err;

	if (!mm)
		return NULL;
	mutex_lock(&old->mmap_lock);
	mm->start_brk = old->start_brk;
	mm->brk = old->brk;
	mm->mmap_base = old->mmap_base;
	mm->start_stack = old->start_stack;
	mm->arg_start = old->arg_start;
	mm->arg_end = old->arg_end;
	mm->env_start = old->env_start;
	mm->env_end = old->env_end;
	err = vma_set_dup(&mm->vmas, &old->vmas);
	for (vma = vma_next(&old->vmas, NULL); vma && !err; vma = vma_next(&old->vmas, vma)) {
		struct copy_pte_args a = { .dst = mm, .vma = vma };
		u64 start_gen = (u64)atomic64_read(&old->tlb_gen);

		err = walk_user_ptes(old, vma->vm_start, vma->vm_end, copy_one_pte, &a);
		if (a.wrprotected)	/* before the child can run; see above */
			flush_tlb_mm_range_gen(old, vma->vm_start, vma->vm_end, start_gen, false);
	}
	mutex_unlock(&old->mmap_lock);
	if (err) {
		mmput(mm);		/* exit_mmap undoes it all */
		return NULL;
	}
	return mm;
}
