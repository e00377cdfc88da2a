/*
 * page_alloc.c - the global zone over all RAM, and frame reference counts.
 *
 * page_alloc_init() runs once the final direct map covers all RAM
 * (mm/init.c): it takes mem_map from memblock, then hands every free
 * memblock range (memory minus reserved) to the buddy allocator.
 * From then on memblock is frozen; every frame is either reserved forever or
 * owned by the buddy allocator.
 *
 * Locking.  zone_lock guards mem_zone: its free lists, its counters and the
 * flags/order/_refcount of every frame the buddy code is handling (free
 * blocks, and a block while it is being split off or merged back).  The
 * buddy core (mm/buddy.c) does no locking itself; every call into it from
 * here holds zone_lock.  Without it, two CPUs in alloc_pages() can take the
 * same block off free_area[n] (both read the same list head before either
 * unlinks it) and hand one frame to two owners, and a free merging with a
 * buddy that a concurrent alloc is splitting off corrupts the lists.
 *
 * zone_lock is taken with interrupts off (spin_lock_irqsave) because
 * interrupt handlers may allocate and free frames (directly, or through
 * kmalloc): a handler arriving on the CPU that holds zone_lock would spin
 * forever on it.  It is the innermost lock of mm/: the heap lock (mm/heap.c)
 * and kstack_lock (mm/kstack.c) are held while taking it, never the other
 * way round, and nothing under it takes another lock except printk's (see
 * the lock order in docs/locking.md).  Work that need not be inside - the
 * __GFP_ZERO memset, the dump_stack() after a refused free, printing the
 * free areas - is done after dropping it, so the time other CPUs spin (and
 * this CPU runs with interrupts off) stays a few list operations long.
 *
 * nr_free_pages() reads one counter without the lock (READ_ONCE): the value
 * is stale the moment it is returned anyway.
 *
 * Reference counts are not under zone_lock: get_page()/put_page() on an
 * allocated frame are single atomic instructions (LOCK XADD / CMPXCHG), so
 * two CPUs dropping the last two references cannot both see 1 and both
 * free the frame (or neither free it).  The atomic is a full barrier, so
 * the CPU that frees sees every store the other holders made before their
 * put_page().
 */
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/stacktrace.h"
#include "kernel/spinlock.h"

struct zone mem_zone;
/* mem_zone's lists, counters and the state of the frames in them (above) */
static DEFINE_SPINLOCK(zone_lock);
struct page *mem_map;
u64 max_pfn;

bool pfn_valid(u64 pfn)
{
	return mem_map && pfn < max_pfn;
}

/* Hand the gaps between reserved regions inside one memory region over. */
static void free_memory_region(phys_addr_t base, phys_addr_t end)
{
	for (unsigned int r = 0; r <= memblock.reserved.cnt && base < end; r++) {
		phys_addr_t rbase = end, rend = end;

		if (r < memblock.reserved.cnt) {
			rbase = memblock.reserved.regions[r].base;
			rend = rbase + memblock.reserved.regions[r].size;
		}
		if (rend <= base)
			continue;
		if (rbase > base) {
			unsigned long flags;

			/* boot, one CPU: the lock is for the rule, not a race */
			spin_lock_irqsave(&zone_lock, flags);
			zone_free_range(&mem_zone, base >> PAGE_SHIFT,
					(MIN(rbase, end) - base) >> PAGE_SHIFT);
			spin_unlock_irqrestore(&zone_lock, flags);
		}
		base = MAX(base, rend);
	}
}

void page_alloc_init(void)
{
	u64 map_bytes;
	phys_addr_t map_pa;

	max_pfn = memblock_end_of_ram() >> PAGE_SHIFT;
	map_bytes = max_pfn * sizeof(struct page);
	map_pa = memblock_alloc(map_bytes, PAGE_SIZE, ~0ULL);
	if (!map_pa)
		panic("page_alloc_init: no memory for mem_map (%lu bytes)", map_bytes);
	mem_map = phys_to_virt(map_pa);
	memset(mem_map, 0, map_bytes);
	zone_init(&mem_zone, mem_map, 0, max_pfn);

	for (unsigned int m = 0; m < memblock.memory.cnt; m++)
		free_memory_region(memblock.memory.regions[m].base,
				   memblock.memory.regions[m].base +
				   memblock.memory.regions[m].size);
	pr_info("mm: mem_map %lu KiB at %#lx for %lu frames\n",
		(unsigned long)(map_bytes >> 10), (unsigned long)map_pa,
		(unsigned long)max_pfn);
	show_free_areas();
}

struct page *alloc_pages(gfp_t gfp, unsigned order)
{
	struct page *page;
	unsigned long flags;

	spin_lock_irqsave(&zone_lock, flags);
	page = zone_alloc_pages(&mem_zone, order);
	if (page)
		page->_refcount = 1;
	spin_unlock_irqrestore(&zone_lock, flags);
	if (!page)
		return NULL;
	/* the block is ours alone now: clear it without holding up others */
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

void __free_pages(struct page *page, unsigned order)
{
	unsigned long flags;
	int err;

	spin_lock_irqsave(&zone_lock, flags);
	err = zone_free_pages(&mem_zone, page, order);
	spin_unlock_irqrestore(&zone_lock, flags);
	/* a refused free (double free, wrong order...) was reported by the
	 * buddy code; show who did it and leave the page as it was */
	if (err)
		dump_stack();
}

void *get_free_pages(gfp_t gfp, unsigned order)
{
	struct page *page = alloc_pages(gfp, order);

	return page ? page_address(page) : NULL;
}

void free_pages(void *addr, unsigned order)
{
	if (addr)
		__free_pages(virt_to_page(addr), order);
}

void *get_zeroed_page(gfp_t gfp)
{
	return get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_page(void *addr)
{
	free_pages(addr, 0);
}

/* _refcount is a plain int in struct page (buddy.h keeps it 32 bytes and
 * pure), so the GCC builtins do what atomic_t's helpers would: LOCK XADD. */
void get_page(struct page *page)
{
	__atomic_add_fetch(&page->_refcount, 1, __ATOMIC_SEQ_CST);
}

/*
 * Decrement only from a positive count, in one CMPXCHG: checking first and
 * decrementing after would let two CPUs dropping the last reference both
 * pass the check, one free the frame and the other drive the count to -1
 * (or both see 0 and free it twice).  An underflow is reported and the
 * count left as it was, as before.
 */
void put_page(struct page *page)
{
	int old = __atomic_load_n(&page->_refcount, __ATOMIC_RELAXED);

	do {
		if (old <= 0) {
			pr_err("put_page: pfn %#lx has refcount %d\n",
			       (unsigned long)page_to_pfn(page), old);
			dump_stack();
			return;
		}
	} while (!__atomic_compare_exchange_n(&page->_refcount, &old, old - 1,
					      false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (old == 1)
		__free_pages(page, 0);
}

u64 nr_free_pages(void)
{
	return READ_ONCE(mem_zone.nr_free_pages);
}

/* zone_dump() reads only counters, so print a copy taken under the lock:
 * one consistent picture, and no printing with interrupts off. */
void show_free_areas(void)
{
	struct zone snap;		/* about 330 bytes of stack */
	unsigned long flags;

	spin_lock_irqsave(&zone_lock, flags);
	snap = mem_zone;
	spin_unlock_irqrestore(&zone_lock, flags);
	zone_dump(&snap);
}
