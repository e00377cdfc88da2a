/*
 * page_alloc.h - the kernel's page-frame allocator (Linux's API names).
 *
 * One zone covers all RAM; mem_map[] has a struct page per 4 KiB frame from
 * physical 0 to the end of RAM.  The buddy algorithm itself is in
 * mm/buddy.c (pure, host-tested); this is the kernel glue: the global zone,
 * physical/virtual/page conversions through the direct map, reference
 * counts, and the counters leak checks compare.
 *
 * Invariant: a frame handed out has _refcount >= 1; put_page() of the last
 * reference frees it.  Allocation failure returns NULL, never panics.
 */
#ifndef MM_PAGE_ALLOC_H
#define MM_PAGE_ALLOC_H

#include "kernel/types.h"
#include "kernel/layout.h"
#include "mm/buddy.h"
#include "mm/gfp.h"

extern struct zone mem_zone;
extern struct page *mem_map;
extern u64 max_pfn;

void page_alloc_init(void);

struct page *alloc_pages(gfp_t gfp, unsigned order);
void __free_pages(struct page *page, unsigned order);
void *get_free_pages(gfp_t gfp, unsigned order);
void free_pages(void *addr, unsigned order);
void *get_zeroed_page(gfp_t gfp);
void free_page(void *addr);
void get_page(struct page *page);
void put_page(struct page *page);

u64 nr_free_pages(void);
void show_free_areas(void);

static inline u64 page_to_pfn(const struct page *page) { return page - mem_map; }
static inline struct page *pfn_to_page(u64 pfn) { return &mem_map[pfn]; }
static inline phys_addr_t page_to_phys(const struct page *page)
{
	return page_to_pfn(page) << PAGE_SHIFT;
}
static inline struct page *phys_to_page(phys_addr_t pa) { return pfn_to_page(pa >> PAGE_SHIFT); }
static inline void *page_address(const struct page *page)
{
	return phys_to_virt(page_to_phys(page));
}
static inline struct page *virt_to_page(const void *va) { return phys_to_page(virt_to_phys(va)); }
bool pfn_valid(u64 pfn);

#endif
