/*
 * mmap.c - address spaces: creation, the two reference counts, and the
 * kernel side of mmap, munmap, mprotect, madvise and brk.
 *
 * See mm.h for the mm_users / mm_count rule, the user-half layout, the
 * mmap_lock and the page reference rule.  The VMA set (mm/vma.c) says
 * what may be mapped; page tables (mm/pgtable.c) say what is mapped now.
 * Pages appear lazily: mmap only records a VMA, the first touch faults and
 * handle_mm_fault() maps a zeroed page or one read from the file.  Every
 * change goes VMA set first (it can fail cleanly, leaving everything as it
 * was), then page tables (which cannot fail when only removing or
 * downgrading entries).
 *
 * Two kinds of mapping need more than a VMA:
 *
 *   MAP_SHARED | MAP_ANONYMOUS  has no object behind it (Linux uses a
 *       shmem file): its pages ARE the sharing.  So they are all
 *       allocated at mmap time; otherwise a page first touched after fork
 *       would be private to whichever process touched it.  Invariant:
 *       every page of a VM_SHARED VMA has a frame (present or PROT_NONE);
 *       madvise(MADV_DONTNEED) leaves them alone, as Linux's shmem keeps
 *       the data.
 *
 *   file mappings  keep a file reference per VMA (the vma_open/vma_close
 *       hooks below) and read each page in at its first fault.  There is
 *       no page cache: every mapping gets its own copy of a file page,
 *       which is therefore private.  Files here are read-only, and a
 *       MAP_SHARED mapping of a read-only file is in Linux too just a
 *       private read-only one (VM_SHARED and VM_MAYWRITE cleared).
 *
 * PROT_NONE pages that had a frame keep it in a not-present entry
 * (_PAGE_PROTNONE, mm.h), so data survives mprotect(PROT_NONE) and back.
 */
#include "mm/mm.h"
#include "mm/pti.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"

static atomic64_t next_context_id = { 1 };	/* 0 is never a valid id */
static u64 nr_mms;

/* init_mm: one reference for itself and one for being in CPU 0's CR3 */
struct mm_struct init_mm = {
	.mm_users = ATOMIC_INIT(1),
	.mm_count = ATOMIC_INIT(2),
	.name = "init_mm",
	.context_id = 1,		/* next_context_id starts above it */
	.mmap_lock = __MUTEX_INITIALIZER(init_mm.mmap_lock),
};

static struct vm_area_struct *vma_kalloc(void)
{
	return kmalloc(sizeof(struct vm_area_struct), GFP_KERNEL);
}

static void vma_kfree(struct vm_area_struct *vma)
{
	kfree(vma);
}

/* each VMA of a file holds one reference to it (see vma.h) */
static void vma_kopen(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		get_file(vma->vm_file);
}

static void vma_kclose(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		fput(vma->vm_file);
}

static const struct vma_ops kernel_vma_ops = {
	.vma_alloc = vma_kalloc,
	.vma_free = vma_kfree,
	.vma_open = vma_kopen,
	.vma_close = vma_kclose,
};

struct mm_struct *mm_alloc(void)
{
	struct mm_struct *mm = kzalloc(sizeof(*mm), GFP_KERNEL);

	if (!mm)
		return NULL;
	mm->pgd = pgd_alloc();		/* with PTI, a pair (mm/pti.c) */
	if (!mm->pgd) {
		kfree(mm);
		return NULL;
	}
	/* share the kernel half: same PDPTs, so later kernel mappings show up */
	memcpy(&mm->pgd[KERNEL_PGD_START], &init_mm.pgd[KERNEL_PGD_START],
	       (PTRS_PER_TABLE - KERNEL_PGD_START) * sizeof(pteval_t));
	vma_set_init(&mm->vmas, &kernel_vma_ops);
	mutex_init(&mm->mmap_lock);
	mm->mmap_base = VMA_MMAP_BASE;
	atomic_set(&mm->mm_users, 1);
	atomic_set(&mm->mm_count, 1);	/* held collectively by the users */
	mm->context_id = atomic64_inc_return(&next_context_id);
	mm->name = "user";
	__atomic_fetch_add(&nr_mms, 1, __ATOMIC_RELAXED);
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

	for_each_vma(&mm->vmas, vma)
		zap_page_range(mm, vma->vm_start, vma->vm_end);
	vma_set_destroy(&mm->vmas);	/* drops the file references */
	free_user_page_tables(mm);
	WARN_ON(mm->rss != 0);
	WARN_ON(mm->nr_ptes != 0);
}

void mmput(struct mm_struct *mm)
{
	if (atomic_dec_and_test(&mm->mm_users)) {
		BUG_ON(mm == &init_mm);
		exit_lazy_tlb_users(mm);	/* mm/tlb.c */
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
	pgd_free(mm->pgd);
	kfree(mm);
	__atomic_fetch_sub(&nr_mms, 1, __ATOMIC_RELAXED);	/* any CPU may drop the last */
}

u64 mm_live_count(void)
{
	return __atomic_load_n(&nr_mms, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------ page-table walks */

pteval_t vm_flags_to_prot(u64 vm_flags)
{
	pteval_t prot = _PAGE_PRESENT | _PAGE_USER;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return _PAGE_PROTNONE;		/* every access faults */
	if (vm_flags & VM_WRITE)
		prot |= _PAGE_RW;
	if (!(vm_flags & VM_EXEC))
		prot |= _PAGE_NX;
	return prot;
}

int walk_user_ptes(struct mm_struct *mm, u64 start, u64 end, pte_fn_t fn, void *arg)
{
	u64 va = start;

	while (va < end) {
		int level, err;
		pteval_t *pte = walk_page_table(mm, va, false, &level);

		if (!pte || level != 1) {
			/* a missing table (or, never in the user half, a large
			 * page): skip everything that entry covers */
			u64 size = 1UL << (PAGE_SHIFT + 9 * (level - 1)), next;

			if (pte)
				pr_err("walk_user_ptes: large page at %#lx skipped\n",
				       (unsigned long)va);
			next = ALIGN_DOWN(va, size) + size;
			if (next <= va)
				break;			/* wrapped past the top */
			va = next;
			continue;
		}
		/* the rest of this page table, without walking down again */
		do {
			err = fn(mm, pte, va, arg);
			if (err)
				return err;
			pte++;
			va += PAGE_SIZE;
		} while (va < end && pte_index(va) != 0);
	}
	return 0;
}

pteval_t *alloc_user_pte(struct mm_struct *mm, u64 va)
{
	int level;
	pteval_t *pte = walk_page_table(mm, va, true, &level);

	return pte && level == 1 ? pte : NULL;
}

static int zap_protnone_pte(struct mm_struct *mm, pteval_t *pte, u64 va, void *arg)
{
	pteval_t e = *pte;

	if (!pte_present(e) && (e & _PAGE_PROTNONE)) {
		set_pte(mm, pte, 0);	/* not present: no TLB holds it */
		put_page(phys_to_page(pte_phys(e)));
		mm->rss--;
	}
	return 0;
}

/*
 * PROT_NONE entries first (unmap_range does not know them), then the
 * present ones through unmap_range, which clears, flushes and frees.
 */
void zap_page_range(struct mm_struct *mm, u64 start, u64 end)
{
	walk_user_ptes(mm, start, end, zap_protnone_pte, NULL);
	unmap_range(mm, start, end);
}

static int change_pte(struct mm_struct *mm, pteval_t *pte, u64 va, void *arg)
{
	struct vm_area_struct *vma = arg;
	pteval_t e = *pte, new;

	if (!pte_has_page(e))
		return 0;		/* not faulted in yet: the VMA decides */
	new = pte_phys(e) | vma_page_prot(vma, phys_to_page(pte_phys(e))) |
	      (e & (_PAGE_ACCESSED | _PAGE_DIRTY));
	if (new != e)
		set_pte(mm, pte, new);
	return 0;
}

/* A permission reduction is exactly what a stale TLB entry would ignore:
 * flush before anyone can rely on the new protection. */
void change_protection(struct mm_struct *mm, struct vm_area_struct *vma,
		       u64 start, u64 end)
{
	walk_user_ptes(mm, start, end, change_pte, vma);
	flush_tlb_mm_range(mm, start, end);
}

/* -------------------------------------------------------------- helpers */

static u64 prot_to_vm_flags(unsigned long prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

/* the lowest address a mapping may start at, counting a stack's guard gap */
static u64 vm_start_gap(const struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return vma->vm_start;
	return vma->vm_start > STACK_GUARD_GAP ? vma->vm_start - STACK_GUARD_GAP : 0;
}

/* munmap with mmap_lock held; Linux's checks and errors */
static int __do_munmap(struct mm_struct *mm, u64 start, u64 len)
{
	u64 end;
	int err;

	if ((start & (PAGE_SIZE - 1)) || start > TASK_SIZE_MAX || len > TASK_SIZE_MAX - start)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return -EINVAL;
	end = start + len;
	err = vma_unmap(&mm->vmas, start, end);	/* may fail: nothing changed */
	if (err)
		return err;
	zap_page_range(mm, start, end);		/* clears, flushes, frees */
	return 0;
}

/* ------------------------------------------------------------------ mmap */

/* Linux's LEGACY_MAP_MASK: what MAP_SHARED_VALIDATE accepts for a file */
#define LEGACY_MAP_MASK	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | \
			 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED | \
			 MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | \
			 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB)

/*
 * Non-MAP_FIXED placement: the hint if it is free, else top-down from
 * mm->mmap_base (exec's to set; the VMA set's own copy is the search's
 * parameter).  MAP_32BIT searches below 2 GiB, as x86-64 Linux does.
 */
static u64 get_unmapped_area(struct mm_struct *mm, u64 hint, u64 len,
			     unsigned long flags)
{
	u64 addr;

	if (flags & MAP_32BIT) {
		mm->vmas.mmap_base = MIN(mm->mmap_base, 0x80000000UL);
		hint = 0;
	} else {
		mm->vmas.mmap_base = mm->mmap_base;
	}
	addr = vma_get_unmapped_area(&mm->vmas, len, hint);
	mm->vmas.mmap_base = mm->mmap_base;
	return addr;
}

/* The VMA flags for a file mapping, or -errno (Linux's do_mmap order). */
static long file_vm_flags(struct file *file, unsigned long prot, unsigned long flags,
			  u64 vm_flags)
{
	/* Linux's FMODE_READ/FMODE_WRITE: what the file was opened for */
	unsigned acc = file->f_flags & O_ACCMODE;
	bool readable = !(file->f_flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
	bool writable = !(file->f_flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);

	switch (flags & MAP_TYPE) {
	case MAP_SHARED_VALIDATE:
		if (flags & ~LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		/* fall through */
	case MAP_SHARED:
		if ((prot & PROT_WRITE) && !writable)
			return -EACCES;
		/* No file here can take writes back from memory: a writable
		 * shared file mapping is refused, and a read-only one may
		 * never become writable (VM_MAYWRITE off), exactly what Linux
		 * does for a read-only file.  Its pages are then private. */
		if (prot & PROT_WRITE)
			return -ENODEV;
		vm_flags = (vm_flags | VM_MAYSHARE) & ~VM_MAYWRITE;
		/* fall through */
	case MAP_PRIVATE:
		if (!readable)
			return -EACCES;
		if (!file->f_op || !file->f_op->read_kernel)
			return -ENODEV;			/* a tty, a pipe... */
		if (vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		return (long)vm_flags;
	default:
		return -EINVAL;
	}
}

/*
 * Shared anonymous memory gets every page now (see the top), before its
 * VMA exists: the range has no PTEs yet (no VMA, no PTE), and a failure
 * then only needs a zap.  Removing a half-populated VMA instead could need
 * a split - when the new VMA merged with neighbours on both sides - and
 * so fail for lack of memory itself.
 */
static int alloc_shared_anon(struct mm_struct *mm, u64 start, u64 end, u64 vm_flags)
{
	for (u64 va = start; va < end; va += PAGE_SIZE) {
		pteval_t *pte = alloc_user_pte(mm, va);
		struct page *page = pte ? alloc_pages(GFP_KERNEL | __GFP_ZERO, 0) : NULL;

		if (!page) {
			zap_page_range(mm, start, va);
			return -ENOMEM;
		}
		set_pte(mm, pte, page_to_phys(page) | vm_flags_to_prot(vm_flags));
		mm->rss++;
	}
	return 0;
}

/* mmap(2) with mmap_lock held (vm_mmap's comment in mm.h) */
static long do_mmap(struct mm_struct *mm, struct file *file, u64 addr, u64 len,
		    unsigned long prot, unsigned long flags, u64 off)
{
	u64 vm_flags, pgoff = off >> PAGE_SHIFT;
	long ret;
	int err;

	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		file = NULL;				/* the fd is ignored */
	else if (!file)
		return -EBADF;
	if (flags & MAP_HUGETLB)	/* vm.nr_hugepages = 0: nothing to give */
		return file ? -EINVAL : -ENOMEM;
	if (!len)
		return -EINVAL;
	if (!(flags & MAP_FIXED)) {		/* Linux's round_hint_to_min */
		addr = ALIGN_DOWN(addr, PAGE_SIZE);
		if (addr && addr < VMA_MMAP_MIN_ADDR)
			addr = VMA_MMAP_MIN_ADDR;
	}
	len = ALIGN_UP(len, PAGE_SIZE);
	if (!len)
		return -ENOMEM;				/* rounding wrapped */
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->vmas.count >= VMA_MAX_COUNT)
		return -ENOMEM;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;

	if (flags & MAP_FIXED) {
		if (len > TASK_SIZE_MAX || addr > TASK_SIZE_MAX - len)
			return -ENOMEM;
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (addr < VMA_MMAP_MIN_ADDR)
			return -EPERM;		/* as for a process without CAP_SYS_RAWIO */
	} else {
		addr = get_unmapped_area(mm, addr, len, flags);
		if (!addr)
			return -ENOMEM;
	}
	if ((flags & MAP_FIXED_NOREPLACE) &&
	    find_vma_intersection(&mm->vmas, addr, addr + len))
		return -EEXIST;

	vm_flags = prot_to_vm_flags(prot) | VM_MAY_FLAGS |
		   (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0);
	if (file) {
		/* Linux's file_mmap_ok: every byte's offset must fit a loff_t,
		 * so the fault path's (pgoff + n) << PAGE_SHIFT cannot wrap */
		if (pgoff > (0x7fffffffffffffffULL - len) >> PAGE_SHIFT)
			return -EOVERFLOW;
		ret = file_vm_flags(file, prot, flags, vm_flags);
		if (ret < 0)
			return ret;
		vm_flags = ret;
	} else {
		switch (flags & MAP_TYPE) {
		case MAP_SHARED:
			if (vm_flags & VM_GROWSDOWN)
				return -EINVAL;
			vm_flags |= VM_SHARED | VM_MAYSHARE;
			break;
		case MAP_PRIVATE:
			break;
		default:	/* MAP_SHARED_VALIDATE too: Linux only takes it for files */
			return -EINVAL;
		}
		vm_flags |= VM_ANON;
		pgoff = 0;
	}

	if (flags & MAP_FIXED) {
		err = __do_munmap(mm, addr, len);	/* MAP_FIXED replaces */
		if (err)
			return err;
	}
	/* Like Linux, a MAP_FIXED mapping that fails from here on has
	 * already removed what was there before. */
	if (vm_flags & VM_SHARED) {
		err = alloc_shared_anon(mm, addr, addr + len, vm_flags);
		if (err)
			return err;
	}
	err = vma_insert_file(&mm->vmas, addr, addr + len, vm_flags, file, pgoff);
	if (err) {
		zap_page_range(mm, addr, addr + len);	/* the shared pages, if any */
		return err;
	}
	if (!(vm_flags & VM_SHARED) &&
	    ((flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE || (flags & MAP_LOCKED)) &&
	    (vm_flags & VM_ACCESS_FLAGS)) {
		/* best effort, errors ignored, as in Linux; a private writable
		 * mapping gets its own pages now so no later write faults */
		populate_range(mm, addr, addr + len, vm_flags & VM_WRITE);
	}
	return (long)addr;
}

long vm_mmap(struct mm_struct *mm, struct file *file, u64 addr, u64 len,
	     unsigned long prot, unsigned long flags, u64 off)
{
	long ret;

	mutex_lock(&mm->mmap_lock);
	ret = do_mmap(mm, file, addr, len, prot, flags, off);
	mutex_unlock(&mm->mmap_lock);
	return ret;
}

long do_mmap_anon(struct mm_struct *mm, u64 addr, u64 len, int prot, bool fixed)
{
	return vm_mmap(mm, NULL, addr, len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | (fixed ? MAP_FIXED : 0), 0);
}

int do_munmap(struct mm_struct *mm, u64 addr, u64 len)
{
	int err;

	mutex_lock(&mm->mmap_lock);
	err = __do_munmap(mm, addr, len);
	mutex_unlock(&mm->mmap_lock);
	return err;
}

/* -------------------------------------------------------------- mprotect */

/*
 * All or nothing, unlike Linux, which changes the VMAs before a hole or a
 * refused one and then fails: here the whole range is checked first.
 */
static int __do_mprotect(struct mm_struct *mm, u64 start, u64 end, unsigned long prot,
			 unsigned long grows)
{
	u64 newflags = prot_to_vm_flags(prot), cur;
	struct vm_area_struct *vma = find_vma(&mm->vmas, start);
	int err;

	if (end > TASK_SIZE_MAX)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {	/* from the bottom of the stack VMA */
		if (!vma || vma->vm_start >= end)
			return -ENOMEM;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			return -EINVAL;
		start = vma->vm_start;
	}
	for (cur = start; vma && vma->vm_start < end; vma = vma_next(&mm->vmas, vma)) {
		if (vma->vm_start > cur)
			return -ENOMEM;			/* a hole */
		/* VM_MAYx sit 4 bits above VM_x: may this VMA get them? */
		if (newflags & ~(vma->vm_flags >> 4) & VM_ACCESS_FLAGS)
			return -EACCES;
		cur = vma->vm_end;
	}
	if (cur < end)
		return -ENOMEM;
	err = vma_protect(&mm->vmas, start, end, newflags);
	if (err)
		return err;
	/* every VMA in the range has the new bits now; the PTEs follow */
	for (vma = find_vma(&mm->vmas, start); vma && vma->vm_start < end;
	     vma = vma_next(&mm->vmas, vma))
		change_protection(mm, vma, MAX(vma->vm_start, start), MIN(vma->vm_end, end));
	return 0;
}

int do_mprotect(struct mm_struct *mm, u64 start, u64 len, unsigned long prot)
{
	unsigned long grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	u64 end;
	int err;

	prot &= ~grows;
	if (grows & PROT_GROWSUP)		/* no VM_GROWSUP on x86 */
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len)
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	mutex_lock(&mm->mmap_lock);
	err = __do_mprotect(mm, start, end, prot, grows);
	mutex_unlock(&mm->mmap_lock);
	return err;
}

/* --------------------------------------------------------------- madvise */

static bool madvise_behavior_valid(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
		return true;
	default:
		return false;
	}
}

/* One VMA's part [start, end) of the range. */
static int madvise_vma(struct mm_struct *mm, struct vm_area_struct *vma,
		       u64 start, u64 end, int advice)
{
	switch (advice) {
	case MADV_FREE:	/* private anonymous only; dropping now is a valid "lazily" */
		if ((vma->vm_flags & VM_SHARED) || vma->vm_file)
			return -EINVAL;
		/* fall through */
	case MADV_DONTNEED:
		/* private pages go: the next touch finds zeros, or the file's
		 * data again.  Shared anonymous pages hold the data itself
		 * (no shmem behind them) and stay, which looks the same. */
		if (!(vma->vm_flags & VM_SHARED))
			zap_page_range(mm, start, end);
		return 0;
	default:			/* hints with nothing to act on here */
		return 0;
	}
}

int do_madvise(struct mm_struct *mm, u64 start, u64 len_in, int advice)
{
	struct vm_area_struct *vma;
	u64 len, end, cur;
	int err = 0, ret;

	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	len = ALIGN_UP(len_in, PAGE_SIZE);
	if (len_in && !len)
		return -EINVAL;			/* rounded up from "-small" */
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	mutex_lock(&mm->mmap_lock);
	/* like Linux: act on what is mapped, report a hole as -ENOMEM */
	for (cur = start, vma = find_vma(&mm->vmas, start); vma && vma->vm_start < end;
	     vma = vma_next(&mm->vmas, vma)) {
		if (vma->vm_start > cur)
			err = -ENOMEM;
		cur = MAX(cur, vma->vm_start);
		ret = madvise_vma(mm, vma, cur, MIN(end, vma->vm_end), advice);
		if (ret) {
			err = ret;
			goto out;
		}
		cur = MIN(end, vma->vm_end);
	}
	if (cur < end)
		err = -ENOMEM;
out:
	mutex_unlock(&mm->mmap_lock);
	return err;
}

/* ------------------------------------------------------------------- brk */

/*
 * Linux's brk: the heap is [start_brk, PAGE_ALIGN(brk)), an anonymous
 * read-write VMA (which may merge with the bss below it, as in Linux).
 * The result is the new break, or the old one when the request is
 * refused: below start_brk (brk(0) asks for the current break), into
 * another mapping or its guard page, or out of memory.  Shrinking always
 * works and unmaps the freed pages, so growing again finds zeros.
 */
u64 do_brk(struct mm_struct *mm, u64 brk)
{
	u64 newbrk, oldbrk, ret;
	struct vm_area_struct *next;

	mutex_lock(&mm->mmap_lock);
	ret = mm->brk;
	if (brk < mm->start_brk || brk > TASK_SIZE_MAX || mm->start_brk < VMA_MMAP_MIN_ADDR)
		goto out;
	newbrk = ALIGN_UP(brk, PAGE_SIZE);
	oldbrk = ALIGN_UP(mm->brk, PAGE_SIZE);
	if (newbrk == oldbrk)
		goto set;
	if (brk <= mm->brk) {			/* shrink */
		if (__do_munmap(mm, newbrk, oldbrk - newbrk))
			goto out;
		goto set;
	}
	/* grow: free up to one page below the next mapping (its guard gap) */
	next = find_vma(&mm->vmas, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		goto out;
	if (vma_insert(&mm->vmas, oldbrk, newbrk,
		       VM_READ | VM_WRITE | VM_MAY_FLAGS | VM_ANON))
		goto out;
set:
	mm->brk = brk;
	ret = brk;
out:
	mutex_unlock(&mm->mmap_lock);
	return ret;
}

/* ------------------------------------------------------------------ exec */

int setup_stack_vma(struct mm_struct *mm, u64 top, u64 size)
{
	int err;

	if ((top | size) & (PAGE_SIZE - 1) || !size || top > TASK_SIZE_MAX ||
	    size > STACK_RLIMIT || top < VMA_MMAP_MIN_ADDR + size)
		return -EINVAL;
	mutex_lock(&mm->mmap_lock);
	err = vma_insert(&mm->vmas, top - size, top,
			 VM_READ | VM_WRITE | VM_MAY_FLAGS | VM_GROWSDOWN | VM_ANON);
	if (!err)
		mm->start_stack = top;
	mutex_unlock(&mm->mmap_lock);
	return err;
}
