/*
 * mm_user_test.c - in-kernel tests of what ring 3 will see of the memory
 * system: fork's copy-on-write (dup_mm), shared anonymous memory, brk,
 * mmap placement and flags, mprotect, madvise, file mappings, the fault
 * results, and exec's helpers (copy_to_mm, setup_stack_vma).
 *
 * The system calls' bodies are called directly (vm_mmap, do_brk, ...) on
 * an mm the test builds; user memory is touched with copy_*_user after
 * use_mm(), which takes the real fault path (do_page_fault -> mmap_lock
 * -> handle_mm_fault), or with copy_to_mm/copy_from_mm.
 *
 * Every test compares mem_snapshot() before and after.  The out-of-memory
 * tests hold every free frame (a "hog"), give them back one at a time and
 * retry the operation at each step: it must either succeed or fail with
 * everything it took given back, at every allocation point it has.
 */
#include "kernel/ktest.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/errno.h"
#include "kernel/traps.h"
#include "kernel/file.h"
#include "kernel/fcntl.h"
#include "kernel/err.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/uaccess.h"
#include "mm/leakcheck.h"

#define A	0x400000UL		/* test addresses */
#define B	0x40000000UL		/* another PML4/PDPT/PD: more tables */
#define C	0x8000000000UL		/* another PML4 entry */
#define RW	(PROT_READ | PROT_WRITE)
#define ANON	(MAP_PRIVATE | MAP_ANONYMOUS)
#define SHANON	(MAP_SHARED | MAP_ANONYMOUS)

/* ------------------------------------------------------------- helpers */

static bool uwrite(struct mm_struct *mm, u64 addr, const void *buf, size_t n)
{
	unsigned long left;

	use_mm(mm);
	left = copy_to_user((void __user *)addr, buf, n);
	unuse_mm(mm);
	return left == 0;
}

static bool uread(struct mm_struct *mm, u64 addr, void *buf, size_t n)
{
	unsigned long left;

	use_mm(mm);
	left = copy_from_user(buf, (const void __user *)addr, n);
	unuse_mm(mm);
	return left == 0;
}

/* does the page at addr read as all zeros? */
static bool uzero(struct mm_struct *mm, u64 addr)
{
	static u8 buf[PAGE_SIZE];

	if (!uread(mm, addr, buf, PAGE_SIZE))
		return false;
	for (int i = 0; i < PAGE_SIZE; i++)
		if (buf[i])
			return false;
	return true;
}

/* the PTE flags at va (0 if nothing is present) and the frame's refcount */
static pteval_t pte_flags(struct mm_struct *mm, u64 va)
{
	pteval_t flags;

	return follow_pte(mm, va, NULL, &flags) ? 0 : flags;
}

static int refcount_at(struct mm_struct *mm, u64 va)
{
	phys_addr_t pa;

	return follow_pte(mm, va, &pa, NULL) ? -1 : page_ref_count(phys_to_page(pa));
}

static phys_addr_t frame_at(struct mm_struct *mm, u64 va)
{
	phys_addr_t pa;

	return follow_pte(mm, va, &pa, NULL) ? 0 : ALIGN_DOWN(pa, PAGE_SIZE);
}

static enum vm_fault_result fault_at(struct mm_struct *mm, u64 va, u64 error_code)
{
	enum vm_fault_result r;

	mutex_lock(&mm->mmap_lock);
	r = handle_mm_fault(mm, va, error_code);
	mutex_unlock(&mm->mmap_lock);
	return r;
}

/* Every free frame, chained through their first words. */
struct hog {
	void *head;
	u64 n;
};

static void hog_all(struct hog *h)
{
	void *p;

	h->head = NULL;
	h->n = 0;
	slab_shrink_all();
	while ((p = get_free_pages(GFP_KERNEL, 0)) != NULL) {
		*(void **)p = h->head;
		h->head = p;
		h->n++;
	}
}

static void hog_release(struct hog *h, u64 n)
{
	while (n-- && h->head) {
		void *p = h->head;

		h->head = *(void **)p;
		free_page(p);
		h->n--;
	}
}

/* free frames and heap objects right now, with the slab caches emptied */
static void counters(u64 *pages, u64 *objects)
{
	slab_shrink_all();
	*pages = nr_free_pages();
	*objects = slab_get_stats().objects;
}

/* ----------------------------------------------------------------- fork */

KTEST(mm_fork_cow_isolation)
{
	struct mem_snapshot a, b;
	struct mm_struct *parent, *child;
	struct fault_stats fs;
	char buf[16] = { 0 };
	phys_addr_t pa;
	s64 gen;

	mem_snapshot(&a);
	parent = mm_alloc();
	KASSERT(parent != NULL);
	KEXPECT_EQ(vm_mmap(parent, NULL, A, 2 * PAGE_SIZE, RW, ANON | MAP_FIXED, 0), (long)A);
	KEXPECT_EQ(vm_mmap(parent, NULL, B, PAGE_SIZE, PROT_READ, ANON | MAP_FIXED, 0), (long)B);
	KEXPECT(uwrite(parent, A, "parent", 7));
	KEXPECT(uwrite(parent, A + PAGE_SIZE, "second", 7));
	KEXPECT(uread(parent, B, buf, 4));		/* a read-only page, faulted in */
	KEXPECT_EQ(parent->rss, 3);
	pa = frame_at(parent, A);
	gen = atomic64_read(&parent->tlb_gen);

	child = dup_mm(parent);
	KASSERT(child != NULL);
	KEXPECT(vma_set_check(&child->vmas));
	KEXPECT_EQ(child->vmas.count, parent->vmas.count);
	KEXPECT_EQ(child->rss, 3);
	/* one frame, two PTEs, both read-only; the parent's TLB owed a flush */
	KEXPECT_EQ(frame_at(child, A), pa);
	KEXPECT_EQ(refcount_at(parent, A), 2);
	KEXPECT_EQ(refcount_at(parent, B), 2);
	KEXPECT(!(pte_flags(parent, A) & _PAGE_RW));
	KEXPECT(!(pte_flags(child, A) & _PAGE_RW));
	KEXPECT(atomic64_read(&parent->tlb_gen) > gen);

	/* the child writes: it gets a copy, the parent keeps the old bytes */
	fs = fault_stats;
	KEXPECT(uwrite(child, A, "child", 6));
	KEXPECT_EQ(fault_stats.cow_copy, fs.cow_copy + 1);
	KEXPECT(frame_at(child, A) != pa);
	KEXPECT(pte_flags(child, A) & _PAGE_RW);
	KEXPECT_EQ(refcount_at(parent, A), 1);
	KEXPECT_EQ(refcount_at(child, A), 1);
	KEXPECT(uread(parent, A, buf, 7));
	KEXPECT(!strcmp(buf, "parent"));
	KEXPECT(uread(child, A, buf, 6));
	KEXPECT(!strcmp(buf, "child"));

	/* the parent writes the page nobody shares any more: no copy */
	KEXPECT(uwrite(parent, A, "PARENT", 7));
	KEXPECT_EQ(fault_stats.cow_copy, fs.cow_copy + 1);
	KEXPECT_EQ(fault_stats.cow_reuse, fs.cow_reuse + 1);
	KEXPECT_EQ(frame_at(parent, A), pa);

	/* the second page: the parent writes first this time */
	KEXPECT(uwrite(parent, A + PAGE_SIZE, "p2", 3));
	KEXPECT(uread(child, A + PAGE_SIZE, buf, 7));
	KEXPECT(!strcmp(buf, "second"));

	/* the read-only page stays shared; a write is refused in both */
	KEXPECT_EQ(fault_at(child, B, X86_PF_WRITE | X86_PF_USER | X86_PF_PROT),
		   VM_FAULT_ACCERR);
	KEXPECT_EQ(refcount_at(child, B), 2);

	mmput(child);
	KEXPECT_EQ(refcount_at(parent, B), 1);
	KEXPECT_EQ(refcount_at(parent, A + PAGE_SIZE), 1);
	mmput(parent);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/*
 * dup_mm while the parent is loaded on this CPU, its TLB holding a
 * writable entry for the page: the write-protect must be flushed, or the
 * parent's next write goes straight into the frame the child now shares
 * (QEMU keeps translations until flushed, so the bug would show here).
 */
KTEST(mm_fork_flushes_parent_tlb)
{
	struct mm_struct *parent, *child;
	char buf[8] = { 0 };

	parent = mm_alloc();
	KASSERT(parent != NULL);
	KEXPECT_EQ(vm_mmap(parent, NULL, A, PAGE_SIZE, RW, ANON | MAP_FIXED, 0), (long)A);
	use_mm(parent);
	KEXPECT(copy_to_user((void __user *)A, "before", 7) == 0);	/* TLB: writable */
	child = dup_mm(parent);
	KEXPECT(child != NULL);
	KEXPECT(copy_to_user((void __user *)A, "after", 6) == 0);	/* must fault: COW */
	unuse_mm(parent);
	if (child) {
		KEXPECT(uread(child, A, buf, 7));
		if (strcmp(buf, "before"))
			ktest_fail(t, __FILE__, __LINE__,
				   "stale TLB entry: the child sees the parent's \"%s\"", buf);
		mmput(child);
	}
	mmput(parent);
}

KTEST(mm_fork_shared_anon_stays_shared)
{
	struct mem_snapshot a, b;
	struct mm_struct *parent, *child;
	char buf[16] = { 0 };
	long addr;

	mem_snapshot(&a);
	parent = mm_alloc();
	KASSERT(parent != NULL);
	addr = vm_mmap(parent, NULL, 0, 3 * PAGE_SIZE, RW, SHANON, 0);
	KASSERT(addr > 0);
	KEXPECT_EQ(parent->rss, 3);		/* populated at mmap time */
	KEXPECT(find_vma(&parent->vmas, addr)->vm_flags & VM_SHARED);
	child = dup_mm(parent);
	KASSERT(child != NULL);
	KEXPECT_EQ(frame_at(child, addr + PAGE_SIZE), frame_at(parent, addr + PAGE_SIZE));
	KEXPECT(pte_flags(parent, addr) & _PAGE_RW);	/* not write-protected */
	KEXPECT(pte_flags(child, addr) & _PAGE_RW);
	KEXPECT_EQ(refcount_at(parent, addr), 2);

	/* both ways, even on a page nobody had touched before the fork */
	KEXPECT(uwrite(child, addr + 2 * PAGE_SIZE, "from child", 11));
	KEXPECT(uread(parent, addr + 2 * PAGE_SIZE, buf, 11));
	KEXPECT(!strcmp(buf, "from child"));
	KEXPECT(uwrite(parent, addr, "from parent", 12));
	KEXPECT(uread(child, addr, buf, 12));
	KEXPECT(!strcmp(buf, "from parent"));

	/* DONTNEED keeps shared data (Linux's shmem would) */
	KEXPECT_EQ(do_madvise(child, addr, PAGE_SIZE, MADV_DONTNEED), 0);
	KEXPECT(uread(child, addr, buf, 12));
	KEXPECT(!strcmp(buf, "from parent"));

	/* PROT_NONE and back keeps the sharing */
	KEXPECT_EQ(do_mprotect(child, addr, PAGE_SIZE, PROT_NONE), 0);
	KEXPECT(!uread(child, addr, buf, 1));
	KEXPECT_EQ(do_mprotect(child, addr, PAGE_SIZE, RW), 0);
	KEXPECT(uwrite(child, addr, "again", 6));
	KEXPECT(uread(parent, addr, buf, 6));
	KEXPECT(!strcmp(buf, "again"));

	/* one side unmapping leaves the other's view alone */
	KEXPECT_EQ(do_munmap(parent, addr, 3 * PAGE_SIZE), 0);
	KEXPECT_EQ(refcount_at(child, addr), 1);
	KEXPECT(uread(child, addr + 2 * PAGE_SIZE, buf, 11));
	KEXPECT(!strcmp(buf, "from child"));
	mmput(parent);
	mmput(child);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* A parent with VMAs in three PML4 slots, pages in all, one PROT_NONE page. */
static struct mm_struct *fork_parent(void)
{
	struct mm_struct *mm = mm_alloc();

	if (!mm)
		return NULL;
	if (vm_mmap(mm, NULL, A, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, 0) != (long)A ||
	    vm_mmap(mm, NULL, B, 2 * PAGE_SIZE, RW, SHANON | MAP_FIXED, 0) != (long)B ||
	    vm_mmap(mm, NULL, C, PAGE_SIZE, RW, ANON | MAP_FIXED, 0) != (long)C ||
	    !uwrite(mm, A, "a", 2) || !uwrite(mm, A + 3 * PAGE_SIZE, "d", 2) ||
	    !uwrite(mm, C, "c", 2) || do_mprotect(mm, A + 3 * PAGE_SIZE, PAGE_SIZE, 0)) {
		mmput(mm);
		return NULL;
	}
	return mm;
}

KTEST(mm_fork_out_of_memory_frees_everything)
{
	struct mem_snapshot a, b;
	struct mm_struct *parent, *child = NULL;
	struct hog h;
	u64 pages, objects, pages2, objects2;
	int failures = 0;
	char buf[4];

	mem_snapshot(&a);
	parent = fork_parent();
	KASSERT(parent != NULL);
	hog_all(&h);
	for (int n = 0; n < 64 && !child; n++) {
		counters(&pages, &objects);
		child = dup_mm(parent);
		if (child) {
			KEXPECT(uread(child, A + 3 * PAGE_SIZE, buf, 1) == false);
			mmput(child);
		} else {
			failures++;
		}
		/* the parent is intact either way */
		KEXPECT_EQ(refcount_at(parent, A), 1);
		KEXPECT_EQ(refcount_at(parent, B), 1);
		KEXPECT_EQ(parent->rss, 5);
		counters(&pages2, &objects2);
		KEXPECT_EQ(pages2, pages);
		KEXPECT_EQ(objects2, objects);
		hog_release(&h, 1);
	}
	hog_release(&h, h.n);
	KEXPECT(child != NULL);
	KEXPECT(failures > 3);		/* mm, pgd, VMAs, tables... */
	/* write-protected by the failed attempts: one fault each, no copy */
	KEXPECT(uwrite(parent, A, "A", 2));
	KEXPECT(uread(parent, C, buf, 2));
	KEXPECT(!strcmp(buf, "c"));
	KEXPECT_EQ(do_mprotect(parent, A + 3 * PAGE_SIZE, PAGE_SIZE, PROT_READ), 0);
	KEXPECT(uread(parent, A + 3 * PAGE_SIZE, buf, 2));
	KEXPECT(!strcmp(buf, "d"));		/* PROT_NONE kept the data */
	mmput(parent);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* ------------------------------------------------------------------ brk */

KTEST(mm_brk_grow_shrink_fail)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	const u64 base = 0x600000;
	char buf[8];

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(do_brk(mm, 0x700000), 0);	/* no heap set up: refused */
	mm->start_brk = mm->brk = base;		/* as exec leaves it */
	KEXPECT_EQ(do_brk(mm, 0), base);	/* brk(0): where it is */
	KEXPECT_EQ(do_brk(mm, base - 1), base);	/* below start_brk: refused */
	KEXPECT_EQ(do_brk(mm, base + 5000), base + 5000);	/* not page-aligned */
	KEXPECT_EQ(mm->brk, base + 5000);
	KEXPECT_EQ(mm->vmas.count, 1);
	KEXPECT_EQ(find_vma(&mm->vmas, base)->vm_end, base + 2 * PAGE_SIZE);
	KEXPECT(uwrite(mm, base + 2 * PAGE_SIZE - 4, "top", 4));
	KEXPECT(!uwrite(mm, base + 2 * PAGE_SIZE, "x", 1));	/* past the heap */
	KEXPECT(uwrite(mm, base, "bottom", 7));
	/* shrink: the top page goes; growing again finds it zeroed */
	KEXPECT_EQ(do_brk(mm, base + 16), base + 16);
	KEXPECT_EQ(mm->rss, 1);
	KEXPECT_EQ(do_brk(mm, base + 2 * PAGE_SIZE), base + 2 * PAGE_SIZE);
	KEXPECT(uzero(mm, base + PAGE_SIZE));
	KEXPECT(uread(mm, base, buf, 7));
	KEXPECT(!strcmp(buf, "bottom"));	/* the first page stayed */
	/* another mapping above: brk stops one guard page short of it */
	KEXPECT_EQ(vm_mmap(mm, NULL, base + 16 * PAGE_SIZE, PAGE_SIZE, RW, ANON | MAP_FIXED, 0),
		   (long)(base + 16 * PAGE_SIZE));
	KEXPECT_EQ(do_brk(mm, base + 16 * PAGE_SIZE), base + 2 * PAGE_SIZE);
	KEXPECT_EQ(do_brk(mm, base + 15 * PAGE_SIZE + 1), base + 2 * PAGE_SIZE);
	KEXPECT_EQ(do_brk(mm, base + 15 * PAGE_SIZE), base + 15 * PAGE_SIZE);
	KEXPECT_EQ(do_brk(mm, TASK_SIZE_MAX + PAGE_SIZE), base + 15 * PAGE_SIZE);
	KEXPECT_EQ(do_brk(mm, ~0UL), base + 15 * PAGE_SIZE);
	/* back to the start: the heap VMA is gone entirely */
	KEXPECT_EQ(do_brk(mm, base), base);
	KEXPECT(find_vma_intersection(&mm->vmas, base, base + 15 * PAGE_SIZE) == NULL);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* ----------------------------------------------------------------- mmap */

KTEST(mm_mmap_placement_and_flags)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	long p, q;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	/* no hint: top-down from mmap_base */
	p = vm_mmap(mm, NULL, 0, 2 * PAGE_SIZE, RW, ANON, 0);
	KEXPECT_EQ(p, (long)(mm->mmap_base - 2 * PAGE_SIZE));
	q = vm_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ, ANON, 0);
	KEXPECT_EQ(q, p - PAGE_SIZE);
	/* a free hint is honoured, rounded down; a taken one is not */
	KEXPECT_EQ(vm_mmap(mm, NULL, A + 123, PAGE_SIZE, RW, ANON, 0), (long)A);
	p = vm_mmap(mm, NULL, A, PAGE_SIZE, RW, ANON, 0);
	KEXPECT(p > 0 && p != (long)A);
	/* a hint below mmap_min_addr is raised to it */
	KEXPECT_EQ(vm_mmap(mm, NULL, 0x1000, PAGE_SIZE, RW, ANON, 0), (long)VMA_MMAP_MIN_ADDR);
	/* MAP_32BIT: below 2 GiB */
	p = vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, ANON | MAP_32BIT, 0);
	KEXPECT(p > 0 && p + PAGE_SIZE <= 0x80000000L);
	/* accepted, no effect */
	KEXPECT(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, ANON | MAP_STACK | MAP_NORESERVE |
			MAP_DENYWRITE | MAP_EXECUTABLE | MAP_UNINITIALIZED, 0) > 0);
	KEXPECT(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW | PROT_SEM, ANON, 0) > 0);
	/* MAP_POPULATE prefaults, with pages of its own */
	p = vm_mmap(mm, NULL, 0, 3 * PAGE_SIZE, RW, ANON | MAP_POPULATE, 0);
	KEXPECT(p > 0);
	KEXPECT(pte_flags(mm, p + 2 * PAGE_SIZE) & _PAGE_RW);
	KEXPECT_EQ(mm->rss, 3);
	/* the fd is ignored with MAP_ANONYMOUS; the offset still checked */
	KEXPECT(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, ANON, 0x2000) > 0);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(mm_mmap_fixed_and_noreplace)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	char buf[8];

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(vm_mmap(mm, NULL, A, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, 0), (long)A);
	KEXPECT(uwrite(mm, A + PAGE_SIZE, "old", 4));
	KEXPECT(uwrite(mm, A + 2 * PAGE_SIZE, "keep", 5));
	/* MAP_FIXED replaces: the middle page is new and zero */
	KEXPECT_EQ(vm_mmap(mm, NULL, A + PAGE_SIZE, PAGE_SIZE, PROT_READ, ANON | MAP_FIXED, 0),
		   (long)(A + PAGE_SIZE));
	KEXPECT(uzero(mm, A + PAGE_SIZE));
	KEXPECT_EQ(mm->vmas.count, 3);
	KEXPECT(uread(mm, A + 2 * PAGE_SIZE, buf, 5));
	KEXPECT(!strcmp(buf, "keep"));
	KEXPECT_EQ(mm->rss, 2);
	/* MAP_FIXED_NOREPLACE: only into a hole */
	KEXPECT_EQ(vm_mmap(mm, NULL, A + 3 * PAGE_SIZE, 2 * PAGE_SIZE, RW,
			   ANON | MAP_FIXED_NOREPLACE, 0), -EEXIST);
	KEXPECT_EQ(vm_mmap(mm, NULL, A + 4 * PAGE_SIZE, PAGE_SIZE, RW,
			   ANON | MAP_FIXED_NOREPLACE, 0), (long)(A + 4 * PAGE_SIZE));
	KEXPECT(uread(mm, A + 2 * PAGE_SIZE, buf, 5));	/* untouched */
	/* the errors, in Linux's order */
	KEXPECT_EQ(vm_mmap(mm, NULL, A + 1, PAGE_SIZE, RW, ANON | MAP_FIXED, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0x1000, PAGE_SIZE, RW, ANON | MAP_FIXED, 0), -EPERM);
	KEXPECT_EQ(vm_mmap(mm, NULL, TASK_SIZE_MAX, PAGE_SIZE, RW, ANON | MAP_FIXED, 0), -ENOMEM);
	KEXPECT_EQ(vm_mmap(mm, NULL, TASK_SIZE_MAX - PAGE_SIZE, 2 * PAGE_SIZE, RW,
			   ANON | MAP_FIXED, 0), -ENOMEM);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, 0, RW, ANON, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, ~0UL, RW, ANON, 0), -ENOMEM);	/* wraps */
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, TASK_SIZE_MAX, RW, ANON, 0), -ENOMEM);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_ANONYMOUS, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_ANONYMOUS | 0xf, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, 0),
		   -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, 0x10, ANON, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW | (1UL << 40), ANON, 0), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, ANON, 100), -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, MAP_PRIVATE, 0), -EBADF);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, ANON | MAP_HUGETLB, 0), -ENOMEM);
	KEXPECT_EQ(vm_mmap(mm, NULL, 0, PAGE_SIZE, RW, SHANON | MAP_GROWSDOWN, 0), -EINVAL);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(mm_mmap_out_of_memory_frees_everything)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	struct hog h;
	u64 pages, objects, pages2, objects2, ptes, rss;
	long ret = -ENOMEM;
	int n, failures = 0;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	hog_all(&h);
	/* shared anonymous memory must get all its pages, or none */
	for (n = 0; n < 64 && ret < 0; n++) {
		counters(&pages, &objects);
		ptes = mm->nr_ptes;
		ret = vm_mmap(mm, NULL, B, 8 * PAGE_SIZE, RW, SHANON | MAP_FIXED, 0);
		if (ret < 0) {
			KEXPECT_EQ(ret, -ENOMEM);
			KEXPECT_EQ(mm->vmas.count, 0);
			KEXPECT_EQ(mm->rss, 0);
			failures++;
			/* all given back but the page tables made on the way,
			 * which belong to the mm until it goes */
			counters(&pages2, &objects2);
			KEXPECT_EQ(pages2 + (mm->nr_ptes - ptes), pages);
			KEXPECT_EQ(objects2, objects);
		} else {
			KEXPECT_EQ(mm->rss, 8);
		}
		hog_release(&h, 1);
	}
	hog_release(&h, h.n);
	KEXPECT(ret == (long)B);
	KEXPECT(failures >= 8);
	/* filling the gap between two shared mappings makes one VMA of the
	 * three; failing for lack of memory leaves the two as they were */
	KEXPECT_EQ(vm_mmap(mm, NULL, C, PAGE_SIZE, RW, SHANON | MAP_FIXED, 0), (long)C);
	KEXPECT_EQ(vm_mmap(mm, NULL, C + 2 * PAGE_SIZE, PAGE_SIZE, RW, SHANON | MAP_FIXED, 0),
		   (long)(C + 2 * PAGE_SIZE));
	hog_all(&h);
	KEXPECT_EQ(vm_mmap(mm, NULL, C + PAGE_SIZE, PAGE_SIZE, RW, SHANON | MAP_FIXED, 0),
		   -ENOMEM);
	hog_release(&h, h.n);
	KEXPECT(find_vma_intersection(&mm->vmas, C + PAGE_SIZE, C + 2 * PAGE_SIZE) == NULL);
	KEXPECT_EQ(mm->rss, 8 + 2);
	KEXPECT_EQ(vm_mmap(mm, NULL, C + PAGE_SIZE, PAGE_SIZE, RW, SHANON | MAP_FIXED, 0),
		   (long)(C + PAGE_SIZE));
	KEXPECT_EQ(find_vma(&mm->vmas, C)->vm_end, C + 3 * PAGE_SIZE);
	KEXPECT_EQ(mm->rss, 8 + 3);
	/* MAP_POPULATE short of memory: the mapping is made, the rest lazily
	 * (a few frames left for the VMA's slab and the page tables) */
	rss = mm->rss;
	hog_all(&h);
	hog_release(&h, 4);
	KEXPECT_EQ(vm_mmap(mm, NULL, A, 16 * PAGE_SIZE, RW, ANON | MAP_FIXED | MAP_POPULATE, 0),
		   (long)A);
	KEXPECT(mm->rss - rss < 4);
	hog_release(&h, h.n);
	KEXPECT(uwrite(mm, A + 3 * PAGE_SIZE, "late", 5));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* ------------------------------------------------------------- mprotect */

KTEST(mm_mprotect_splits_and_faults)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	char buf[8];
	s64 gen;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(vm_mmap(mm, NULL, A, 4 * PAGE_SIZE, RW, ANON | MAP_FIXED, 0), (long)A);
	for (int i = 0; i < 4; i++)
		KEXPECT(uwrite(mm, A + i * PAGE_SIZE, "data", 5));
	/* the middle two read-only: three VMAs, read-only PTEs, writes refused */
	gen = atomic64_read(&mm->tlb_gen);
	KEXPECT_EQ(do_mprotect(mm, A + PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), 0);
	KEXPECT_EQ(mm->vmas.count, 3);
	KEXPECT(atomic64_read(&mm->tlb_gen) > gen);
	KEXPECT(!(pte_flags(mm, A + PAGE_SIZE) & _PAGE_RW));
	KEXPECT(pte_flags(mm, A) & _PAGE_RW);
	KEXPECT(!uwrite(mm, A + 2 * PAGE_SIZE, "x", 1));
	KEXPECT(uread(mm, A + 2 * PAGE_SIZE, buf, 5));
	KEXPECT_EQ(fault_at(mm, A + PAGE_SIZE, X86_PF_WRITE | X86_PF_PROT | X86_PF_USER),
		   VM_FAULT_ACCERR);
	/* PROT_NONE keeps the frame, but nothing can touch it */
	KEXPECT_EQ(do_mprotect(mm, A, PAGE_SIZE, PROT_NONE), 0);
	KEXPECT_EQ(pte_flags(mm, A), 0);		/* not present */
	KEXPECT_EQ(mm->rss, 4);
	KEXPECT(!uread(mm, A, buf, 1));
	KEXPECT_EQ(fault_at(mm, A, X86_PF_USER), VM_FAULT_ACCERR);
	KEXPECT_EQ(fault_at(mm, A + 4 * PAGE_SIZE, X86_PF_USER), VM_FAULT_MAPERR);
	/* and it comes back with its data */
	KEXPECT_EQ(do_mprotect(mm, A, 4 * PAGE_SIZE, RW), 0);
	KEXPECT_EQ(mm->vmas.count, 1);			/* merged again */
	KEXPECT(uread(mm, A, buf, 5));
	KEXPECT(!strcmp(buf, "data"));
	KEXPECT(uwrite(mm, A + PAGE_SIZE, "new", 4));
	/* PROT_EXEC: the NX bit goes */
	KEXPECT_EQ(do_mprotect(mm, A, PAGE_SIZE, PROT_READ | PROT_EXEC), 0);
	KEXPECT(!(pte_flags(mm, A) & _PAGE_NX));
	/* errors */
	KEXPECT_EQ(do_mprotect(mm, A + 1, PAGE_SIZE, PROT_READ), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, A + 1, 0, PROT_READ), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, A, 0, 0x80), 0);	/* len 0 wins over prot */
	KEXPECT_EQ(do_mprotect(mm, A, PAGE_SIZE, 0x80), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, A, PAGE_SIZE, PROT_READ | PROT_GROWSUP), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, A, PAGE_SIZE, PROT_READ | PROT_GROWSDOWN), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, A, 5 * PAGE_SIZE, PROT_READ), -ENOMEM);	/* hole */
	KEXPECT_EQ(do_mprotect(mm, A - PAGE_SIZE, 2 * PAGE_SIZE, PROT_READ), -ENOMEM);
	KEXPECT_EQ(do_mprotect(mm, TASK_SIZE_MAX - PAGE_SIZE, 4 * PAGE_SIZE, PROT_READ),
		   -ENOMEM);
	KEXPECT_EQ(do_mprotect(mm, A, ~0UL, PROT_READ), -ENOMEM);	/* wraps */
	KEXPECT_EQ(mm->vmas.count, 2);			/* nothing half-done */
	/* munmap of a PROT_NONE range frees its frames (the snapshot checks) */
	KEXPECT_EQ(do_mprotect(mm, A + 2 * PAGE_SIZE, 2 * PAGE_SIZE, PROT_NONE), 0);
	KEXPECT_EQ(do_munmap(mm, A + 3 * PAGE_SIZE, PAGE_SIZE), 0);
	KEXPECT_EQ(mm->rss, 3);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* -------------------------------------------------------------- madvise */

KTEST(mm_madvise_dontneed_zero_fills)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	char buf[8];

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(vm_mmap(mm, NULL, A, 3 * PAGE_SIZE, RW, ANON | MAP_FIXED, 0), (long)A);
	for (int i = 0; i < 3; i++)
		KEXPECT(uwrite(mm, A + i * PAGE_SIZE, "full", 5));
	KEXPECT_EQ(do_madvise(mm, A + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), 0);
	KEXPECT_EQ(mm->rss, 2);
	KEXPECT(uzero(mm, A + PAGE_SIZE));
	KEXPECT(uread(mm, A + 2 * PAGE_SIZE, buf, 5));
	KEXPECT(!strcmp(buf, "full"));
	KEXPECT_EQ(do_madvise(mm, A, 1, MADV_FREE), 0);	/* rounded up to a page */
	KEXPECT(uzero(mm, A));
	/* hints */
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, MADV_NORMAL), 0);
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, MADV_RANDOM), 0);
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, MADV_SEQUENTIAL), 0);
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, MADV_WILLNEED), 0);
	/* errors */
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, 999), -EINVAL);
	KEXPECT_EQ(do_madvise(mm, A, PAGE_SIZE, -1), -EINVAL);
	KEXPECT_EQ(do_madvise(mm, A + 1, PAGE_SIZE, MADV_DONTNEED), -EINVAL);
	KEXPECT_EQ(do_madvise(mm, A, 0, MADV_DONTNEED), 0);
	KEXPECT_EQ(do_madvise(mm, A, -1UL, MADV_DONTNEED), -EINVAL);
	KEXPECT_EQ(do_madvise(mm, B, PAGE_SIZE, MADV_DONTNEED), -ENOMEM);
	/* a hole in the range: the mapped part is still dropped */
	KEXPECT(uwrite(mm, A + 2 * PAGE_SIZE, "full", 5));
	KEXPECT_EQ(do_madvise(mm, A + 2 * PAGE_SIZE, 2 * PAGE_SIZE, MADV_DONTNEED), -ENOMEM);
	KEXPECT(uzero(mm, A + 2 * PAGE_SIZE));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* ---------------------------------------------------------------- files */

/*
 * A read-only file of 5000 bytes made up here, so the test needs no
 * initrd: byte i is i * 7 + 3.  The test holds the first reference all
 * along and checks that the VMAs' references come and go.
 */
#define TFILE_SIZE	5000

static u8 tfile_byte(u64 i)
{
	return (u8)(i * 7 + 3);
}

static ssize_t tfile_read_kernel(struct file *f, void *buf, size_t count, u64 pos)
{
	size_t n = pos >= TFILE_SIZE ? 0 : MIN(count, TFILE_SIZE - pos);

	for (size_t i = 0; i < n; i++)
		((u8 *)buf)[i] = tfile_byte(pos + i);
	return n;
}

static const struct file_operations tfile_ops = { .read_kernel = tfile_read_kernel };
static const struct file_operations tty_like_ops = { 0 };

/* the bytes of the page at addr are the file's from pos (0 past EOF) */
static bool shows_file(struct mm_struct *mm, u64 addr, u64 pos)
{
	static u8 buf[PAGE_SIZE];

	if (!uread(mm, addr, buf, PAGE_SIZE))
		return false;
	for (u64 i = 0; i < PAGE_SIZE; i++)
		if (buf[i] != (pos + i < TFILE_SIZE ? tfile_byte(pos + i) : 0))
			return false;
	return true;
}

KTEST(mm_file_mapping)
{
	struct mem_snapshot a, b;
	struct file f = { .f_op = &tfile_ops, .f_flags = O_RDONLY };
	struct file wo = { .f_op = &tfile_ops, .f_flags = O_WRONLY };
	struct file tty = { .f_op = &tty_like_ops, .f_flags = O_RDWR };
	struct mm_struct *mm, *child;
	struct fault_stats fs;
	char buf[8];
	long p;

	atomic_set(&f.f_count, 1);
	atomic_set(&wo.f_count, 1);
	atomic_set(&tty.f_count, 1);
	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	fs = fault_stats;
	p = vm_mmap(mm, &f, 0, 3 * PAGE_SIZE, PROT_READ, MAP_PRIVATE, 0);
	KASSERT(p > 0);
	KEXPECT_EQ(atomic_read(&f.f_count), 2);		/* the VMA's */
	KEXPECT(shows_file(mm, p, 0));
	KEXPECT(shows_file(mm, p + PAGE_SIZE, PAGE_SIZE));	/* tail zeroed */
	KEXPECT_EQ(fault_stats.file_fill, fs.file_fill + 2);
	/* wholly past EOF: SIGBUS, not SIGSEGV */
	KEXPECT_EQ(fault_at(mm, p + 2 * PAGE_SIZE, X86_PF_USER), VM_FAULT_SIGBUS);
	KEXPECT(!uread(mm, p + 2 * PAGE_SIZE, buf, 1));
	KEXPECT_EQ(fault_at(mm, p, X86_PF_USER | X86_PF_WRITE | X86_PF_PROT), VM_FAULT_ACCERR);
	/* split: each part holds a reference and keeps its file offset */
	KEXPECT_EQ(do_munmap(mm, p, PAGE_SIZE), 0);
	KEXPECT_EQ(atomic_read(&f.f_count), 2);
	KEXPECT_EQ(find_vma(&mm->vmas, p)->vm_pgoff, 1);
	KEXPECT_EQ(do_mprotect(mm, p + PAGE_SIZE, PAGE_SIZE, PROT_READ | PROT_EXEC), 0);
	KEXPECT_EQ(atomic_read(&f.f_count), 3);
	KEXPECT(shows_file(mm, p + PAGE_SIZE, PAGE_SIZE));
	/* an offset, and a private writable copy the file never sees */
	p = vm_mmap(mm, &f, 0, PAGE_SIZE, RW, MAP_PRIVATE, PAGE_SIZE);
	KASSERT(p > 0);
	KEXPECT(shows_file(mm, p, PAGE_SIZE));
	KEXPECT(uwrite(mm, p, "mine", 5));
	KEXPECT(pte_flags(mm, p) & _PAGE_RW);
	/* fork: the child sees what the parent wrote, copies on its write */
	child = dup_mm(mm);
	KASSERT(child != NULL);
	KEXPECT_EQ(atomic_read(&f.f_count), 7);
	KEXPECT(uread(child, p, buf, 5));
	KEXPECT(!strcmp(buf, "mine"));
	KEXPECT(uwrite(child, p, "kid", 4));
	KEXPECT(uread(mm, p, buf, 5));
	KEXPECT(!strcmp(buf, "mine"));
	mmput(child);
	KEXPECT_EQ(atomic_read(&f.f_count), 4);
	/* DONTNEED: the next touch reads the file again */
	KEXPECT_EQ(do_madvise(mm, p, PAGE_SIZE, MADV_DONTNEED), 0);
	KEXPECT(shows_file(mm, p, PAGE_SIZE));
	KEXPECT_EQ(do_madvise(mm, p, PAGE_SIZE, MADV_FREE), -EINVAL);	/* not anonymous */
	/* MAP_SHARED of a read-only file: readable, never writable */
	KEXPECT_EQ(vm_mmap(mm, &f, 0, PAGE_SIZE, RW, MAP_SHARED, 0), -EACCES);
	p = vm_mmap(mm, &f, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	KASSERT(p > 0);
	KEXPECT(shows_file(mm, p, 0));
	KEXPECT_EQ(do_mprotect(mm, p, PAGE_SIZE, RW), -EACCES);
	KEXPECT_EQ(do_mprotect(mm, p, PAGE_SIZE, PROT_READ | PROT_EXEC), 0);
	/* other refusals */
	KEXPECT_EQ(vm_mmap(mm, &wo, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 0), -EACCES);
	KEXPECT_EQ(vm_mmap(mm, &tty, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, 0), -ENODEV);
	KEXPECT_EQ(vm_mmap(mm, &f, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_SYNC |
			   MAP_SHARED_VALIDATE, 0), -EOPNOTSUPP);
	KEXPECT_EQ(vm_mmap(mm, &f, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, 0),
		   -EINVAL);
	KEXPECT_EQ(vm_mmap(mm, &f, 0, 2 * PAGE_SIZE, PROT_READ, MAP_PRIVATE,
			   ~0UL << PAGE_SHIFT), -EOVERFLOW);
	KEXPECT_EQ(atomic_read(&wo.f_count), 1);
	KEXPECT_EQ(atomic_read(&tty.f_count), 1);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	KEXPECT_EQ(atomic_read(&f.f_count), 1);		/* every VMA's dropped */
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* The same through a real file of the initrd, if the boot has one. */
KTEST(mm_initrd_file_mapping)
{
	static const char *const paths[] = { "/init", "/bin/init", "/sbin/init", "/bin/sh" };
	static u8 want[PAGE_SIZE], got[PAGE_SIZE];
	struct mem_snapshot a, b;
	struct file *f = NULL;
	struct mm_struct *mm;
	ssize_t n;
	long p;

	for (unsigned i = 0; i < ARRAY_SIZE(paths) && IS_ERR_OR_NULL(f); i++)
		f = filp_open(paths[i], O_RDONLY);
	if (IS_ERR_OR_NULL(f))
		KSKIP("no initrd file to map");
	memset(want, 0, sizeof(want));
	n = kernel_read(f, want, PAGE_SIZE, 0);
	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	p = vm_mmap(mm, f, 0, PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE, 0);
	KEXPECT(n > 0 && p > 0);
	KEXPECT(p > 0 && uread(mm, p, got, PAGE_SIZE) && !memcmp(want, got, PAGE_SIZE));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
	fput(f);
}

/* ----------------------------------------------------------------- exec */

KTEST(mm_exec_helpers)
{
	static const u8 code[] = { 0x48, 0x31, 0xc0, 0xc3 };	/* xor rax,rax; ret */
	struct mem_snapshot a, b;
	struct mm_struct *mm, *child;
	const u64 top = TASK_SIZE_MAX - PAGE_SIZE;
	char buf[16];
	u8 got[sizeof(code)];
	long p;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	/* text: read-only and executable, yet copy_to_mm fills it */
	KEXPECT_EQ(vm_mmap(mm, NULL, A, 2 * PAGE_SIZE, PROT_READ | PROT_EXEC,
			   ANON | MAP_FIXED, 0), (long)A);
	KEXPECT_EQ(copy_to_mm(mm, A + PAGE_SIZE - 2, code, sizeof(code)), 0);	/* straddles */
	KEXPECT_EQ(copy_from_mm(mm, A + PAGE_SIZE - 2, got, sizeof(got)), 0);
	KEXPECT(!memcmp(got, code, sizeof(code)));
	KEXPECT(!(pte_flags(mm, A) & _PAGE_RW));
	KEXPECT(!(pte_flags(mm, A) & _PAGE_NX));
	KEXPECT_EQ(copy_to_mm(mm, A + 8, NULL, 4), 0);		/* zeros */
	KEXPECT_EQ(copy_to_mm(mm, B, "x", 1), -EFAULT);		/* nothing there */
	KEXPECT_EQ(copy_to_mm(mm, TASK_SIZE_MAX - 1, "xy", 2), -EFAULT);
	/* a PROT_NONE page can be written, a shared read-only one cannot */
	KEXPECT_EQ(vm_mmap(mm, NULL, B, PAGE_SIZE, PROT_NONE, ANON | MAP_FIXED, 0), (long)B);
	KEXPECT_EQ(copy_to_mm(mm, B, "none", 5), 0);
	KEXPECT_EQ(copy_from_mm(mm, B, buf, 5), 0);
	KEXPECT(!strcmp(buf, "none"));
	p = vm_mmap(mm, NULL, 0, PAGE_SIZE, PROT_READ, SHANON, 0);
	KEXPECT_EQ(copy_to_mm(mm, p, "x", 1), -EFAULT);
	/* the stack: grows down on faults, to STACK_RLIMIT */
	KEXPECT_EQ(setup_stack_vma(mm, top, 4 * PAGE_SIZE), 0);
	KEXPECT_EQ(mm->start_stack, top);
	KEXPECT(find_vma(&mm->vmas, top - PAGE_SIZE)->vm_flags & VM_GROWSDOWN);
	KEXPECT_EQ(setup_stack_vma(mm, top, 4 * PAGE_SIZE), -EEXIST);
	KEXPECT_EQ(setup_stack_vma(mm, top + 1, PAGE_SIZE), -EINVAL);
	KEXPECT(uwrite(mm, top - 10 * PAGE_SIZE, "deep", 5));		/* grew */
	KEXPECT_EQ(find_vma(&mm->vmas, top - 10 * PAGE_SIZE)->vm_start, top - 10 * PAGE_SIZE);
	KEXPECT_EQ(mm->vmas.count, 4);
	KEXPECT_EQ(fault_at(mm, top - STACK_RLIMIT, X86_PF_USER | X86_PF_WRITE), VM_FAULT_DONE);
	KEXPECT_EQ(fault_at(mm, top - STACK_RLIMIT - 1, X86_PF_USER | X86_PF_WRITE),
		   VM_FAULT_MAPERR);
	/* copy_to_mm into a child's copy-on-write page: the parent keeps its
	 * bytes (fork's CLONE_CHILD_SETTID) */
	KEXPECT(uwrite(mm, top - PAGE_SIZE, "parent", 7));
	child = dup_mm(mm);
	KASSERT(child != NULL);
	KEXPECT_EQ(copy_to_mm(child, top - PAGE_SIZE, "child", 6), 0);
	KEXPECT(uread(mm, top - PAGE_SIZE, buf, 7));
	KEXPECT(!strcmp(buf, "parent"));
	KEXPECT_EQ(copy_from_mm(child, top - PAGE_SIZE, buf, 6), 0);
	KEXPECT(!strcmp(buf, "child"));
	KEXPECT_EQ(refcount_at(mm, top - PAGE_SIZE), 1);
	mmput(child);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(mm_stack_guard_gap)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	const u64 top = 0x7f0000000000UL;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(setup_stack_vma(mm, top, PAGE_SIZE), 0);
	/* a mapping 2 MiB below: the stack may grow to 1 MiB (the gap) above it */
	KEXPECT(vm_mmap(mm, NULL, top - (2UL << 20) - PAGE_SIZE, PAGE_SIZE, RW,
			ANON | MAP_FIXED, 0) > 0);
	KEXPECT_EQ(fault_at(mm, top - (1UL << 20), X86_PF_USER), VM_FAULT_DONE);
	KEXPECT_EQ(fault_at(mm, top - (1UL << 20) - PAGE_SIZE, X86_PF_USER), VM_FAULT_MAPERR);
	KEXPECT_EQ(mm->vmas.count, 2);
	KEXPECT(vma_set_check(&mm->vmas));
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}
