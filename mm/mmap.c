/*
 * mmap.c - address spaces: creation, the two reference counts, and the
 * kernel side of mmap/munmap/mprotect for anonymous memory.
 *
 * See mm.h for the mm_users / mm_count rule.  The VMA set (mm/vma.c) says
 * what may be mapped; page tables (mm/pgtable.c) say what is mapped now.
 * Pages appear lazily: mmap only records a VMA, the first touch faults and
 * handle_mm_fault() maps a zeroed page.  munmap and mprotect change the VMA
 * set first (it can fail cleanly) and then the page tables (which cannot).
 */
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/errno.h"
#include "kernel/string.h"

static atomic64_t next_context_id = { 1 };	/* 0 is never a valid id */
static u64 nr_mms;

/* init_mm: one reference for itself and one for being in CPU 0's CR3 */
struct mm_struct init_mm = {
	.mm_users = ATOMIC_INIT(1),
	.mm_count = ATOMIC_INIT(2),
	.name = "init_mm",
};

static struct vm_area_struct *vma_kalloc(void)
{
	return kmalloc(sizeof(struct vm_area_struct), GFP_KERNEL);
}

static void vma_kfree(struct vm_area_struct *vma)
{
	kfree(vma);
}

static const struct vma_ops kernel_vma_ops = {
	.vma_alloc = vma_kalloc,
	.vma_free = vma_kfree,
};

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm), GFP_KERNEL);

	if (!mm)
		return NULL;
	mm->pgd = get_zeroed_page(GFP_KERNEL);
	if (!mm->pgd) {
		kfree(mm);
		return NULL;
	}
	/* share the kernel half: same PDPTs, so later kernel mappings show up */
	memcpy(&mm->pgd[KERNEL_PGD_START], &init_mm.pgd[KERNEL_PGD_START],
	       (PTRS_PER_TABLE - KERNEL_PGD_START) * sizeof(pteval_t));
	vma_set_init(&mm->vmas, &kernel_vma_ops);
	atomic_set(&mm->mm_users, 1);
	atomic_set(&mm->mm_count, 1);	/* held collectively by the users */
	mm->context_id = atomic64_inc_return(&next_context_id);
	mm->name = "user";
	nr_mms++;
	return mm;
}

void mmget(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_users);
}

void mmgrab(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_count);
}

/* Last user gone: nobody runs in or accesses the user half any more. */
static void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	for (vma = vma_next(&mm->vmas, NULL); vma; vma = vma_next(&mm->vmas, vma))
		unmap_range(mm, vma->vm_start, vma->vm_end);
	vma_set_destroy(&mm->vmas);
	free_user_page_tables(mm);
	WARN_ON(mm->rss != 0);
	WARN_ON(mm->nr_ptes != 0);
}

void mmput(struct mm_struct *mm)
{
	if (atomic_dec_and_test(&mm->mm_users)) {
		BUG_ON(mm == &init_mm);
		exit_mmap(mm);
		mmdrop(mm);		/* the users' collective mm_count */
	}
}

/* Last reference to the struct: free it and its PML4 page. */
void mmdrop(struct mm_struct *mm)
{
	if (!atomic_dec_and_test(&mm->mm_count))
		return;
	BUG_ON(mm == &init_mm);
	BUG_ON(this_cpu_loaded_mm() == mm);	/* a CR3 would point at a freed pgd */
	free_page(mm->pgd);
	kfree(mm);
	nr_mms--;
}

u64 mm_live_count(void)
{
	return nr_mms;
}

pteval_t vm_flags_to_prot(u64 vm_flags)
{
	pteval_t prot = _PAGE_PRESENT | _PAGE_USER;

	if (vm_flags & VM_WRITE)
		prot |= _PAGE_RW;
	if (!(vm_flags & VM_EXEC))
		prot |= _PAGE_NX;
	return prot;
}

static u64 prot_to_vm_flags(int prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static bool range_ok(u64 addr, u64 len)
{
	return !(addr & (PAGE_SIZE - 1)) && len && len <= TASK_SIZE_MAX &&
	       addr <= TASK_SIZE_MAX - len;
}

/* Returns the address mapped, or a negative errno (as sys_mmap will). */
long do_mmap_anon(struct mm_struct *mm, u64 addr, u64 len, int prot, bool fixed)
{
	int err;

	if (!len || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return -ENOMEM;			/* rounding wrapped */
	if (fixed) {
		if (!range_ok(addr, len))
			return -EINVAL;
		err = do_munmap(mm, addr, len);	/* MAP_FIXED replaces */
		if (err)
			return err;
	} else {
		addr = vma_get_unmapped_area(&mm->vmas, len, ALIGN_UP(addr, PAGE_SIZE));
		if (!addr)
			return -ENOMEM;
	}
	err = vma_insert(&mm->vmas, addr, addr + len, prot_to_vm_flags(prot) | VM_ANON);
	return err ? err : (long)addr;
}

int do_munmap(struct mm_struct *mm, u64 addr, u64 len)
{
	int err;

	if (!range_ok(addr, ALIGN_UP(len, PAGE_SIZE)))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	err = vma_unmap(&mm->vmas, addr, addr + len);
	if (err)
		return err;
	unmap_range(mm, addr, addr + len);	/* frees pages, then flushes */
	return 0;
}

int do_mprotect(struct mm_struct *mm, u64 addr, u64 len, int prot)
{
	int err;

	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!range_ok(addr, len))
		return -ENOMEM;
	err = vma_protect(&mm->vmas, addr, addr + len, prot_to_vm_flags(prot));
	if (err)
		return err;
	/* every VMA in the range now has the new access bits; the PTEs follow.
	 * Read-only is enforced by the PTE, so do this even if nothing is
	 * faulted in yet. */
	for (struct vm_area_struct *v = find_vma(&mm->vmas, addr);
	     v && v->vm_start < addr + len; v = vma_next(&mm->vmas, v))
		protect_range(mm, MAX(v->vm_start, addr), MIN(v->vm_end, addr + len),
			      vm_flags_to_prot(v->vm_flags));
	return 0;
}
