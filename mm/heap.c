/*
 * heap.c - connects the slab allocator (mm/slab.c, pure) to the page
 * allocator: slabs are buddy pages reached through the direct map, and a
 * page is marked PG_slab while the slab allocator owns it, which is how
 * kfree() tells a heap pointer from a foreign one without reading memory
 * that may not be mapped.
 *
 * Locking.  heap_lock is the heap's one lock: slab.c takes it, through the
 * provider's lock()/unlock(), around every kmalloc, kfree, kmem_cache_*
 * call and stats reader, so the caches' bitmaps, lists and counters change
 * on one CPU at a time.  It is taken with interrupts off
 * (spin_lock_irqsave) because interrupt handlers may kmalloc and kfree: a
 * handler interrupting a kmalloc on its own CPU would otherwise spin
 * forever on the lock the interrupted code holds.  (NMI handlers must never
 * use the heap: irqsave does not hold them off.)
 *
 * Lock order: heap_lock, then zone_lock.  slab.c calls heap_alloc_pages()
 * and heap_free_pages() with heap_lock held, and they take the page
 * allocator's zone_lock (mm/page_alloc.c) inside it.  Nothing may take
 * heap_lock while holding zone_lock - the page allocator never calls
 * kmalloc - or a CPU in kmalloc (heap, wanting zone) and one in a
 * zone_lock section that allocated (zone, wanting heap) would wait for
 * each other forever.  docs/locking.md has the whole order.
 *
 * PG_slab is changed only here, with heap_lock held, on pages the heap owns
 * (the buddy code never sets it, and refuses to free a page that still has
 * it).  So heap_owns(), also called with heap_lock held, reads a bit that
 * cannot change under it, even though a concurrent alloc_pages() on another
 * CPU may be rewriting the other flags of a free page it looks at.
 */
#include "mm/slab.h"
#include "mm/page_alloc.h"
#include "kernel/layout.h"
#include "kernel/spinlock.h"

/* every cache's slabs and lists, the cache list and the heap's counters */
static DEFINE_SPINLOCK(heap_lock);

static unsigned long heap_lock_irqsave(void)
{
	unsigned long flags;

	spin_lock_irqsave(&heap_lock, flags);
	return flags;
}

static void heap_unlock_irqrestore(unsigned long flags)
{
	spin_unlock_irqrestore(&heap_lock, flags);
}

/* PG_slab marks the first page of each block the heap holds: exactly the
 * addresses owns() must answer "yes" for (mm/slab.h). */
static void *heap_alloc_pages(unsigned order)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);

	if (!page)
		return NULL;
	page->flags |= PG_slab;
	return page_address(page);
}

static void heap_free_pages(void *addr, unsigned order)
{
	struct page *page = virt_to_page(addr);

	page->flags &= ~PG_slab;
	__free_pages(page, order);
}

/* Only page-aligned direct-map addresses of RAM frames can be heap blocks;
 * anything else is answered without reading it. */
static bool heap_owns(const void *addr)
{
	u64 va = (u64)addr;

	if (va & (PAGE_SIZE - 1))
		return false;
	if (va < PAGE_OFFSET || va >= PAGE_OFFSET + (max_pfn << PAGE_SHIFT))
		return false;
	/* READ_ONCE: the frame may be free and its flags rewritten right now
	 * by the buddy code; only PG_slab, which it never sets, matters */
	return READ_ONCE(virt_to_page(addr)->flags) & PG_slab;
}

/* slab.h restates these so it can stay pure; they must agree */
_Static_assert(SLAB_PAGE_SIZE == PAGE_SIZE, "slab and kernel page sizes differ");
_Static_assert(SLAB_MAX_ORDER <= MAX_ORDER, "slab asks for orders the buddy lacks");

static const struct slab_page_provider heap_provider = {
	.alloc_pages = heap_alloc_pages,
	.free_pages = heap_free_pages,
	.owns = heap_owns,
	.lock = heap_lock_irqsave,
	.unlock = heap_unlock_irqrestore,
};

void kmalloc_init(void)
{
	slab_init(&heap_provider);
	slab_dump();
}
