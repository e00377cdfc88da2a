/*
 * page_alloc.c - the global zone over all RAM, and frame reference counts.
 *
 * page_alloc_init() runs once the final direct map covers all RAM
 * (mm/init.c): it takes mem_map from memblock, then hands every free
 * memblock range (memory minus reserved) to the buddy allocator.
 * From then on memblock is frozen; every frame is either reserved forever or
 * owned by the buddy allocator.
 */
#include "mm/page_alloc.h"
#include "mm/memblock.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/string.h"
#include "kernel/stacktrace.h"

struct zone mem_zone;
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
		if (rbase > base)
			zone_free_range(&mem_zone, base >> PAGE_SHIFT,
					(MIN(rbase, end) - base) >> PAGE_SHIFT);
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
	struct page *page = zone_alloc_pages(&mem_zone, order);

	if (!page)
		return NULL;
	page->_refcount = 1;
	if (gfp & __GFP_ZERO)
		memset(page_address(page), 0, PAGE_SIZE << order);
	return page;
}

void __free_pages(struct page *page, unsigned order)
{
	/* a refused free (double free, wrong order...) was reported by the
	 * buddy code; show who did it and leave the page as it was */
	if (zone_free_pages(&mem_zone, page, order))
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

void get_page(struct page *page)
{
	page->_refcount++;
}

void put_page(struct page *page)
{
	if (page->_refcount <= 0) {
		pr_err("put_page: pfn %#lx has refcount %d\n",
		       (unsigned long)page_to_pfn(page), page->_refcount);
		dump_stack();
		return;
	}
	if (--page->_refcount == 0)
		__free_pages(page, 0);
}

u64 nr_free_pages(void)
{
	return zone_nr_free(&mem_zone);
}

void show_free_areas(void)
{
	zone_dump(&mem_zone);
}
