/*
 * vma.h - the set of virtual memory areas of one address space (Linux's
 * vm_area_struct, the part of mm_struct that lists them).
 *
 * A VMA is a page-aligned user range [vm_start, vm_end) with one set of
 * flags, and optionally a file it maps: page vm_start of the VMA shows
 * page vm_pgoff of vm_file, and the pages after it follow in order.  The
 * set owns its vm_area_structs; it only describes what is mapped.  Page
 * tables are the caller's business: after vma_unmap() or vma_protect()
 * succeeds, the caller updates the PTEs of the same range.
 *
 * The set does not know what a file is: it copies vm_file between the
 * structs it splits and calls the owner's vma_open()/vma_close() hooks for
 * every struct that enters or leaves the set, and the owner (mm/mmap.c)
 * takes and drops the file reference there.  So each VMA holds exactly one
 * reference to its file, however often it is split, merged or copied.
 *
 * Invariants (vma_set_check() verifies all of them):
 *   - VMAs are non-empty, page-aligned, end <= TASK_SIZE_MAX;
 *   - the list is sorted by vm_start and VMAs do not overlap;
 *   - two VMAs that touch (a->vm_end == b->vm_start) are not mergeable:
 *     every operation merges, so a range has exactly one representation.
 *     Mergeable means equal flags, the same vm_file, and for a file the
 *     second VMA's vm_pgoff continuing the first's (vma_mergeable());
 *   - an anonymous VMA (vm_file NULL) has vm_pgoff 0;
 *   - count and total_pages equal the number of VMAs and the pages they span;
 *   - count <= VMA_MAX_COUNT.
 *
 * Every operation either succeeds or returns an error with the set left
 * exactly as it was: whatever a split needs is allocated before anything
 * is changed.
 *
 * The index is a sorted list, so lookups are O(number of VMAs).  Nothing
 * outside vma.c depends on that: a tree can replace it behind this API.
 *
 * No locking here: the owner of the set (the mm) serialises all calls.
 */
#ifndef MM_VMA_H
#define MM_VMA_H

#include "kernel/types.h"
#include "kernel/list.h"
#include "kernel/layout.h"

/*
 * vm_flags, with Linux's values (include/linux/mm.h).  VM_MAY* say which
 * access bits mprotect may turn on later: a MAP_SHARED mapping of a
 * read-only file never gets VM_MAYWRITE, so mprotect(PROT_WRITE) on it
 * fails with EACCES.  In Linux's layout VM_MAYx is VM_x << 4.
 */
#define VM_NONE		0x00000000UL
#define VM_READ		0x00000001UL
#define VM_WRITE	0x00000002UL
#define VM_EXEC		0x00000004UL
#define VM_SHARED	0x00000008UL	/* writes are seen by every mapper */
#define VM_MAYREAD	0x00000010UL
#define VM_MAYWRITE	0x00000020UL
#define VM_MAYEXEC	0x00000040UL
#define VM_MAYSHARE	0x00000080UL	/* mapped MAP_SHARED (even if read-only) */
#define VM_GROWSDOWN	0x00000100UL	/* a stack: may be extended downwards */
/* Switchyard's own bit: Linux calls a VMA anonymous when it has no file. */
#define VM_ANON		0x00100000UL

#define VM_ACCESS_FLAGS	(VM_READ | VM_WRITE | VM_EXEC)	/* what mprotect changes */
#define VM_MAY_FLAGS	(VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_FLAGS_MASK	(VM_ACCESS_FLAGS | VM_SHARED | VM_MAY_FLAGS | VM_MAYSHARE | \
			 VM_GROWSDOWN | VM_ANON)

/* Linux's sysctl vm.max_map_count default. */
#define VMA_MAX_COUNT		65530

/*
 * vma_get_unmapped_area() never returns below this, so that a NULL pointer
 * plus a small offset always faults (Linux's vm.mmap_min_addr default).
 */
#define VMA_MMAP_MIN_ADDR	0x10000UL

/*
 * Default top of the search: leave Linux's minimum stack gap (128 MiB)
 * under TASK_SIZE_MAX so the stack can grow without meeting an mmap.
 */
#define VMA_STACK_GAP		(128UL << 20)
#define VMA_MMAP_BASE		(TASK_SIZE_MAX - VMA_STACK_GAP)

struct file;				/* opaque here (kernel/file.h) */

struct vm_area_struct {
	u64 vm_start;			/* first byte */
	u64 vm_end;			/* first byte after; [start, end) */
	u64 vm_flags;			/* VM_* */
	struct file *vm_file;		/* what it maps, NULL if anonymous */
	u64 vm_pgoff;			/* file offset of vm_start, in pages */
	struct list_head vm_list;	/* in vma_set.list, sorted by vm_start */
};

/*
 * Where vm_area_structs come from: kmalloc in the kernel, malloc (with
 * failure injection) in the host tests.  vma_alloc() may return NULL;
 * vma.c initialises every field of what it gets.
 *
 * vma_open (optional) is called for every VMA that enters the set - a new
 * one, a split-off part, a copy in vma_set_dup() - once its fields are set;
 * vma_close (optional) for every VMA that leaves it (unmapped, merged into
 * a neighbour, destroyed) before vma_free.  A struct that was allocated
 * and never entered the set (an operation that failed half-way through
 * its allocations) goes straight to vma_free.  Neither hook may fail.
 */
struct vma_ops {
	struct vm_area_struct *(*vma_alloc)(void);
	void (*vma_free)(struct vm_area_struct *vma);
	void (*vma_open)(struct vm_area_struct *vma);
	void (*vma_close)(struct vm_area_struct *vma);
};

struct vma_set {
	struct list_head list;		/* sorted by vm_start */
	unsigned int count;		/* Linux: mm->map_count */
	u64 total_pages;		/* Linux: mm->total_vm */
	u64 mmap_base;			/* top of the get_unmapped_area search:
					 * VMA_MMAP_BASE after init; exec may
					 * lower it (randomisation, big stack) */
	const struct vma_ops *ops;
};

void vma_set_init(struct vma_set *s, const struct vma_ops *ops);
void vma_set_destroy(struct vma_set *s);

/*
 * find_vma: the first VMA with vm_end > addr, as in Linux.  It need not
 * contain addr (check vm_start <= addr); a page fault below it may still
 * be a stack to grow.  find_vma_intersection: the first VMA overlapping
 * [start, end), or NULL.
 */
struct vm_area_struct *find_vma(struct vma_set *s, u64 addr);
struct vm_area_struct *find_vma_intersection(struct vma_set *s, u64 start, u64 end);

/*
 * Range operations.  start and end must be page-aligned with
 * start < end <= TASK_SIZE_MAX, else -EINVAL (an empty range included:
 * sys_mprotect returns 0 for len 0 before calling vma_protect).
 * -ENOMEM: out of memory or the result would exceed VMA_MAX_COUNT.
 *
 * vma_insert: map [start, end) with flags (VM_FLAGS_MASK bits only, else
 *	-EINVAL); -EEXIST if any of it is mapped (MAP_FIXED callers unmap
 *	first).  Merges with touching neighbours that are mergeable.
 * vma_insert_file: the same for a file mapping: page start shows page
 *	pgoff of file.  If a new VMA is made, vma_open() takes its file
 *	reference; the caller keeps its own either way.  file NULL is
 *	vma_insert() (pgoff is then ignored).
 * vma_unmap: munmap; any part of the range may be a hole.  Trims the VMAs
 *	at the edges and removes those inside; unmapping the middle of one
 *	VMA splits it (the only case that allocates).
 * vma_protect: mprotect; prot is VM_ACCESS_FLAGS bits only (else -EINVAL)
 *	and replaces those bits in every VMA of the range, keeping the
 *	others (VM_SHARED, ...) per VMA.  The whole range must be mapped,
 *	else -ENOMEM as in Linux.  Splits at start and end only when the
 *	flags there really change, then re-merges.  At the VMA_MAX_COUNT
 *	limit it counts a split even if a merge would undo it (Linux's
 *	merge-first path can succeed there; a corner nobody should reach).
 */
int vma_insert(struct vma_set *s, u64 start, u64 end, u64 flags);
int vma_insert_file(struct vma_set *s, u64 start, u64 end, u64 flags,
		    struct file *file, u64 pgoff);
int vma_unmap(struct vma_set *s, u64 start, u64 end);
int vma_protect(struct vma_set *s, u64 start, u64 end, u64 prot);

/*
 * A free, page-aligned range of len bytes for mmap without MAP_FIXED.
 * The hint (rounded up to a page) is used if the range there is free and
 * inside [VMA_MMAP_MIN_ADDR, TASK_SIZE_MAX).  Otherwise the search is
 * top-down, like Linux's default x86-64 layout: the highest gap below
 * s->mmap_base and at or above VMA_MMAP_MIN_ADDR wide enough for len, and
 * the range is placed at the top of that gap, so mappings pack downwards
 * from mmap_base.  Returns 0 if there is no room or len is 0, unaligned or
 * too large; the caller turns that into -ENOMEM.  It does not map anything.
 */
u64 vma_get_unmapped_area(struct vma_set *s, u64 len, u64 hint);

/*
 * fork: make the empty set dst an exact copy of src (every VMA, its file
 * and offset, and mmap_base), calling vma_open() for each copy.  All or
 * nothing: -ENOMEM leaves dst empty.  -EINVAL if dst is not empty.
 */
int vma_set_dup(struct vma_set *dst, struct vma_set *src);

/* May a and b (a ending where b starts) be one VMA? */
bool vma_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b);

/* false, with a pr_err for each violation, if an invariant is broken */
bool vma_set_check(struct vma_set *s);
/* one printk line per VMA, like /proc/pid/maps: "00400000-00401000 r-xp",
 * and for a file mapping its offset: "00400000-00401000 r-xp 00002000 file" */
void vma_set_dump(struct vma_set *s);

/*
 * Neighbours in address order, NULL past either end.  vma_next(s, NULL) is
 * the lowest VMA and vma_prev(s, NULL) the highest.
 */
static inline struct vm_area_struct *vma_next(struct vma_set *s,
					      struct vm_area_struct *vma)
{
	struct list_head *n = vma ? vma->vm_list.next : s->list.next;

	return n == &s->list ? NULL : list_entry(n, struct vm_area_struct, vm_list);
}

static inline struct vm_area_struct *vma_prev(struct vma_set *s,
					      struct vm_area_struct *vma)
{
	struct list_head *p = vma ? vma->vm_list.prev : s->list.prev;

	return p == &s->list ? NULL : list_entry(p, struct vm_area_struct, vm_list);
}

/* Every VMA in address order; the body must not insert or remove VMAs. */
#define for_each_vma(s, vma) list_for_each_entry(vma, &(s)->list, vm_list)

static inline u64 vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

#endif
