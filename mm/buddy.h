/*
 * buddy.h - the buddy page-frame allocator's pure core: one zone of
 * physical 4 KiB frames, described by a caller-provided array of struct page
 * (the mem_map), handed out in naturally aligned blocks of 2^order frames.
 *
 * This file knows nothing about virtual addresses, locking or where the
 * mem_map lives; mm/page_alloc.c wraps one zone in the kernel's
 * alloc_pages()/page_address().  That keeps this core testable on the host
 * (tests/unit/test_buddy.c).
 *
 * Orders run from 0 to MAX_ORDER *inclusive*: MAX_ORDER is the largest order
 * (2^10 frames = 4 MiB), as in Linux 6.4+ (later renamed MAX_PAGE_ORDER).
 * Classic Linux had MAX_ORDER = 11 as an exclusive bound; same blocks.
 *
 * Every frame of the zone is in exactly one of three states:
 *   reserved   PG_reserved; never given to the allocator (firmware, kernel
 *              image, holes).  All frames start here; zone_free_range() is
 *              the only way out.
 *   free       part of a block on free_area[order]; the block's first frame
 *              (its head) has PG_buddy and page->order, the rest have neither.
 *   allocated  part of a block returned by zone_alloc_pages(); its head has
 *              PG_allocated and page->order = the order it was allocated with.
 *
 * Invariants (zone_check() verifies all of them):
 *   - a block of order n starts at a pfn that is a multiple of 2^n (absolute,
 *     not relative to base_pfn) and lies wholly inside the zone;
 *   - no two free blocks of the same order are buddies (they would have been
 *     merged);
 *   - free_area[n].nr_free is the length of free_area[n].free_list, and
 *     nr_free_pages is the sum of 2^n over all free blocks;
 *   - managed_pages = frames not reserved = free frames + allocated frames.
 *   - nr_alloc_calls - nr_failed - nr_free_calls = blocks allocated now.
 */
#ifndef MM_BUDDY_H
#define MM_BUDDY_H

#include "kernel/types.h"
#include "kernel/list.h"

#define MAX_ORDER	10		/* largest order, inclusive */
#define MAX_ORDER_NR_PAGES (1UL << MAX_ORDER)

/* page->flags */
#define PG_reserved	(1u << 0)	/* never given to the allocator */
#define PG_buddy	(1u << 1)	/* head of a free block */
#define PG_allocated	(1u << 2)	/* head of a block zone_alloc_pages() returned */
#define PG_slab		(1u << 3)	/* owned by the slab allocator */
#define PG_head		(1u << 4)	/* head of a compound (multi-page) object */

/*
 * Flags an owner must clear before giving a block back: freeing a page still
 * marked as slab or compound is almost always a use-after-free in the making.
 */
#define PAGE_FLAGS_CHECK_AT_FREE (PG_slab | PG_head)

struct page {
	struct list_head lru;	/* free_area link while PG_buddy; owner's otherwise */
	u32 flags;
	int _refcount;		/* 1 for allocated heads and reserved frames, else 0 */
	u8 order;		/* valid with PG_buddy or PG_allocated */
};
/* one per 4 KiB frame: 32 bytes is 0.8% of memory, so keep it from growing */
_Static_assert(sizeof(struct page) == 32, "struct page grew");

struct zone {
	u64 base_pfn;			/* first frame described by mem_map[0] */
	u64 spanned_pages;		/* mem_map entries, holes included */
	struct page *mem_map;
	struct free_area {
		struct list_head free_list;
		u64 nr_free;		/* blocks, not frames */
	} free_area[MAX_ORDER + 1];
	u64 managed_pages;		/* frames ever handed over by zone_free_range */
	u64 nr_free_pages;
	u64 nr_alloc_calls;		/* every zone_alloc_pages() call */
	u64 nr_free_calls;		/* successful zone_free_pages() calls only */
	u64 nr_failed;			/* zone_alloc_pages() calls that returned NULL */
};

void zone_init(struct zone *z, struct page *map, u64 base_pfn, u64 nr_pages);
void zone_free_range(struct zone *z, u64 pfn, u64 nr);
struct page *zone_alloc_pages(struct zone *z, unsigned order);
int zone_free_pages(struct zone *z, struct page *page, unsigned order);
u64 zone_nr_free(const struct zone *z);
void zone_dump(const struct zone *z);
bool zone_check(const struct zone *z);

static inline u64 zone_end_pfn(const struct zone *z)
{
	return z->base_pfn + z->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *z, u64 pfn)
{
	return pfn >= z->base_pfn && pfn < zone_end_pfn(z);
}

/* pfn must be inside the zone */
static inline struct page *zone_pfn_to_page(const struct zone *z, u64 pfn)
{
	return z->mem_map + (pfn - z->base_pfn);
}

/* page must be one of this zone's mem_map entries */
static inline u64 zone_page_to_pfn(const struct zone *z, const struct page *page)
{
	return z->base_pfn + (u64)(page - z->mem_map);
}

/* free blocks of one order (free_area[order].nr_free) */
static inline u64 zone_nr_free_blocks(const struct zone *z, unsigned order)
{
	return order <= MAX_ORDER ? z->free_area[order].nr_free : 0;
}

#endif
