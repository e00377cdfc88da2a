/*
 * slab.c - object caches on slabs, and kmalloc on top of them.
 *
 * A slab is one block of 2^order pages from the page provider, aligned to
 * its size, laid out as
 *
 *     | struct slab | bitmap | pad | obj 0 | obj 1 | ... | obj n-1 | waste |
 *     ^ block start
 *
 * so the header of the slab holding a pointer is found by rounding the
 * pointer down to the block size.  A kmalloc bigger than 2048 bytes gets a
 * block of its own, starting with a 16-byte struct large_hdr; the caller's
 * pointer is just after it.  Both headers begin with the same struct
 * block_head {magic, order}, so find_block() maps any pointer back to its
 * block by trying each order k: the block holding p, if it has order k,
 * starts at p rounded down to 4 KiB << k.  The provider's owns() hook says
 * whether a candidate address really starts a block of ours before the
 * header there is read.
 *
 * Invariants:
 *  - bit i of slab->bitmap is set iff object i is allocated (bits past the
 *    last object stay clear); slab->inuse counts the allocated objects.
 *    The bitmap is the free list: allocation takes the lowest clear bit.
 *    Keeping no separate free list means the whole free object can hold
 *    poison (no link pointer inside it), and a double free, seen as a clear
 *    bit, can never hand one object out twice.
 *  - a slab is on exactly one of its cache's lists: slabs_full (inuse == n),
 *    slabs_partial (0 < inuse < n) or slabs_free (inuse == 0).  A cache
 *    keeps at most one empty slab, so freeing and reallocating one object
 *    does not bounce a page through the provider; further empty slabs go
 *    back at once.
 *  - every byte of a free object slot holds POISON_FREE.
 *  - heap.stats.pages is exactly what the provider has handed us.
 *
 * The caches' own struct kmem_cache objects come from the cache
 * "kmem_cache", whose struct is static (Linux bootstraps the same way).
 *
 * Locking.  One lock, the provider's lock()/unlock() (mm/heap.c: the
 * spinlock heap_lock, irqsave), guards all of the state above: every
 * cache's lists, bitmaps and counters, the cache list and heap.stats.
 * Without it, two CPUs in kmem_cache_alloc() can both find the same lowest
 * clear bit in take_slot() and hand one object to two callers, and two
 * kfree()s of objects in one slab can both see inuse == 1 and release the
 * slab while it still holds an object.  It is one lock rather than one per
 * cache because every allocation and free also updates heap.stats, so a
 * per-cache lock would still need a global one on every call; Linux
 * scales this with per-CPU object caches, which are not here yet.
 *
 * Each public function takes the lock once at its entry and drops it on
 * its way out; the work is done by the static __ functions, which expect
 * it held and only call each other (the lock is not recursive: a public
 * function calling another public one would deadlock, or with spinlock
 * debugging panic with "spinlock recursion").  kmalloc_slab() takes no
 * lock: it reads only heap.ready and kmalloc_caches[], written once by
 * slab_init() before anyone else can use the heap.
 *
 * With the lock held the heap calls the provider's alloc_pages(),
 * free_pages() and owns(); so the heap lock comes before the page
 * allocator's zone_lock in the lock order (docs/locking.md).  Misuse
 * reports are printed with it held, through printk, which takes only the
 * log buffer's lock and never allocates, so a report cannot come back into
 * the heap.  Zeroing for kzalloc()/__GFP_ZERO and kmem_cache_zalloc() is
 * done after the lock is dropped: the object is the caller's by then, and
 * clearing a 4 MiB kmalloc with the lock held would stall every other
 * CPU's kmalloc (and this CPU's interrupts) for the whole memset.  Poison
 * is written and checked under the lock: a free must poison its object
 * before the slot can be handed out again, and the check's report updates
 * heap.stats.errors.
 */
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#endif
#include "mm/slab.h"
#include "kernel/list.h"
#include "kernel/printk.h"

#define SLAB_MAGIC		0x51ab51abU
#define LARGE_MAGIC		0xb16b10c5U
#define CACHE_MAGIC		0xcac4e0c5U
#define SLAB_MAX_CACHE_ORDER	3	/* slabs of one cache: at most 32 KiB */
#define KMALLOC_NR_CLASSES	8	/* 16 .. 2048 */
#define CACHE_NAME_LEN		32

#define CACHE_KMALLOC		0x1	/* kfree() may free its objects */
#define CACHE_PERMANENT		0x2	/* kmem_cache_destroy() refuses it */

#define BITS_PER_LONG		64
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/* The first bytes of every block we hold: a slab or a large kmalloc. */
struct block_head {
	u32 magic;			/* SLAB_MAGIC or LARGE_MAGIC; 0 once freed */
	u32 order;
};

struct slab {
	struct block_head head;
	struct kmem_cache *cache;
	struct list_head list;		/* on one of cache->slabs_* */
	unsigned int inuse;
	unsigned long bitmap[];		/* bit i set: object i is allocated */
};

struct large_hdr {
	struct block_head head;
	u64 unused;			/* keeps the caller's pointer 16-aligned */
};
_Static_assert(sizeof(struct large_hdr) == KMALLOC_LARGE_HEADER,
	       "large kmalloc header size");

struct kmem_cache {
	u32 magic;			/* CACHE_MAGIC; poison once destroyed */
	unsigned int flags;
	char name[CACHE_NAME_LEN];
	size_t object_size;
	size_t size;			/* slot: object_size rounded up to align */
	size_t align;
	size_t obj_offset;		/* object 0, from the slab start */
	unsigned int order;
	unsigned int objs_per_slab;
	struct list_head slabs_full, slabs_partial, slabs_free;
	unsigned long nr_slabs, nr_empty_slabs, active_objs;
	struct list_head list;		/* on heap.caches */
};

/* All of the heap's state: the provider, the cache list and the counters. */
static struct {
	struct slab_page_provider provider;
	bool ready;			/* kmalloc caches exist */
	struct list_head caches;
	struct kmem_cache cache_cache;	/* where struct kmem_caches come from */
	struct kmem_cache *kmalloc_caches[KMALLOC_NR_CLASSES];
	struct slab_stats stats;
} heap;

/*
 * Every misuse report goes through here, so stats.errors counts them.
 * Called with the heap lock held (except slab_init()'s "no page provider",
 * when there is no lock yet): pr_err() must not, and does not, allocate.
 */
#define slab_err(fmt, ...) do {						\
	heap.stats.errors++;						\
	pr_err(fmt, ##__VA_ARGS__);					\
} while (0)

static size_t block_bytes(unsigned int order)
{
	return SLAB_PAGE_SIZE << order;
}

/* The heap lock: the provider's, or none.  Returns what unlock wants back. */
static unsigned long slab_lock(void)
{
	return heap.provider.lock ? heap.provider.lock() : 0;
}

static void slab_unlock(unsigned long flags)
{
	if (heap.provider.unlock)
		heap.provider.unlock(flags);
}

/* ------------------------------------------------------------ blocks */

static void *get_block(unsigned int order)
{
	void *p = heap.provider.alloc_pages(order);

	/* find_block() relies on natural alignment; with a misaligned block
	 * every later free would look foreign, so refuse it now */
	if (p && ((uintptr_t)p & (block_bytes(order) - 1))) {
		slab_err("slab: provider returned %p, not aligned for order %u\n",
			 p, order);
		heap.provider.free_pages(p, order);
		return NULL;
	}
	if (p)
		heap.stats.pages += 1UL << order;
	return p;
}

static void put_block(void *p, unsigned int order)
{
	/* a stale pointer into the block must not find a header any more */
	((struct block_head *)p)->magic = 0;
	heap.stats.pages -= 1UL << order;
	heap.provider.free_pages(p, order);
}

/* The header of the block holding ptr, or NULL if no block of ours does. */
static struct block_head *find_block(const void *ptr)
{
	for (unsigned int order = 0; order <= SLAB_MAX_ORDER; order++) {
		uintptr_t base = ALIGN_DOWN((uintptr_t)ptr, block_bytes(order));
		struct block_head *h = (struct block_head *)base;

		if (heap.provider.owns && !heap.provider.owns(h))
			continue;
		/* order must match: a smaller block at base ends before ptr */
		if ((h->magic == SLAB_MAGIC || h->magic == LARGE_MAGIC) &&
		    h->order == order)
			return h;
	}
	return NULL;
}

/* ------------------------------------------------------------ slabs */

static bool obj_allocated(const struct slab *s, unsigned int i)
{
	return s->bitmap[i / BITS_PER_LONG] & (1UL << (i % BITS_PER_LONG));
}

static void *slab_obj(const struct kmem_cache *c, struct slab *s, unsigned int i)
{
	return (char *)s + c->obj_offset + (size_t)i * c->size;
}

static size_t slab_header_size(unsigned int nr)
{
	return sizeof(struct slab) + BITS_TO_LONGS(nr) * sizeof(unsigned long);
}

/* How many slots fit in `bytes` after the header; *offset gets object 0's. */
static unsigned int slab_capacity(size_t bytes, size_t size, size_t align,
				  size_t *offset)
{
	unsigned int nr = (bytes - sizeof(struct slab)) / size;

	/* the bitmap grows with nr, so shrink nr until everything fits */
	for (; nr > 0; nr--) {
		size_t off = ALIGN_UP(slab_header_size(nr), align);

		if (off + (size_t)nr * size <= bytes) {
			*offset = off;
			return nr;
		}
	}
	return 0;
}

/*
 * Pick the slab order: the smallest that wastes at most 1/8 of the slab,
 * else the one wasting the smallest fraction.  kmalloc-1024 and -2048 end
 * up with 8 and 16 KiB slabs; a 4 KiB one would hold 3 or 1 objects.
 */
static bool cache_layout(struct kmem_cache *c)
{
	size_t best_waste = 0, best_bytes = 0;

	for (unsigned int order = 0; order <= SLAB_MAX_CACHE_ORDER; order++) {
		size_t bytes = block_bytes(order), off, waste;
		unsigned int nr = slab_capacity(bytes, c->size, c->align, &off);

		if (!nr)
			continue;
		waste = bytes - (size_t)nr * c->size;
		if (!best_bytes || waste * best_bytes < best_waste * bytes) {
			best_waste = waste;
			best_bytes = bytes;
			c->order = order;
			c->objs_per_slab = nr;
			c->obj_offset = off;
		}
		if (waste * 8 <= bytes)
			break;
	}
	return best_bytes != 0;
}

static struct slab *new_slab(struct kmem_cache *c)
{
	struct slab *s = get_block(c->order);
	unsigned int nr = c->objs_per_slab;

	if (!s)
		return NULL;
	s->head.magic = SLAB_MAGIC;
	s->head.order = c->order;
	s->cache = c;
	s->inuse = 0;
	INIT_LIST_HEAD(&s->list);
	memset(s->bitmap, 0, BITS_TO_LONGS(nr) * sizeof(unsigned long));
	memset(slab_obj(c, s, 0), POISON_FREE, (size_t)nr * c->size);
	c->nr_slabs++;
	return s;
}

static void release_slab(struct kmem_cache *c, struct slab *s)
{
	list_del(&s->list);
	c->nr_slabs--;
	put_block(s, c->order);
}

/* Put s on the list its fill level says. */
static void slab_relist(struct kmem_cache *c, struct slab *s)
{
	struct list_head *to = &c->slabs_partial;

	if (s->inuse == 0)
		to = &c->slabs_free;
	else if (s->inuse == c->objs_per_slab)
		to = &c->slabs_full;
	list_del(&s->list);
	list_add(&s->list, to);
}

/* A slab with a free slot: partial ones first, so empty slabs can go. */
static struct slab *slab_with_room(struct kmem_cache *c)
{
	if (!list_empty(&c->slabs_partial))
		return list_first_entry(&c->slabs_partial, struct slab, list);
	if (!list_empty(&c->slabs_free)) {
		c->nr_empty_slabs--;
		return list_first_entry(&c->slabs_free, struct slab, list);
	}
	return new_slab(c);
}

/* Claim the lowest free slot; objs_per_slab if there is none. */
static unsigned int take_slot(struct kmem_cache *c, struct slab *s)
{
	for (unsigned int w = 0; w < BITS_TO_LONGS(c->objs_per_slab); w++) {
		unsigned long freebits = ~s->bitmap[w];
		unsigned int i = w * BITS_PER_LONG;

		if (!freebits)
			continue;
		i += __builtin_ctzl(freebits);
		if (i >= c->objs_per_slab)	/* only the bits past the end */
			break;
		s->bitmap[w] |= 1UL << (i % BITS_PER_LONG);
		return i;
	}
	return c->objs_per_slab;
}

/* A byte that is not poison in a free slot was written after kfree. */
static void check_poison(struct kmem_cache *c, void *obj)
{
	const u8 *p = obj;

	for (size_t i = 0; i < c->size; i++) {
		if (p[i] != POISON_FREE) {
			slab_err("%s: use-after-free write to %p: byte %zu is %#x, not %#x\n",
				 c->name, obj, i, p[i], POISON_FREE);
			return;
		}
	}
}

/* ------------------------------------------------------------ caches */

static bool cache_ok(const char *who, const struct kmem_cache *c)
{
	if (c && c->magic == CACHE_MAGIC)
		return true;
	slab_err("%s: %p is not a cache\n", who, c);
	return false;
}

/* Unlike cache_ok(), never reads *c: for a pointer that may be stale. */
static bool cache_listed(const struct kmem_cache *c)
{
	const struct kmem_cache *pos;

	list_for_each_entry(pos, &heap.caches, list)
		if (pos == c)
			return true;
	return false;
}

static void copy_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < CACHE_NAME_LEN - 1 && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

static bool cache_setup(struct kmem_cache *c, const char *name, size_t size,
			size_t align, unsigned int flags)
{
	memset(c, 0, sizeof(*c));
	c->magic = CACHE_MAGIC;
	c->flags = flags;
	copy_name(c->name, name);
	c->object_size = size;
	c->align = MAX(align, (size_t)SLAB_MIN_ALIGN);
	c->size = ALIGN_UP(size, c->align);
	INIT_LIST_HEAD(&c->slabs_full);
	INIT_LIST_HEAD(&c->slabs_partial);
	INIT_LIST_HEAD(&c->slabs_free);
	INIT_LIST_HEAD(&c->list);
	return cache_layout(c);
}

static void *__kmem_cache_alloc(struct kmem_cache *c);
static void __kmem_cache_free(struct kmem_cache *c, void *obj);

static struct kmem_cache *__kmem_cache_create(const char *name, size_t size,
					      size_t align)
{
	struct kmem_cache *c;

	if (!heap.ready) {
		slab_err("kmem_cache_create: called before slab_init\n");
		return NULL;
	}
	if (!name || !size || size > block_bytes(SLAB_MAX_CACHE_ORDER) ||
	    (align & (align - 1)) || align > SLAB_PAGE_SIZE) {
		slab_err("kmem_cache_create: %s: bad size %zu or align %zu\n",
			 name ? name : "(null)", size, align);
		return NULL;
	}
	c = __kmem_cache_alloc(&heap.cache_cache);
	if (!c)
		return NULL;
	if (!cache_setup(c, name, size, align, 0)) {
		slab_err("kmem_cache_create: %s: %zu-byte objects do not fit a slab\n",
			 name, size);
		__kmem_cache_free(&heap.cache_cache, c);
		return NULL;
	}
	list_add_tail(&c->list, &heap.caches);
	heap.stats.caches++;
	return c;
}

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
	unsigned long flags = slab_lock();
	struct kmem_cache *c = __kmem_cache_create(name, size, align);

	slab_unlock(flags);
	return c;
}

static void *__kmem_cache_alloc(struct kmem_cache *c)
{
	struct slab *s;
	unsigned int i;
	void *obj;

	if (!cache_ok("kmem_cache_alloc", c))
		return NULL;
	s = slab_with_room(c);
	if (!s)
		return NULL;
	i = take_slot(c, s);
	if (i >= c->objs_per_slab) {
		/* only reachable if someone scribbled over the header */
		slab_err("%s: slab %p on a list with room has none\n", c->name, s);
		return NULL;
	}
	s->inuse++;
	slab_relist(c, s);
	c->active_objs++;
	heap.stats.objects++;
	heap.stats.bytes_in_use += c->object_size;
	obj = slab_obj(c, s, i);
	check_poison(c, obj);
	return obj;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	unsigned long flags = slab_lock();
	void *obj = __kmem_cache_alloc(c);

	slab_unlock(flags);
	return obj;
}

void *kmem_cache_zalloc(struct kmem_cache *c)
{
	unsigned long flags = slab_lock();
	void *obj = __kmem_cache_alloc(c);
	size_t size = obj ? c->object_size : 0;

	slab_unlock(flags);
	if (obj)			/* ours alone now: clear it unlocked */
		memset(obj, 0, size);
	return obj;
}

/* ------------------------------------------------------------ freeing */

/* What a pointer handed to kfree, kmem_cache_free or ksize refers to. */
struct owner {
	struct slab *slab;		/* a slab object: slab->cache owns it */
	unsigned int idx;
	struct large_hdr *large;	/* or a large kmalloc */
};

/* Find ptr's block and check ptr is where an allocation starts. */
static bool locate(const char *who, const void *ptr, struct owner *o)
{
	struct block_head *h = find_block(ptr);
	struct kmem_cache *c;
	uintptr_t first, off;

	o->slab = NULL;
	o->large = NULL;
	if (!h) {
		slab_err("%s: %p is not a heap pointer (foreign, or a large block already freed)\n",
			 who, ptr);
		return false;
	}
	if (h->magic == LARGE_MAGIC) {
		o->large = (struct large_hdr *)h;
		if (ptr == o->large + 1)
			return true;
		slab_err("%s: %p is inside the large kmalloc block at %p\n",
			 who, ptr, (void *)(o->large + 1));
		return false;
	}
	o->slab = (struct slab *)h;
	c = o->slab->cache;
	first = (uintptr_t)h + c->obj_offset;
	off = (uintptr_t)ptr - first;
	if ((uintptr_t)ptr < first || off % c->size ||
	    off / c->size >= c->objs_per_slab) {
		slab_err("%s: %p is not the start of an object in %s\n",
			 who, ptr, c->name);
		return false;
	}
	o->idx = off / c->size;
	return true;
}

static void free_object(const char *who, struct slab *s, unsigned int i)
{
	struct kmem_cache *c = s->cache;
	void *obj = slab_obj(c, s, i);

	if (!obj_allocated(s, i)) {
		slab_err("%s: double free of %p in %s\n", who, obj, c->name);
		return;
	}
	s->bitmap[i / BITS_PER_LONG] &= ~(1UL << (i % BITS_PER_LONG));
	memset(obj, POISON_FREE, c->size);
	s->inuse--;
	c->active_objs--;
	heap.stats.objects--;
	heap.stats.bytes_in_use -= c->object_size;
	if (s->inuse == 0 && c->nr_empty_slabs > 0) {
		release_slab(c, s);
		return;
	}
	if (s->inuse == 0)
		c->nr_empty_slabs++;
	slab_relist(c, s);
}

static void __kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct owner o;

	if (ZERO_OR_NULL_PTR(obj))
		return;
	if (!cache_ok("kmem_cache_free", c) || !locate("kmem_cache_free", obj, &o))
		return;
	if (o.large || o.slab->cache != c) {
		slab_err("kmem_cache_free: %p belongs to %s, not %s\n", obj,
			 o.large ? "a large kmalloc" : o.slab->cache->name, c->name);
		return;
	}
	free_object("kmem_cache_free", o.slab, o.idx);
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	unsigned long flags;

	if (ZERO_OR_NULL_PTR(obj))
		return;
	flags = slab_lock();
	__kmem_cache_free(c, obj);
	slab_unlock(flags);
}

static unsigned long __kmem_cache_shrink(struct kmem_cache *c)
{
	unsigned long pages = 0;
	struct slab *s, *tmp;

	if (!cache_ok("kmem_cache_shrink", c))
		return 0;
	list_for_each_entry_safe(s, tmp, &c->slabs_free, list) {
		release_slab(c, s);
		pages += 1UL << c->order;
	}
	c->nr_empty_slabs = 0;
	return pages;
}

unsigned long kmem_cache_shrink(struct kmem_cache *c)
{
	unsigned long flags = slab_lock();
	unsigned long pages = __kmem_cache_shrink(c);

	slab_unlock(flags);
	return pages;
}

static void __kmem_cache_destroy(struct kmem_cache *c)
{
	if (!cache_listed(c)) {
		slab_err("kmem_cache_destroy: %p is not a cache (destroyed twice?)\n", c);
		return;
	}
	if (c->flags & CACHE_PERMANENT) {
		slab_err("kmem_cache_destroy: %s is permanent; not destroyed\n", c->name);
		return;
	}
	if (c->active_objs) {
		slab_err("kmem_cache_destroy: %s still has %lu objects in use; not destroyed\n",
			 c->name, c->active_objs);
		return;
	}
	__kmem_cache_shrink(c);
	list_del(&c->list);
	heap.stats.caches--;
	__kmem_cache_free(&heap.cache_cache, c);	/* poisons c->magic */
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	unsigned long flags;

	if (!c)
		return;
	flags = slab_lock();
	__kmem_cache_destroy(c);
	slab_unlock(flags);
}

void kmem_cache_get_info(const struct kmem_cache *c, struct kmem_cache_info *info)
{
	unsigned long flags;

	memset(info, 0, sizeof(*info));
	flags = slab_lock();
	if (!cache_ok("kmem_cache_get_info", c)) {
		slab_unlock(flags);
		return;
	}
	info->name = c->name;
	info->object_size = c->object_size;
	info->slot_size = c->size;
	info->align = c->align;
	info->order = c->order;
	info->objs_per_slab = c->objs_per_slab;
	info->active_objs = c->active_objs;
	info->nr_slabs = c->nr_slabs;
	info->nr_empty_slabs = c->nr_empty_slabs;
	slab_unlock(flags);
}

/* ------------------------------------------------------------ kmalloc */

struct kmem_cache *kmalloc_slab(size_t size)
{
	unsigned int idx = 0;

	if (!heap.ready || !size || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	if (size > KMALLOC_MIN_SIZE)	/* ceil(log2(size)) - log2(16) */
		idx = BITS_PER_LONG - __builtin_clzl(size - 1) - 4;
	return heap.kmalloc_caches[idx];
}

static size_t large_usable(unsigned int order)
{
	return block_bytes(order) - sizeof(struct large_hdr);
}

static void *kmalloc_large(size_t size)
{
	struct large_hdr *h;
	unsigned int order = 0;

	if (size > KMALLOC_MAX_SIZE)
		return NULL;
	while (large_usable(order) < size)
		order++;
	h = get_block(order);
	if (!h)
		return NULL;
	h->head.magic = LARGE_MAGIC;
	h->head.order = order;
	heap.stats.objects++;
	heap.stats.large_blocks++;
	heap.stats.bytes_in_use += large_usable(order);
	return h + 1;
}

static void kfree_large(struct large_hdr *h)
{
	heap.stats.objects--;
	heap.stats.large_blocks--;
	heap.stats.bytes_in_use -= large_usable(h->head.order);
	put_block(h, h->head.order);
}

static size_t __ksize(const void *ptr);

static void *__kmalloc(size_t size)
{
	heap.stats.kmalloc_calls++;
	if (!size)
		return ZERO_SIZE_PTR;
	if (!heap.ready) {
		slab_err("kmalloc: called before slab_init\n");
		return NULL;
	}
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return __kmem_cache_alloc(kmalloc_slab(size));
	return kmalloc_large(size);
}

void *kmalloc(size_t size, gfp_t flags)
{
	unsigned long lockflags = slab_lock();
	void *p = __kmalloc(size);
	size_t zero = 0;

	if (!ZERO_OR_NULL_PTR(p) && (flags & __GFP_ZERO))
		zero = __ksize(p);
	slab_unlock(lockflags);
	if (zero)			/* ours alone now: clear it unlocked */
		memset(p, 0, zero);
	return p;
}

static void __kfree(const void *ptr)
{
	struct owner o;

	heap.stats.kfree_calls++;
	if (ZERO_OR_NULL_PTR(ptr) || !locate("kfree", ptr, &o))
		return;
	if (o.large) {
		kfree_large(o.large);
		return;
	}
	/* stricter than Linux: a cache object freed with kfree is a bug here */
	if (!(o.slab->cache->flags & CACHE_KMALLOC)) {
		slab_err("kfree: %p belongs to %s; free it with kmem_cache_free\n",
			 ptr, o.slab->cache->name);
		return;
	}
	free_object("kfree", o.slab, o.idx);
}

void kfree(const void *ptr)
{
	unsigned long flags = slab_lock();

	__kfree(ptr);
	slab_unlock(flags);
}

static size_t __ksize(const void *ptr)
{
	struct owner o;

	if (ZERO_OR_NULL_PTR(ptr) || !locate("ksize", ptr, &o))
		return 0;
	if (o.large)
		return large_usable(o.large->head.order);
	if (!obj_allocated(o.slab, o.idx)) {
		slab_err("ksize: %p in %s is not allocated\n", ptr, o.slab->cache->name);
		return 0;
	}
	return o.slab->cache->object_size;
}

size_t ksize(const void *ptr)
{
	unsigned long flags;
	size_t n;

	if (ZERO_OR_NULL_PTR(ptr))
		return 0;
	flags = slab_lock();
	n = __ksize(ptr);
	slab_unlock(flags);
	return n;
}

/* ------------------------------------------------------------ setup, stats */

/*
 * Runs before anything else can use the heap (boot, on one CPU; or a host
 * test starting afresh), so wiping and installing the state needs no lock,
 * and there is none until the provider is in.  The kmalloc caches are then
 * created under the new lock like any later cache, so the provider sees
 * every alloc_pages() call with it held.
 */
void slab_init(const struct slab_page_provider *p)
{
	static const char *const names[KMALLOC_NR_CLASSES] = {
		"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
		"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
	};
	unsigned long flags;

	memset(&heap, 0, sizeof(heap));
	INIT_LIST_HEAD(&heap.caches);
	if (!p || !p->alloc_pages || !p->free_pages) {
		slab_err("slab_init: no page provider\n");
		return;
	}
	/* half a lock would leave the heap locked forever, or never locked */
	if (!p->lock != !p->unlock) {
		slab_err("slab_init: provider has lock() or unlock() without the other\n");
		return;
	}
	heap.provider = *p;
	flags = slab_lock();
	cache_setup(&heap.cache_cache, "kmem_cache", sizeof(struct kmem_cache), 0,
		    CACHE_PERMANENT);
	list_add_tail(&heap.cache_cache.list, &heap.caches);
	heap.stats.caches = 1;
	heap.ready = true;		/* kmem_cache_create() checks it */
	for (unsigned int i = 0; i < KMALLOC_NR_CLASSES; i++) {
		struct kmem_cache *c = __kmem_cache_create(names[i], KMALLOC_MIN_SIZE << i,
							   KMALLOC_MIN_ALIGN);

		if (!c) {
			slab_err("slab_init: cannot create %s\n", names[i]);
			heap.ready = false;
			break;
		}
		c->flags |= CACHE_KMALLOC | CACHE_PERMANENT;
		heap.kmalloc_caches[i] = c;
	}
	slab_unlock(flags);
}

/* A copy taken under the lock: objects and bytes_in_use from one moment. */
struct slab_stats slab_get_stats(void)
{
	unsigned long flags = slab_lock();
	struct slab_stats st = heap.stats;

	slab_unlock(flags);
	return st;
}

unsigned long slab_shrink_all(void)
{
	struct kmem_cache *c;
	unsigned long pages = 0;
	unsigned long flags = slab_lock();

	list_for_each_entry(c, &heap.caches, list)
		pages += __kmem_cache_shrink(c);
	slab_unlock(flags);
	return pages;
}

/* What slab_dump() prints for one cache, copied out under the lock. */
struct dump_line {
	char name[CACHE_NAME_LEN];
	size_t object_size, size;
	unsigned int order;
	unsigned long active_objs, total_objs, nr_slabs, nr_empty_slabs;
};

/* Copy the n-th cache on the list into *d; false past the end. */
static bool nth_cache_line(unsigned int n, struct dump_line *d)
{
	const struct kmem_cache *c;
	unsigned long flags = slab_lock();
	bool found = false;

	list_for_each_entry(c, &heap.caches, list) {
		if (n--)
			continue;
		memcpy(d->name, c->name, sizeof(d->name));
		d->object_size = c->object_size;
		d->size = c->size;
		d->order = c->order;
		d->active_objs = c->active_objs;
		d->total_objs = c->nr_slabs * c->objs_per_slab;
		d->nr_slabs = c->nr_slabs;
		d->nr_empty_slabs = c->nr_empty_slabs;
		found = true;
		break;
	}
	slab_unlock(flags);
	return found;
}

/*
 * Prints without holding the heap lock: a console line can take
 * milliseconds (a serial port sends about 11 characters per ms), and with
 * the lock held every other CPU's kmalloc would spin, and this CPU's
 * interrupts stay off, for the whole dump.  So each line is copied out
 * under the lock and printed after it; the list is walked afresh for each
 * (a handful of caches).  A cache created or destroyed meanwhile can make
 * the dump skip or repeat a line, which a debug listing can live with.
 */
void slab_dump(void)
{
	struct dump_line d;
	struct slab_stats st;

	for (unsigned int n = 0; nth_cache_line(n, &d); n++)
		printk(KERN_INFO "slab: %-14s obj %5zu slot %5zu order %u objs %5lu/%-5lu slabs %lu (%lu empty)\n",
		       d.name, d.object_size, d.size, d.order, d.active_objs,
		       d.total_objs, d.nr_slabs, d.nr_empty_slabs);
	st = slab_get_stats();
	printk(KERN_INFO "slab: %lu bytes in %lu objects (%lu large), %lu pages; %lu kmalloc, %lu kfree, %lu errors\n",
	       st.bytes_in_use, st.objects, st.large_blocks, st.pages,
	       st.kmalloc_calls, st.kfree_calls, st.errors);
}
