/*
 * heap.c - connects the slab allocator (mm/slab.c, pure) to the page
 * allocator: slabs are buddy pages reached through the direct map, and a
 * page is marked PG_slab while the slab allocator owns it, which is how
 * kfree() tells a heap pointer from a foreign one without reading memory
 * that may not be mapped.
 */
#include "mm/slab.h"
#include "mm/page_alloc.h"
#include "kernel/layout.h"

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
	return virt_to_page(addr)->flags & PG_slab;
}

/* slab.h restates these so it can stay pure; they must agree */
_Static_assert(SLAB_PAGE_SIZE == PAGE_SIZE, "slab and kernel page sizes differ");
_Static_assert(SLAB_MAX_ORDER <= MAX_ORDER, "slab asks for orders the buddy lacks");

static const struct slab_page_provider heap_provider = {
	.alloc_pages = heap_alloc_pages,
	.free_pages = heap_free_pages,
	.owns = heap_owns,
};

void kmalloc_init(void)
{
	slab_init(&heap_provider);
	slab_dump();
}
