/*
 * vma.c - the sorted, merged set of VMAs of one address space.
 *
 * Owns the vm_area_structs of a vma_set (see vma.h for the invariants).
 * The three range operations share one discipline:
 *   1. validate, and find out how many new VMAs the change needs;
 *   2. refuse (-ENOMEM) if that would pass VMA_MAX_COUNT, and allocate
 *      them all; if an allocation fails, free the others and stop;
 *   3. only then change the list - a step that cannot fail.
 * So a failed call leaves the set untouched and leaks nothing.
 *
 * File mappings add one rule: the file offset travels with the bytes.
 * Whenever a VMA's start moves (trimmed at the front, grown downwards,
 * split off as the upper part) its vm_pgoff moves by the same number of
 * pages, so every address keeps showing the same page of the file.
 *
 * Pure logic: shared with the host tests (built with -DHOST_TEST), so it
 * uses no kernel service but printk and the two allocation hooks.
 */
#include "mm/vma.h"
#include "kernel/printk.h"
#include "kernel/errno.h"

#define PAGE_ALIGNED(x)	(((x) & (PAGE_SIZE - 1)) == 0)

void vma_set_init(struct vma_set *s, const struct vma_ops *ops)
{
	INIT_LIST_HEAD(&s->list);
	s->count = 0;
	s->total_pages = 0;
	s->mmap_base = VMA_MMAP_BASE;
	s->ops = ops;
}

/* The owner's hooks: a VMA enters or leaves the set (see vma.h). */
static void vma_opened(struct vma_set *s, struct vm_area_struct *vma)
{
	if (s->ops->vma_open)
		s->ops->vma_open(vma);
}

/* Unlink and free one VMA, keeping count and total_pages right. */
static void vma_remove(struct vma_set *s, struct vm_area_struct *vma)
{
	list_del(&vma->vm_list);
	s->count--;
	s->total_pages -= vma_pages(vma);
	if (s->ops->vma_close)
		s->ops->vma_close(vma);
	s->ops->vma_free(vma);
}

void vma_set_destroy(struct vma_set *s)
{
	struct vm_area_struct *vma, *next;

	list_for_each_entry_safe(vma, next, &s->list, vm_list)
		vma_remove(s, vma);
}

struct vm_area_struct *find_vma(struct vma_set *s, u64 addr)
{
	struct vm_area_struct *vma;

	for_each_vma(s, vma)
		if (vma->vm_end > addr)
			return vma;
	return NULL;
}

struct vm_area_struct *find_vma_intersection(struct vma_set *s, u64 start, u64 end)
{
	struct vm_area_struct *vma = find_vma(s, start);

	if (!vma || vma->vm_start >= end)
		return NULL;
	return vma;
}

static bool range_valid(u64 start, u64 end)
{
	return start < end && end <= TASK_SIZE_MAX &&
	       PAGE_ALIGNED(start) && PAGE_ALIGNED(end);
}

/* All or nothing: n fresh VMAs in new[], or none and -ENOMEM. */
static int vma_alloc_n(struct vma_set *s, struct vm_area_struct **new, int n)
{
	for (int i = 0; i < n; i++) {
		new[i] = s->ops->vma_alloc();
		if (!new[i]) {
			while (i--)
				s->ops->vma_free(new[i]);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Move the bounds of a VMA that stays in the set; pages (and the file
 * offset of the new start) follow. */
static void vma_resize(struct vma_set *s, struct vm_area_struct *vma,
		       u64 start, u64 end)
{
	s->total_pages -= vma_pages(vma);
	if (vma->vm_file && start >= vma->vm_start)
		vma->vm_pgoff += (start - vma->vm_start) >> PAGE_SHIFT;
	else if (vma->vm_file)
		vma->vm_pgoff -= (vma->vm_start - start) >> PAGE_SHIFT;
	vma->vm_start = start;
	vma->vm_end = end;
	s->total_pages += vma_pages(vma);
}

/*
 * Cut vma at addr (strictly inside it): vma keeps the lower part, as in
 * Linux, so a caller's pointer still finds the start of the old range;
 * new becomes the upper part.  Pages are unchanged.
 */
static void vma_split(struct vma_set *s, struct vm_area_struct *vma, u64 addr,
		      struct vm_area_struct *new)
{
	new->vm_start = addr;
	new->vm_end = vma->vm_end;
	new->vm_flags = vma->vm_flags;
	new->vm_file = vma->vm_file;
	new->vm_pgoff = vma->vm_file ?
			vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT) : 0;
	vma->vm_end = addr;
	list_add(&new->vm_list, &vma->vm_list);
	s->count++;
	vma_opened(s, new);		/* a second reference to the file */
}

/* Would [start, end) with flags/file/pgoff continue a seamlessly? */
static bool can_append(const struct vm_area_struct *a, u64 flags,
		       struct file *file, u64 pgoff)
{
	return a->vm_flags == flags && a->vm_file == file &&
	       (!file || a->vm_pgoff + vma_pages(a) == pgoff);
}

bool vma_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && can_append(a, b->vm_flags, b->vm_file, b->vm_pgoff);
}

/* Absorb vma's successor if the two touch and agree; true if it did. */
static bool vma_merge_next(struct vma_set *s, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma_next(s, vma);
	u64 end;

	if (!next || !vma_mergeable(vma, next))
		return false;
	end = next->vm_end;
	vma_remove(s, next);
	vma_resize(s, vma, vma->vm_start, end);
	return true;
}

/* ---------------------------------------------------------------- insert */

/* Link a new VMA before next (at the end if next is NULL). */
static void vma_link(struct vma_set *s, struct vm_area_struct *vma,
		     struct vm_area_struct *next)
{
	list_add_tail(&vma->vm_list, next ? &next->vm_list : &s->list);
	s->count++;
	s->total_pages += vma_pages(vma);
	vma_opened(s, vma);
}

int vma_insert_file(struct vma_set *s, u64 start, u64 end, u64 flags,
		    struct file *file, u64 pgoff)
{
	struct vm_area_struct *next, *prev, *vma;

	if (!range_valid(start, end) || (flags & ~VM_FLAGS_MASK))
		return -EINVAL;
	if (!file)
		pgoff = 0;
	else if (pgoff + ((end - start) >> PAGE_SHIFT) < pgoff)
		return -EINVAL;			/* the offsets would wrap */
	next = find_vma(s, start);
	if (next && next->vm_start < end)
		return -EEXIST;
	prev = vma_prev(s, next);

	/* growing a neighbour needs no memory, so try that first */
	if (prev && prev->vm_end == start && can_append(prev, flags, file, pgoff)) {
		vma_resize(s, prev, prev->vm_start, end);
		vma_merge_next(s, prev);	/* the range may fill a gap exactly */
		return 0;
	}
	if (next && next->vm_start == end && next->vm_flags == flags &&
	    next->vm_file == file &&
	    (!file || pgoff + ((end - start) >> PAGE_SHIFT) == next->vm_pgoff)) {
		vma_resize(s, next, start, next->vm_end);	/* pgoff follows */
		return 0;
	}

	if (s->count >= VMA_MAX_COUNT || vma_alloc_n(s, &vma, 1))
		return -ENOMEM;
	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_flags = flags;
	vma->vm_file = file;
	vma->vm_pgoff = pgoff;
	vma_link(s, vma, next);
	return 0;
}

int vma_insert(struct vma_set *s, u64 start, u64 end, u64 flags)
{
	return vma_insert_file(s, start, end, flags, NULL, 0);
}

/* ----------------------------------------------------------------- unmap */

/* Punch [start, end) out of the middle of vma: the one unmap that allocates. */
static int vma_punch_hole(struct vma_set *s, struct vm_area_struct *vma,
			  u64 start, u64 end)
{
	struct vm_area_struct *tail;

	if (s->count >= VMA_MAX_COUNT || vma_alloc_n(s, &tail, 1))
		return -ENOMEM;
	vma_split(s, vma, end, tail);
	vma_resize(s, vma, vma->vm_start, start);
	return 0;
}

int vma_unmap(struct vma_set *s, u64 start, u64 end)
{
	struct vm_area_struct *vma, *next;

	if (!range_valid(start, end))
		return -EINVAL;
	vma = find_vma_intersection(s, start, end);
	if (!vma)
		return 0;
	if (vma->vm_start < start && vma->vm_end > end)
		return vma_punch_hole(s, vma, start, end);

	/* Trimming and removing never creates touching pairs: no merging. */
	for (; vma && vma->vm_start < end; vma = next) {
		next = vma_next(s, vma);
		if (vma->vm_start < start)
			vma_resize(s, vma, vma->vm_start, start);
		else if (vma->vm_end > end)
			vma_resize(s, vma, end, vma->vm_end);
		else
			vma_remove(s, vma);
	}
	return 0;
}

/* --------------------------------------------------------------- protect */

static u64 vma_prot_flags(u64 flags, u64 prot)
{
	return (flags & ~VM_ACCESS_FLAGS) | prot;
}

/*
 * The VMA containing end - 1 if [start, end) is mapped without a hole,
 * else NULL.  first is find_vma(s, start).
 */
static struct vm_area_struct *range_last_vma(struct vma_set *s,
					     struct vm_area_struct *first,
					     u64 start, u64 end)
{
	struct vm_area_struct *vma = first, *next;

	if (!vma || vma->vm_start > start)
		return NULL;
	while (vma->vm_end < end) {
		next = vma_next(s, vma);
		if (!next || next->vm_start != vma->vm_end)
			return NULL;
		vma = next;
	}
	return vma;
}

/*
 * Set the access bits of the VMAs in [start, end).  A VMA that straddles
 * start or end was split there unless the new bits equal its old ones.
 */
static void vma_apply_prot(struct vma_set *s, u64 start, u64 end, u64 prot)
{
	struct vm_area_struct *vma;

	for (vma = find_vma(s, start); vma && vma->vm_start < end; vma = vma_next(s, vma))
		vma->vm_flags = vma_prot_flags(vma->vm_flags, prot);
}

/*
 * After flags changed in [start, end), only pairs of VMAs meeting at an
 * address in [start, end] can have become mergeable.  Merge them all,
 * walking from the VMA before start to the one that ends at or past end.
 */
static void vma_merge_range(struct vma_set *s, u64 start, u64 end)
{
	struct vm_area_struct *vma = find_vma(s, start), *prev;

	prev = vma ? vma_prev(s, vma) : NULL;	/* vma_prev(s, NULL) is the last */
	if (prev)
		vma = prev;
	while (vma && vma->vm_end <= end)
		if (!vma_merge_next(s, vma))
			vma = vma_next(s, vma);
}

int vma_protect(struct vma_set *s, u64 start, u64 end, u64 prot)
{
	struct vm_area_struct *first, *last, *new[2];
	bool split_first, split_last;
	int n;

	if (!range_valid(start, end) || (prot & ~VM_ACCESS_FLAGS))
		return -EINVAL;
	first = find_vma(s, start);
	last = range_last_vma(s, first, start, end);
	if (!last)
		return -ENOMEM;

	/* a VMA straddling an edge is split only if its flags change */
	split_first = first->vm_start < start &&
		      vma_prot_flags(first->vm_flags, prot) != first->vm_flags;
	split_last = last->vm_end > end &&
		     vma_prot_flags(last->vm_flags, prot) != last->vm_flags;
	n = split_first + split_last;
	if (s->count + n > VMA_MAX_COUNT || vma_alloc_n(s, new, n))
		return -ENOMEM;

	/* end first: first and last may be one VMA, which keeps its start */
	if (split_last)
		vma_split(s, last, end, new[--n]);
	if (split_first)
		vma_split(s, first, start, new[--n]);

	vma_apply_prot(s, start, end, prot);
	vma_merge_range(s, start, end);
	return 0;
}

/* ------------------------------------------------------------------ dup */

int vma_set_dup(struct vma_set *dst, struct vma_set *src)
{
	struct vm_area_struct *vma, *copy, *next;
	struct list_head fresh;

	if (dst->count || !list_empty(&dst->list))
		return -EINVAL;
	/* all the structs first, on a private list, so failing changes nothing */
	INIT_LIST_HEAD(&fresh);
	for (unsigned int i = 0; i < src->count; i++) {
		if (vma_alloc_n(dst, &copy, 1)) {
			list_for_each_entry_safe(copy, next, &fresh, vm_list)
				dst->ops->vma_free(copy);
			return -ENOMEM;
		}
		list_add_tail(&copy->vm_list, &fresh);
	}
	copy = list_entry(fresh.next, struct vm_area_struct, vm_list);
	for_each_vma(src, vma) {
		next = list_entry(copy->vm_list.next, struct vm_area_struct, vm_list);
		list_del(&copy->vm_list);
		copy->vm_start = vma->vm_start;
		copy->vm_end = vma->vm_end;
		copy->vm_flags = vma->vm_flags;
		copy->vm_file = vma->vm_file;
		copy->vm_pgoff = vma->vm_pgoff;
		vma_link(dst, copy, NULL);	/* in order: append */
		copy = next;
	}
	dst->mmap_base = src->mmap_base;
	return 0;
}

/* ---------------------------------------------------- get_unmapped_area */

/* Does [lo, hi), clipped to VMA_MMAP_MIN_ADDR, hold len bytes? */
static bool gap_fits(u64 lo, u64 hi, u64 len)
{
	lo = MAX(lo, VMA_MMAP_MIN_ADDR);
	return hi > lo && hi - lo >= len;
}

static bool hint_fits(struct vma_set *s, u64 hint, u64 len)
{
	return hint >= VMA_MMAP_MIN_ADDR && hint <= TASK_SIZE_MAX - len &&
	       !find_vma_intersection(s, hint, hint + len);
}

u64 vma_get_unmapped_area(struct vma_set *s, u64 len, u64 hint)
{
	struct vm_area_struct *vma;
	u64 top = s->mmap_base;

	if (!len || !PAGE_ALIGNED(len) || len > TASK_SIZE_MAX)
		return 0;
	if (hint && hint <= TASK_SIZE_MAX) {
		hint = ALIGN_UP(hint, PAGE_SIZE);
		if (hint_fits(s, hint, len))
			return hint;
	}

	/* top-down: each VMA below top closes the gap [vm_end, top) */
	for (vma = vma_prev(s, NULL); vma; vma = vma_prev(s, vma)) {
		if (vma->vm_end <= top && gap_fits(vma->vm_end, top, len))
			return top - len;
		top = MIN(top, vma->vm_start);
		if (top <= VMA_MMAP_MIN_ADDR)
			return 0;
	}
	return gap_fits(0, top, len) ? top - len : 0;
}

/* ----------------------------------------------------- checking, dumping */

static bool vma_check_one(struct vm_area_struct *vma, struct vm_area_struct *prev)
{
	bool ok = true;

	if (vma->vm_start >= vma->vm_end || vma->vm_end > TASK_SIZE_MAX ||
	    !PAGE_ALIGNED(vma->vm_start) || !PAGE_ALIGNED(vma->vm_end)) {
		pr_err("vma: bad range %#lx-%#lx\n",
		       (unsigned long)vma->vm_start, (unsigned long)vma->vm_end);
		ok = false;
	}
	if (vma->vm_flags & ~VM_FLAGS_MASK) {
		pr_err("vma: %#lx: unknown flags %#lx\n",
		       (unsigned long)vma->vm_start, (unsigned long)vma->vm_flags);
		ok = false;
	}
	if (!vma->vm_file && vma->vm_pgoff) {
		pr_err("vma: %#lx: anonymous with a file offset %#lx\n",
		       (unsigned long)vma->vm_start, (unsigned long)vma->vm_pgoff);
		ok = false;
	}
	if (vma->vm_list.next->prev != &vma->vm_list) {
		pr_err("vma: %#lx: broken list links\n", (unsigned long)vma->vm_start);
		ok = false;
	}
	if (!prev)
		return ok;
	if (prev->vm_end > vma->vm_start) {
		pr_err("vma: %#lx-%#lx overlaps or is before %#lx-%#lx\n",
		       (unsigned long)vma->vm_start, (unsigned long)vma->vm_end,
		       (unsigned long)prev->vm_start, (unsigned long)prev->vm_end);
		ok = false;
	} else if (vma_mergeable(prev, vma)) {
		pr_err("vma: %#lx: not merged with the VMA before it\n",
		       (unsigned long)vma->vm_start);
		ok = false;
	}
	return ok;
}

bool vma_set_check(struct vma_set *s)
{
	struct vm_area_struct *vma, *prev = NULL;
	unsigned long count = 0;
	u64 pages = 0;
	bool ok = s->list.next->prev == &s->list;

	for_each_vma(s, vma) {
		/* a corrupted list may not lead back to the head */
		if (++count > VMA_MAX_COUNT) {
			pr_err("vma: more than %d VMAs, or a loop\n", VMA_MAX_COUNT);
			return false;
		}
		ok &= vma_check_one(vma, prev);
		pages += vma_pages(vma);
		prev = vma;
	}
	if (count != s->count || pages != s->total_pages) {
		pr_err("vma: %lu VMAs, %lu pages, but the set says %u, %lu\n",
		       count, (unsigned long)pages, s->count,
		       (unsigned long)s->total_pages);
		ok = false;
	}
	return ok;
}

void vma_set_dump(struct vma_set *s)
{
	struct vm_area_struct *vma;

	for_each_vma(s, vma) {
		u64 f = vma->vm_flags;
		char c[5] = { f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
			      f & VM_EXEC ? 'x' : '-',
			      f & (VM_SHARED | VM_MAYSHARE) ? 's' : 'p', 0 };

		if (vma->vm_file)
			printk(KERN_INFO "%08lx-%08lx %s %08lx file\n",
			       (unsigned long)vma->vm_start, (unsigned long)vma->vm_end,
			       c, (unsigned long)(vma->vm_pgoff << PAGE_SHIFT));
		else
			printk(KERN_INFO "%08lx-%08lx %s\n", (unsigned long)vma->vm_start,
			       (unsigned long)vma->vm_end, c);
	}
}
