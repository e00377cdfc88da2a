/*
 * slab.h - the kernel heap: object caches and kmalloc (Linux's names).
 *
 * Owns every small allocation in the kernel.  Memory comes in naturally
 * aligned blocks of 2^order 4 KiB pages from a page provider the kernel
 * (the buddy allocator through the direct map) or a host test installs with
 * slab_init(); nothing here knows where pages come from, so the core is pure
 * and tested on the host (tests/unit/test_slab.c).
 *
 *   kmem_cache_create(name, size, align) -> cache of equal-sized objects
 *   kmem_cache_alloc(c) / kmem_cache_free(c, obj)
 *   kmalloc(size, GFP_KERNEL) / kzalloc() / kfree() / ksize()
 *
 * kmalloc serves 1..2048 bytes from the caches kmalloc-16 ... kmalloc-2048
 * (the next power of two, at least 16) and anything bigger from a block of
 * whole pages of its own.  Every kmalloc pointer is KMALLOC_MIN_ALIGN (16)
 * aligned; ask a cache with a bigger align for more.  kmalloc(0) returns
 * ZERO_SIZE_PTR, as Linux does: not NULL, so a caller does not mistake it for
 * running out of memory, yet any access to it faults near address 16, and
 * kfree() accepts it.  Running out of memory returns NULL, silently.
 *
 * Debug checks are always on (a teaching kernel keeps them): a double free,
 * a pointer the heap never handed out, a pointer into the middle of an
 * object, an object freed to the wrong cache, and a write to a freed object
 * (found when the object is next allocated, by its poison) are reported with
 * pr_err() naming the function, pointer and cache.  A bad free is ignored,
 * so the heap stays consistent after a report.  slab_get_stats().errors
 * counts the reports.
 *
 * Freed objects are filled with POISON_FREE, and kmalloc() without
 * __GFP_ZERO returns them that way: reading 0x6b6b6b6b... means the caller
 * used memory it never initialized.
 *
 * Locking: every function below runs under the provider's lock()/unlock()
 * pair, one lock for the whole heap (mm/slab.c says why one), except
 * slab_init(), which runs before anyone else can use the heap, and
 * kmalloc_slab(), which reads only what slab_init() wrote.  The kernel's
 * provider (mm/heap.c) makes it an irqsave spinlock, so they may be called
 * from any CPU, with interrupts on or off, and from interrupt handlers -
 * but never from an NMI handler, which irqsave does not hold off: one
 * arriving inside the lock on this CPU would spin on it forever.  Host
 * tests install no lock.
 */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include "kernel/types.h"
#include "mm/gfp.h"		/* gfp_t; only __GFP_ZERO has an effect here */

/* Page geometry, restated so this header stays pure; mm/heap.c relies on
 * them matching PAGE_SIZE and the buddy allocator's MAX_ORDER. */
#define SLAB_PAGE_SHIFT		12
#define SLAB_PAGE_SIZE		(1UL << SLAB_PAGE_SHIFT)
#define SLAB_MAX_ORDER		10	/* biggest block asked of the provider: 4 MiB */
#define SLAB_MIN_ALIGN		8	/* a cache's default (and minimum) alignment */

#define KMALLOC_MIN_SIZE	16
#define KMALLOC_MAX_CACHE_SIZE	2048	/* bigger requests take whole pages */
#define KMALLOC_MIN_ALIGN	16
#define KMALLOC_LARGE_HEADER	16	/* bytes before a large kmalloc pointer */
#define KMALLOC_MAX_SIZE	((SLAB_PAGE_SIZE << SLAB_MAX_ORDER) - KMALLOC_LARGE_HEADER)

#define POISON_FREE		0x6b	/* every byte of a free object */

#define ZERO_SIZE_PTR		((void *)16)
#define ZERO_OR_NULL_PTR(p)	((unsigned long)(p) <= (unsigned long)ZERO_SIZE_PTR)

/*
 * Where pages come from.  alloc_pages(order) returns 2^order contiguous
 * pages aligned to their size, or NULL; free_pages() takes them back.
 *
 * owns(addr) is optional but the kernel must provide it: it answers whether
 * addr is exactly an address alloc_pages() returned and free_pages() has
 * not taken back (true for the first page of a block only, false for its
 * other pages).  The heap asks it before reading a block header, so freeing
 * a foreign pointer is reported instead of reading memory that may not be
 * there.  Without it the heap reads the pointer rounded down to 4 KiB,
 * 8 KiB, ... 4 MiB and trusts the header magic it finds: fine for pointers
 * into the heap, a possible fault or misreading for wild ones.
 *
 * lock()/unlock() are optional, and come as a pair: the heap calls lock()
 * on entry to every public function that reads or changes its state and
 * hands the value it returned (saved interrupt flags, say) to unlock() on
 * the way out.  NULL means no locking (one thread, as in the host tests).
 * The lock is not recursive and the heap never takes it twice.  While it
 * is held the heap calls alloc_pages(), free_pages() and owns(), and may
 * print a misuse report; so those must not call back into the heap
 * (kmalloc, kfree, ...), and any lock they take comes after this one in
 * the lock order.
 */
struct slab_page_provider {
	void *(*alloc_pages)(unsigned int order);
	void (*free_pages)(void *addr, unsigned int order);
	bool (*owns)(const void *addr);
	unsigned long (*lock)(void);
	void (*unlock)(unsigned long flags);
};

struct kmem_cache;

/* One cache's state, for tests and the debug command. */
struct kmem_cache_info {
	const char *name;
	size_t object_size;		/* as created (kmalloc-N: N) */
	size_t slot_size;		/* object_size rounded up to align */
	size_t align;
	unsigned int order;		/* each slab is 2^order pages */
	unsigned int objs_per_slab;
	unsigned long active_objs;	/* objects allocated now */
	unsigned long nr_slabs;		/* slabs held, empty ones included */
	unsigned long nr_empty_slabs;	/* at most 1: the cached empty slab */
};

/* Heap-wide counters; a leak check compares two snapshots. */
struct slab_stats {
	unsigned long bytes_in_use;	/* sum of ksize() over live allocations */
	unsigned long objects;		/* live allocations, cache and large */
	unsigned long large_blocks;	/* live kmallocs bigger than 2048 */
	unsigned long pages;		/* pages held from the provider */
	unsigned long caches;		/* caches, kmalloc's and "kmem_cache" included */
	unsigned long kmalloc_calls;
	unsigned long kfree_calls;
	unsigned long errors;		/* misuse reports printed */
};

/*
 * Install the page provider and create the kmalloc caches.  Called once at
 * boot; a host test calls it again to start from scratch (the old state is
 * forgotten, not freed).  If the provider cannot supply the first pages,
 * it reports and kmalloc() keeps failing.
 */
void slab_init(const struct slab_page_provider *p);
/* The kernel's boot call (mm/heap.c): slab_init() with the buddy allocator
 * as provider.  Host tests call slab_init() with their own. */
void kmalloc_init(void);

/*
 * size: bytes per object, at least 1 and small enough that one object fits
 * a 32 KiB slab after its header (32000 does, 32768 does not); align: 0
 * (meaning SLAB_MIN_ALIGN) or a power of two up to 4096.  The name is
 * copied (31 characters kept).  NULL if out of memory or the arguments are
 * bad (reported).
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);
void *kmem_cache_alloc(struct kmem_cache *c);
void *kmem_cache_zalloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);
/* Refuses (and reports) while objects are allocated; NULL is a no-op. */
void kmem_cache_destroy(struct kmem_cache *c);
/* Give the cache's empty slab back to the provider; returns pages freed. */
unsigned long kmem_cache_shrink(struct kmem_cache *c);
void kmem_cache_get_info(const struct kmem_cache *c, struct kmem_cache_info *info);

void *kmalloc(size_t size, gfp_t flags);
void kfree(const void *ptr);
size_t ksize(const void *ptr);		/* usable bytes, >= the size asked for */
/* The cache kmalloc(size) uses; NULL for 0 or sizes over 2048. */
struct kmem_cache *kmalloc_slab(size_t size);

static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}

struct slab_stats slab_get_stats(void);
unsigned long slab_shrink_all(void);	/* kmem_cache_shrink() every cache */
void slab_dump(void);			/* one KERN_INFO line per cache, then totals */

#endif
