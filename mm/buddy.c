/*
 * buddy.c - the buddy allocator's pure core (see buddy.h for the states a
 * frame can be in and the invariants zone_check() enforces).
 *
 * Free blocks of 2^n frames sit on free_area[n].  Allocation takes the
 * smallest block that fits and splits it, putting each unused upper half on
 * the list one order down.  Freeing does the reverse: while the block's buddy
 * (the other half of the block one order up) is also free and whole, take it
 * off its list and continue with the merged block.
 *
 * Buddies are computed on the absolute pfn, buddy = pfn ^ (1 << order), not
 * relative to base_pfn.  So block alignment is physical alignment (an order-9
 * block is a 2 MiB-aligned 2 MiB, which is what a huge mapping needs), and a
 * zone whose base is not a multiple of 2^MAX_ORDER simply has smaller blocks
 * near its edges: a buddy that would stick out of the zone is never merged
 * with, because merge_candidate() checks the buddy lies wholly inside it.
 *
 * Nothing here allocates or sleeps; the caller provides the mem_map and
 * does any locking.
 */
#define pr_fmt(fmt) "buddy: " fmt

#include "mm/buddy.h"
#include "kernel/printk.h"
#include "kernel/errno.h"

#define ZONE_STATE_FLAGS (PG_reserved | PG_buddy | PG_allocated)

static bool zone_spans_block(const struct zone *z, u64 pfn, unsigned order)
{
	return pfn >= z->base_pfn && pfn < zone_end_pfn(z) &&
	       (1UL << order) <= zone_end_pfn(z) - pfn;
}

/*
 * Compared as integers, not pointers: a page from another zone's mem_map is
 * a different array, and C only defines pointer comparison within one.
 */
static bool zone_owns_page(const struct zone *z, const struct page *page)
{
	uintptr_t p = (uintptr_t)page, m = (uintptr_t)z->mem_map;

	return p >= m && p - m < z->spanned_pages * sizeof(struct page) &&
	       (p - m) % sizeof(struct page) == 0;
}

static void add_to_free_area(struct zone *z, struct page *page, unsigned order)
{
	struct free_area *area = &z->free_area[order];

	/* flags are overwritten: whatever an earlier owner left no longer applies */
	page->flags = PG_buddy;
	page->order = (u8)order;
	page->_refcount = 0;
	list_add(&page->lru, &area->free_list);
	area->nr_free++;
	z->nr_free_pages += 1UL << order;
}

static void del_from_free_area(struct zone *z, struct page *page, unsigned order)
{
	struct free_area *area = &z->free_area[order];

	list_del_init(&page->lru);
	page->flags &= ~PG_buddy;
	area->nr_free--;
	z->nr_free_pages -= 1UL << order;
}

/* the free buddy of the order-n block at pfn, or NULL if it cannot merge */
static struct page *merge_candidate(const struct zone *z, u64 pfn, unsigned order)
{
	u64 buddy_pfn = pfn ^ (1UL << order);
	struct page *buddy;

	if (!zone_spans_block(z, buddy_pfn, order))
		return NULL;
	buddy = zone_pfn_to_page(z, buddy_pfn);
	/* a free block of another order is not our buddy, only part of it or bigger */
	if (!(buddy->flags & PG_buddy) || buddy->order != order)
		return NULL;
	return buddy;
}

/* put a whole, naturally aligned block on the free lists, merging upwards */
static void __free_one_page(struct zone *z, u64 pfn, unsigned order)
{
	struct page *buddy;

	while (order < MAX_ORDER && (buddy = merge_candidate(z, pfn, order))) {
		del_from_free_area(z, buddy, order);
		pfn &= ~(1UL << order);		/* the merged block starts at the lower half */
		order++;
	}
	add_to_free_area(z, zone_pfn_to_page(z, pfn), order);
}

void zone_init(struct zone *z, struct page *map, u64 base_pfn, u64 nr_pages)
{
	unsigned order;

	*z = (struct zone){
		.base_pfn = base_pfn,
		.spanned_pages = nr_pages,
		.mem_map = map,
	};
	for (order = 0; order <= MAX_ORDER; order++)
		INIT_LIST_HEAD(&z->free_area[order].free_list);
	/* Linux's convention: a reserved frame counts as in use, refcount 1 */
	for (u64 i = 0; i < nr_pages; i++) {
		INIT_LIST_HEAD(&map[i].lru);
		map[i].flags = PG_reserved;
		map[i]._refcount = 1;
		map[i].order = 0;
	}
}

/* the largest order whose block starts at pfn (aligned) and fits in n frames */
static unsigned block_order_at(u64 pfn, u64 n)
{
	unsigned order = pfn ? (unsigned)__builtin_ctzll(pfn) : MAX_ORDER;

	if (order > MAX_ORDER)
		order = MAX_ORDER;
	while ((1UL << order) > n)
		order--;
	return order;
}

/* hand over [pfn, pfn + n), all PG_reserved, as the largest aligned blocks */
static void free_reserved_run(struct zone *z, u64 pfn, u64 n)
{
	for (u64 i = 0; i < n; i++) {
		struct page *page = zone_pfn_to_page(z, pfn + i);

		page->flags = 0;
		page->_refcount = 0;
	}
	z->managed_pages += n;
	while (n) {
		unsigned order = block_order_at(pfn, n);

		__free_one_page(z, pfn, order);
		pfn += 1UL << order;
		n -= 1UL << order;
	}
}

/* frames from pfn on with the same reserved-ness as pfn, at most n */
static u64 same_state_run(const struct zone *z, u64 pfn, u64 n)
{
	bool reserved = zone_pfn_to_page(z, pfn)->flags & PG_reserved;
	u64 len = 1;

	while (len < n &&
	       !!(zone_pfn_to_page(z, pfn + len)->flags & PG_reserved) == reserved)
		len++;
	return len;
}

void zone_free_range(struct zone *z, u64 pfn, u64 nr)
{
	u64 end = zone_end_pfn(z);

	if (nr && pfn < z->base_pfn) {
		u64 skip = MIN(nr, z->base_pfn - pfn);

		pr_err("free_range: pfns %#lx+%#lx below zone start %#lx, skipped\n",
		       (unsigned long)pfn, (unsigned long)skip, (unsigned long)z->base_pfn);
		pfn += skip;
		nr -= skip;
	}
	if (nr && (pfn >= end || nr > end - pfn)) {
		u64 keep = pfn >= end ? 0 : end - pfn;

		pr_err("free_range: pfns %#lx+%#lx beyond zone end %#lx, skipped\n",
		       (unsigned long)(pfn + keep), (unsigned long)(nr - keep),
		       (unsigned long)end);
		nr = keep;
	}
	while (nr) {
		u64 run = same_state_run(z, pfn, nr);

		if (zone_pfn_to_page(z, pfn)->flags & PG_reserved)
			free_reserved_run(z, pfn, run);
		else
			pr_err("free_range: pfns %#lx+%#lx already belong to the allocator, skipped\n",
			       (unsigned long)pfn, (unsigned long)run);
		pfn += run;
		nr -= run;
	}
}

/* split a free block of order high down to low, freeing the upper halves */
static void expand(struct zone *z, struct page *page, unsigned low, unsigned high)
{
	while (high > low) {
		high--;
		add_to_free_area(z, page + (1UL << high), high);
	}
}

struct page *zone_alloc_pages(struct zone *z, unsigned order)
{
	struct page *page;
	unsigned o;

	z->nr_alloc_calls++;
	if (order > MAX_ORDER) {
		pr_err("alloc: order %u > MAX_ORDER %u\n", order, MAX_ORDER);
		z->nr_failed++;
		return NULL;
	}
	for (o = order; o <= MAX_ORDER; o++)
		if (!list_empty(&z->free_area[o].free_list))
			break;
	if (o > MAX_ORDER) {
		z->nr_failed++;
		return NULL;
	}
	page = list_first_entry(&z->free_area[o].free_list, struct page, lru);
	del_from_free_area(z, page, o);
	expand(z, page, order, o);
	/* the order is kept so that a free with a different one is caught */
	page->flags = PG_allocated;
	page->order = (u8)order;
	page->_refcount = 1;
	return page;
}

/* why page cannot be freed as an order-n block, or NULL if it can */
static const char *bad_free_reason(const struct zone *z, const struct page *page,
				   unsigned order)
{
	u64 pfn = zone_page_to_pfn(z, page);

	if (order > MAX_ORDER)
		return "order > MAX_ORDER";
	if (pfn & ((1UL << order) - 1))
		return "pfn not aligned to the order";
	if (page->flags & PG_reserved)
		return "frame is reserved, never allocated";
	if (page->flags & PG_buddy)
		return "double free: the block is already free";
	if (!(page->flags & PG_allocated))
		return "not the head of an allocated block (double free or tail page?)";
	if (page->order != order)
		return "order differs from the allocation's";
	if (page->flags & PAGE_FLAGS_CHECK_AT_FREE)
		return "PG_slab or PG_head still set";
	return NULL;
}

int zone_free_pages(struct zone *z, struct page *page, unsigned order)
{
	const char *why;

	if (!page || !zone_owns_page(z, page)) {
		pr_err("free: page %p (order %u) is not in zone pfn %#lx-%#lx\n",
		       (void *)page, order, (unsigned long)z->base_pfn,
		       (unsigned long)zone_end_pfn(z));
		return -EINVAL;
	}
	why = bad_free_reason(z, page, order);
	if (why) {
		pr_err("free: pfn %#lx order %u (allocated order %u, flags %#x): %s\n",
		       (unsigned long)zone_page_to_pfn(z, page), order,
		       page->order, page->flags, why);
		return -EINVAL;
	}
	page->flags = 0;
	page->_refcount = 0;
	__free_one_page(z, zone_page_to_pfn(z, page), order);
	z->nr_free_calls++;
	return 0;
}

u64 zone_nr_free(const struct zone *z)
{
	return z->nr_free_pages;
}

void zone_dump(const struct zone *z)
{
	const struct free_area *a = z->free_area;

	pr_info("zone pfn %#lx-%#lx managed %lu free %lu; free blocks by order 0-10: "
		"%lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu\n",
		(unsigned long)z->base_pfn, (unsigned long)zone_end_pfn(z),
		(unsigned long)z->managed_pages, (unsigned long)z->nr_free_pages,
		(unsigned long)a[0].nr_free, (unsigned long)a[1].nr_free,
		(unsigned long)a[2].nr_free, (unsigned long)a[3].nr_free,
		(unsigned long)a[4].nr_free, (unsigned long)a[5].nr_free,
		(unsigned long)a[6].nr_free, (unsigned long)a[7].nr_free,
		(unsigned long)a[8].nr_free, (unsigned long)a[9].nr_free,
		(unsigned long)a[10].nr_free);
}
_Static_assert(MAX_ORDER == 10, "zone_dump prints exactly 11 orders");

/* ------------------------------------------------------------ zone_check */

/* one free-list entry: linked sanely, marked free with this order, in place */
static bool check_free_block(const struct zone *z, const struct page *page,
			     unsigned order)
{
	u64 pfn;

	if (page->lru.next->prev != &page->lru || page->lru.prev->next != &page->lru) {
		pr_err("check: order %u list is corrupt at %p\n", order, (const void *)page);
		return false;
	}
	if (!zone_owns_page(z, page)) {
		pr_err("check: order %u list holds %p, not in the zone\n",
		       order, (const void *)page);
		return false;
	}
	pfn = zone_page_to_pfn(z, page);
	if (!(page->flags & PG_buddy) || page->order != order ||
	    (page->flags & (PG_reserved | PG_allocated))) {
		pr_err("check: pfn %#lx on order %u list has flags %#x order %u\n",
		       (unsigned long)pfn, order, page->flags, page->order);
		return false;
	}
	if ((pfn & ((1UL << order) - 1)) || !zone_spans_block(z, pfn, order)) {
		pr_err("check: free pfn %#lx order %u misaligned or outside the zone\n",
		       (unsigned long)pfn, order);
		return false;
	}
	if (order < MAX_ORDER && merge_candidate(z, pfn, order)) {
		pr_err("check: free pfn %#lx order %u and its buddy were not merged\n",
		       (unsigned long)pfn, order);
		return false;
	}
	return true;
}

static bool check_free_lists(const struct zone *z)
{
	u64 pages = 0;

	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		const struct list_head *head = &z->free_area[order].free_list, *l;
		u64 n = 0;

		for (l = head->next; l != head; l = l->next) {
			/* more entries than frames: the list loops without its head */
			if (++n > z->spanned_pages) {
				pr_err("check: order %u list does not end\n", order);
				return false;
			}
			if (!check_free_block(z, list_entry(l, struct page, lru), order))
				return false;
		}
		if (n != z->free_area[order].nr_free) {
			pr_err("check: order %u list has %lu blocks, nr_free says %lu\n",
			       order, (unsigned long)n,
			       (unsigned long)z->free_area[order].nr_free);
			return false;
		}
		pages += n << order;
	}
	if (pages != z->nr_free_pages) {
		pr_err("check: free lists hold %lu frames, nr_free_pages says %lu\n",
		       (unsigned long)pages, (unsigned long)z->nr_free_pages);
		return false;
	}
	return true;
}

struct map_census {
	u64 reserved, free, allocated;		/* frames */
	u64 free_blocks[MAX_ORDER + 1], allocated_blocks;
};

/* the block headed by pfn (PG_buddy or PG_allocated): whole, aligned, alone */
static bool check_block(const struct zone *z, u64 pfn, struct map_census *c)
{
	const struct page *page = zone_pfn_to_page(z, pfn);
	bool is_free = page->flags & PG_buddy;
	unsigned order = page->order;

	if (is_free == !!(page->flags & PG_allocated)) {
		pr_err("check: pfn %#lx flags %#x: %s\n", (unsigned long)pfn, page->flags,
		       is_free ? "both free and allocated" : "in no block (leaked frame)");
		return false;
	}
	if (order > MAX_ORDER || (pfn & ((1UL << order) - 1)) ||
	    !zone_spans_block(z, pfn, order)) {
		pr_err("check: block pfn %#lx order %u misaligned or outside the zone\n",
		       (unsigned long)pfn, order);
		return false;
	}
	for (u64 i = 1; i < (1UL << order); i++) {
		if (page[i].flags & ZONE_STATE_FLAGS) {
			pr_err("check: pfn %#lx (flags %#x) overlaps the order-%u block at %#lx\n",
			       (unsigned long)(pfn + i), page[i].flags, order,
			       (unsigned long)pfn);
			return false;
		}
	}
	if (is_free) {
		c->free += 1UL << order;
		c->free_blocks[order]++;
	} else {
		c->allocated += 1UL << order;
		c->allocated_blocks++;
	}
	return true;
}

static bool check_census(const struct zone *z, const struct map_census *c)
{
	u64 outstanding = z->nr_alloc_calls - z->nr_failed - z->nr_free_calls;

	for (unsigned order = 0; order <= MAX_ORDER; order++) {
		if (c->free_blocks[order] != z->free_area[order].nr_free) {
			pr_err("check: mem_map has %lu free order-%u blocks, lists %lu\n",
			       (unsigned long)c->free_blocks[order], order,
			       (unsigned long)z->free_area[order].nr_free);
			return false;
		}
	}
	if (c->free != z->nr_free_pages ||
	    c->free + c->allocated != z->managed_pages ||
	    c->reserved + z->managed_pages != z->spanned_pages ||
	    c->allocated_blocks != outstanding) {
		pr_err("check: frames free %lu allocated %lu reserved %lu, blocks allocated %lu; "
		       "zone says free %lu managed %lu spanned %lu, outstanding %lu\n",
		       (unsigned long)c->free, (unsigned long)c->allocated,
		       (unsigned long)c->reserved, (unsigned long)c->allocated_blocks,
		       (unsigned long)z->nr_free_pages, (unsigned long)z->managed_pages,
		       (unsigned long)z->spanned_pages, (unsigned long)outstanding);
		return false;
	}
	return true;
}

/* walk the mem_map in pfn order, block by block, and count what is where */
static bool check_mem_map(const struct zone *z)
{
	struct map_census c = { 0 };
	u64 pfn = z->base_pfn;

	while (pfn < zone_end_pfn(z)) {
		const struct page *page = zone_pfn_to_page(z, pfn);

		if (page->flags & PG_reserved) {
			if (page->flags & (PG_buddy | PG_allocated)) {
				pr_err("check: reserved pfn %#lx has flags %#x\n",
				       (unsigned long)pfn, page->flags);
				return false;
			}
			c.reserved++;
			pfn++;
			continue;
		}
		if (!check_block(z, pfn, &c))
			return false;
		pfn += 1UL << page->order;
	}
	return check_census(z, &c);
}

bool zone_check(const struct zone *z)
{
	return check_free_lists(z) && check_mem_map(z);
}
