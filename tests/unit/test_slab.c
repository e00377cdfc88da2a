/*
 * test_slab.c - host tests for mm/slab.c, the kernel heap.
 *
 * The page provider here hands out aligned_alloc() blocks filled with junk
 * (so the heap cannot rely on zeroed pages) and keeps a table of what is
 * outstanding: owns() answers from it, free_pages() checks the order, and
 * every test ends by checking the heap gave back every page it took beyond
 * the one that holds the kmalloc caches' own structs (end_check()).  A
 * second provider, without owns(), serves one test from a fixed arena.
 *
 * Misuse tests assert that exactly one error was printed per bad call
 * (host_printk_errors), what it said, and that the counters did not move,
 * then use the heap again to show nothing was corrupted.
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "mm/slab.h"

/* ------------------------------------------------------------ provider */

struct block {
	void *addr;		/* what alloc_pages returned */
	void *base;		/* what aligned_alloc returned */
	unsigned int order;
};

#define MAX_BLOCKS 16384
static struct block blocks[MAX_BLOCKS];
static int nblocks;
static unsigned long prov_pages;	/* outstanding, in pages */
static bool prov_fail;			/* alloc_pages returns NULL */
static bool prov_misalign;		/* alloc_pages returns base + 64 */

static int prov_find(const void *addr)
{
	for (int i = nblocks - 1; i >= 0; i--)	/* recent blocks are hot */
		if (blocks[i].addr == addr)
			return i;
	return -1;
}

static void *prov_alloc(unsigned int order)
{
	size_t bytes = SLAB_PAGE_SIZE << order;
	void *base;

	if (prov_fail || nblocks == MAX_BLOCKS)
		return NULL;
	/* twice the size when misaligning, so the block still fits */
	if (prov_misalign)
		bytes *= 2;
	base = aligned_alloc(bytes, bytes);
	if (!base)
		return NULL;
	memset(base, 0xa5, bytes);
	blocks[nblocks++] = (struct block){
		.addr = (char *)base + (prov_misalign ? 64 : 0),
		.base = base, .order = order,
	};
	prov_pages += 1UL << order;
	return blocks[nblocks - 1].addr;
}

static void prov_free(void *addr, unsigned int order)
{
	int i = prov_find(addr);

	CHECK(i >= 0);
	if (i < 0)
		return;
	CHECK_EQ(order, blocks[i].order);
	prov_pages -= 1UL << blocks[i].order;
	free(blocks[i].base);
	blocks[i] = blocks[--nblocks];
}

static bool prov_owns(const void *addr)
{
	return prov_find(addr) >= 0;
}

static const struct slab_page_provider provider = {
	.alloc_pages = prov_alloc,
	.free_pages = prov_free,
	.owns = prov_owns,
};

/*
 * A provider without owns(), handing out blocks from one 4 MiB-aligned
 * arena and never reusing them: every address the heap may read (a
 * pointer rounded down to at most 4 MiB) stays mapped, as the kernel's
 * direct map does.
 */
#define ARENA_SIZE	(16UL << 20)
static char *arena;
static size_t arena_used;

static void *arena_alloc(unsigned int order)
{
	size_t bytes = SLAB_PAGE_SIZE << order, off = ALIGN_UP(arena_used, bytes);

	if (!arena)
		arena = aligned_alloc(ARENA_SIZE / 4, ARENA_SIZE);
	if (!arena || off + bytes > ARENA_SIZE)
		return NULL;
	arena_used = off + bytes;
	memset(arena + off, 0xa5, bytes);
	prov_pages += 1UL << order;
	return arena + off;
}

static void arena_free(void *addr, unsigned int order)
{
	prov_pages -= 1UL << order;
}

static const struct slab_page_provider provider_without_owns = {
	.alloc_pages = arena_alloc,
	.free_pages = arena_free,
};

/* Forget the last test's heap: its pages go back to the C library. */
static void prov_reset(void)
{
	while (nblocks > 0)
		free(blocks[--nblocks].base);
	free(arena);
	arena = NULL;
	arena_used = 0;
	prov_pages = 0;
	prov_fail = prov_misalign = false;
}

/* ------------------------------------------------------------ fixture */

static struct slab_stats fresh(void)
{
	prov_reset();
	host_printk_reset();
	slab_init(&provider);
	return slab_get_stats();
}

/* Everything the test allocated is freed: the heap is back where it began. */
static void end_check(const struct slab_stats *base)
{
	struct slab_stats s;

	slab_shrink_all();
	s = slab_get_stats();
	CHECK_EQ(s.objects, base->objects);
	CHECK_EQ(s.bytes_in_use, base->bytes_in_use);
	CHECK_EQ(s.large_blocks, base->large_blocks);
	CHECK_EQ(s.caches, base->caches);
	CHECK_EQ(s.pages, base->pages);
	CHECK_EQ(prov_pages, s.pages);
	CHECK_EQ(s.errors, host_printk_errors);
}

static struct kmem_cache_info info_of(const struct kmem_cache *c)
{
	struct kmem_cache_info info;

	kmem_cache_get_info(c, &info);
	return info;
}

/* One bad call: exactly one error report, mentioning `what`. */
#define EXPECT_REPORT(call, what) do {					\
	int _before = host_printk_errors;				\
	call;								\
	CHECK_EQ(host_printk_errors, _before + 1);			\
	if (!strstr(host_printk_last, what)) {				\
		printf("    # report \"%s\" lacks \"%s\"\n",		\
		       host_printk_last, what);				\
		CHECK(strstr(host_printk_last, what));			\
	}								\
} while (0)

#define EXPECT_QUIET(call) do {						\
	int _before = host_printk_errors;				\
	call;								\
	CHECK_EQ(host_printk_errors, _before);				\
} while (0)

static const char *ptr_str(const void *p)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%p", p);
	return buf;
}

/* What kmalloc(size) should give: the class, or a whole-page block. */
static size_t expected_ksize(size_t size)
{
	size_t bytes = SLAB_PAGE_SIZE;

	if (size <= KMALLOC_MAX_CACHE_SIZE) {
		size_t class = KMALLOC_MIN_SIZE;

		while (class < size)
			class *= 2;
		return class;
	}
	while (bytes - KMALLOC_LARGE_HEADER < size)
		bytes *= 2;
	return bytes - KMALLOC_LARGE_HEADER;
}

/* ------------------------------------------------------------ tests */

UNIT_TEST(slab_init_state)
{
	struct slab_stats base = fresh();
	static const unsigned int orders[] = { 0, 0, 0, 0, 0, 0, 1, 2 };

	/* "kmem_cache" and eight kmalloc caches, whose structs fill one page */
	CHECK_EQ(base.caches, 9);
	CHECK_EQ(base.objects, 8);
	CHECK_EQ(base.pages, 1);
	CHECK_EQ(prov_pages, 1);
	CHECK_EQ(base.errors, 0);
	for (unsigned int i = 0; i < 8; i++) {
		size_t size = KMALLOC_MIN_SIZE << i;
		struct kmem_cache_info info = info_of(kmalloc_slab(size));
		char name[32];

		snprintf(name, sizeof(name), "kmalloc-%zu", size);
		CHECK_STR(info.name, name);
		CHECK_EQ(info.object_size, size);
		CHECK_EQ(info.nr_slabs, 0);
		CHECK_EQ(info.order, orders[i]);
		/* the layout wastes at most 1/8 of each slab */
		CHECK((SLAB_PAGE_SIZE << info.order) - info.objs_per_slab * size <=
		      (SLAB_PAGE_SIZE << info.order) / 8);
	}
	end_check(&base);

	/* no provider: reported, and kmalloc fails loudly rather than crashing */
	host_printk_reset();
	EXPECT_REPORT(slab_init(NULL), "no page provider");
	EXPECT_REPORT(CHECK(kmalloc(8, GFP_KERNEL) == NULL), "before slab_init");
	EXPECT_REPORT(CHECK(kmem_cache_create("x", 8, 0) == NULL), "before slab_init");
}

UNIT_TEST(kmalloc_size_classes)
{
	struct slab_stats base = fresh();
	int bad = 0;

	for (size_t size = 1; size <= 3 * SLAB_PAGE_SIZE + 100; size++) {
		void *p = kmalloc(size, GFP_KERNEL);
		struct kmem_cache *c = kmalloc_slab(size);

		if (!p || ksize(p) != expected_ksize(size) || ksize(p) < size ||
		    (size <= KMALLOC_MAX_CACHE_SIZE
		     ? !c || info_of(c).object_size != expected_ksize(size)
		     : c != NULL)) {
			if (bad++ < 5)
				printf("    # kmalloc(%zu): %p ksize %zu, want %zu\n",
				       size, p, ksize(p), expected_ksize(size));
		}
		memset(p, 0x11, ksize(p));	/* all of it is ours */
		kfree(p);
	}
	CHECK_EQ(bad, 0);
	/* a page-sized request costs two pages: use the page allocator */
	void *page = kmalloc(SLAB_PAGE_SIZE, GFP_KERNEL);

	CHECK_EQ(ksize(page), 2 * SLAB_PAGE_SIZE - KMALLOC_LARGE_HEADER);
	kfree(page);

	/* kmalloc(0) is ZERO_SIZE_PTR; it and NULL are harmless to free */
	EXPECT_QUIET({
		CHECK(kmalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
		CHECK(kzalloc(0, GFP_KERNEL) == ZERO_SIZE_PTR);
		CHECK_EQ(ksize(ZERO_SIZE_PTR), 0);
		CHECK_EQ(ksize(NULL), 0);
		kfree(ZERO_SIZE_PTR);
		kfree(NULL);
		CHECK(kmalloc_slab(0) == NULL);
	});
	end_check(&base);
}

UNIT_TEST(kmalloc_counts_calls)
{
	struct slab_stats base = fresh(), s;
	void *p[10];

	for (int i = 0; i < 10; i++)
		p[i] = kmalloc(i * 500, GFP_KERNEL);	/* 0 and large included */
	s = slab_get_stats();
	CHECK_EQ(s.kmalloc_calls, base.kmalloc_calls + 10);
	CHECK_EQ(s.objects, base.objects + 9);
	CHECK_EQ(s.large_blocks, 5);			/* 2500 .. 4500 */
	for (int i = 0; i < 10; i++)
		kfree(p[i]);
	kfree(NULL);
	CHECK_EQ(slab_get_stats().kfree_calls, base.kfree_calls + 11);
	slab_dump();
	CHECK(strstr(host_printk_last, "11 kfree"));
	end_check(&base);
}

UNIT_TEST(alignment)
{
	static const size_t aligns[] = { 0, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096 };
	static const size_t sizes[] = { 1, 24, 100, 1000, 3000 };
	struct slab_stats base = fresh();
	void *objs[64];

	for (size_t size = 1; size < 3000; size += 7) {
		void *p = kmalloc(size, GFP_KERNEL);

		CHECK_EQ((uintptr_t)p % KMALLOC_MIN_ALIGN, 0);
		kfree(p);
	}
	for (size_t a = 0; a < ARRAY_SIZE(aligns); a++) {
		for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
			struct kmem_cache *c = kmem_cache_create("aligned", sizes[s], aligns[a]);
			struct kmem_cache_info info = info_of(c);
			size_t want = aligns[a] ? aligns[a] : SLAB_MIN_ALIGN;
			int n = MIN(64, (int)info.objs_per_slab * 2 + 1);

			CHECK(c);
			CHECK_EQ(info.align, want);
			CHECK_EQ(info.slot_size % want, 0);
			for (int i = 0; i < n; i++) {
				objs[i] = kmem_cache_alloc(c);
				CHECK_EQ((uintptr_t)objs[i] % want, 0);
				memset(objs[i], i, sizes[s]);
			}
			for (int i = 0; i < n; i++) {
				CHECK_EQ(((unsigned char *)objs[i])[0], i);
				CHECK_EQ(((unsigned char *)objs[i])[sizes[s] - 1], i);
				kmem_cache_free(c, objs[i]);
			}
			kmem_cache_destroy(c);
		}
	}
	end_check(&base);
}

UNIT_TEST(kzalloc_zeroes_and_kmalloc_poisons)
{
	struct slab_stats base = fresh();
	struct kmem_cache *c;
	unsigned char *p;
	int nonzero = 0, unpoisoned = 0;

	for (size_t size = 1; size < 140000; size += size < 3000 ? 37 : 9001) {
		p = kmalloc(size, GFP_KERNEL);
		memset(p, 0xff, ksize(p));
		kfree(p);
		p = kzalloc(size, GFP_KERNEL);
		for (size_t i = 0; i < ksize(p); i++)
			nonzero += p[i] != 0;
		kfree(p);
	}
	CHECK_EQ(nonzero, 0);

	/* uninitialized kmalloc memory reads as poison, not stale data */
	p = kmalloc(200, GFP_KERNEL);
	memset(p, 0x42, 200);
	kfree(p);
	p = kmalloc(200, GFP_KERNEL);
	for (size_t i = 0; i < 256; i++)
		unpoisoned += p[i] != POISON_FREE;
	CHECK_EQ(unpoisoned, 0);
	kfree(p);

	c = kmem_cache_create("zeroed", 300, 0);
	p = kmem_cache_alloc(c);
	memset(p, 0xff, 300);
	kmem_cache_free(c, p);
	p = kmem_cache_zalloc(c);
	for (size_t i = 0; i < 300; i++)
		nonzero += p[i] != 0;
	CHECK_EQ(nonzero, 0);
	kmem_cache_free(c, p);
	kmem_cache_destroy(c);
	CHECK_EQ(host_printk_errors, 0);
	end_check(&base);
}

UNIT_TEST(many_objects_across_slabs)
{
	enum { N = 3000 };
	static void *objs[8][N];
	struct slab_stats base = fresh(), s;
	unsigned long pages = 0, bytes = 0;

	for (int k = 0; k < 8; k++) {
		size_t size = KMALLOC_MIN_SIZE << k;
		struct kmem_cache_info info;

		for (int i = 0; i < N; i++) {
			objs[k][i] = kmalloc(size - i % 3, GFP_KERNEL);
			memset(objs[k][i], k * 16 + i % 16, size);
		}
		info = info_of(kmalloc_slab(size));
		CHECK_EQ(info.active_objs, N);
		CHECK_EQ(info.nr_slabs, (N + info.objs_per_slab - 1) / info.objs_per_slab);
		CHECK_EQ(info.nr_empty_slabs, 0);
		pages += info.nr_slabs << info.order;
		bytes += N * size;
	}
	s = slab_get_stats();
	CHECK_EQ(s.objects, base.objects + 8 * N);
	CHECK_EQ(s.bytes_in_use, base.bytes_in_use + bytes);
	CHECK_EQ(s.pages, base.pages + pages);
	CHECK_EQ(prov_pages, s.pages);

	/* odd ones first (every slab goes partial), then the even ones */
	for (int pass = 1; pass >= 0; pass--)
		for (int k = 0; k < 8; k++)
			for (int i = pass; i < N; i += 2) {
				unsigned char *p = objs[k][i];

				CHECK_EQ(p[0], k * 16 + i % 16);
				kfree(p);
			}
	for (int k = 0; k < 8; k++) {
		struct kmem_cache_info info = info_of(kmalloc_slab(KMALLOC_MIN_SIZE << k));

		CHECK_EQ(info.active_objs, 0);
		CHECK_EQ(info.nr_slabs, 1);	/* the one cached empty slab */
		CHECK_EQ(info.nr_empty_slabs, 1);
	}
	CHECK_EQ(host_printk_errors, 0);
	end_check(&base);
	for (int k = 0; k < 8; k++)
		CHECK_EQ(info_of(kmalloc_slab(KMALLOC_MIN_SIZE << k)).nr_slabs, 0);
}

UNIT_TEST(empty_slab_policy)
{
	struct slab_stats base = fresh();
	struct kmem_cache *c = kmem_cache_create("policy", 512, 0);
	unsigned int n = info_of(c).objs_per_slab;
	void **objs = calloc(3 * n, sizeof(void *));
	unsigned long pages;

	for (unsigned int i = 0; i < 3 * n; i++)
		objs[i] = kmem_cache_alloc(c);
	CHECK_EQ(info_of(c).nr_slabs, 3);
	pages = prov_pages;
	for (unsigned int i = 0; i < n; i++)		/* slab 0 empties: kept */
		kmem_cache_free(c, objs[i]);
	CHECK_EQ(info_of(c).nr_slabs, 3);
	CHECK_EQ(info_of(c).nr_empty_slabs, 1);
	CHECK_EQ(prov_pages, pages);
	for (unsigned int i = n; i < 2 * n; i++)	/* slab 1 empties: freed */
		kmem_cache_free(c, objs[i]);
	CHECK_EQ(info_of(c).nr_slabs, 2);
	CHECK_EQ(info_of(c).nr_empty_slabs, 1);
	CHECK_EQ(prov_pages, pages - (1UL << info_of(c).order));
	pages = prov_pages;
	objs[0] = kmem_cache_alloc(c);			/* reuses the kept slab */
	CHECK_EQ(info_of(c).nr_empty_slabs, 0);
	CHECK_EQ(prov_pages, pages);
	kmem_cache_free(c, objs[0]);
	for (unsigned int i = 2 * n; i < 3 * n; i++)
		kmem_cache_free(c, objs[i]);
	CHECK_EQ(info_of(c).nr_slabs, 1);
	CHECK_EQ(kmem_cache_shrink(c), 1UL << info_of(c).order);
	CHECK_EQ(info_of(c).nr_slabs, 0);
	kmem_cache_destroy(c);
	free(objs);
	CHECK_EQ(host_printk_errors, 0);
	end_check(&base);
}

UNIT_TEST(cache_lifecycle_returns_every_page)
{
	struct slab_stats base = fresh(), mid;
	struct kmem_cache *c = kmem_cache_create("lifecycle", 200, 64);
	void *objs[1000];

	CHECK(c);
	CHECK_EQ(slab_get_stats().caches, base.caches + 1);
	for (int i = 0; i < 1000; i++)
		objs[i] = kmem_cache_alloc(c);
	mid = slab_get_stats();
	CHECK_EQ(mid.pages, base.pages + info_of(c).nr_slabs);
	CHECK_EQ(info_of(c).active_objs, 1000);
	for (int i = 999; i >= 0; i--)
		kmem_cache_free(c, objs[i]);
	EXPECT_QUIET(kmem_cache_destroy(c));
	/* no shrink needed: destroy hands the cached empty slab back too */
	CHECK_EQ(prov_pages, base.pages);
	end_check(&base);
}

UNIT_TEST(double_free_detected)
{
	struct slab_stats base = fresh(), before;
	struct kmem_cache *c;
	void *p = kmalloc(64, GFP_KERNEL), *q = kmalloc(64, GFP_KERNEL);
	void *objs[600];
	unsigned int n;

	kfree(p);
	before = slab_get_stats();
	EXPECT_REPORT(kfree(p), "double free");
	CHECK(strstr(host_printk_last, "kmalloc-64"));
	CHECK(strstr(host_printk_last, ptr_str(p)));
	EXPECT_REPORT(ksize(p), "not allocated");
	CHECK_EQ(slab_get_stats().objects, before.objects);
	CHECK_EQ(slab_get_stats().errors, before.errors + 2);

	/* the slab is intact: every slot is handed out exactly once */
	n = info_of(kmalloc_slab(64)).objs_per_slab;
	for (unsigned int i = 0; i < n; i++) {
		objs[i] = kmalloc(64, GFP_KERNEL);
		memset(objs[i], i, 64);
	}
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(((unsigned char *)objs[i])[63], i & 0xff);
		kfree(objs[i]);
	}
	kfree(q);

	/* in a cache whose second empty slab went back to the provider */
	c = kmem_cache_create("df", 1000, 0);
	n = info_of(c).objs_per_slab;
	for (unsigned int i = 0; i <= n; i++)
		objs[i] = kmem_cache_alloc(c);
	for (unsigned int i = 0; i <= n; i++)
		kmem_cache_free(c, objs[i]);
	EXPECT_REPORT(kmem_cache_free(c, objs[0]), "double free");
	EXPECT_REPORT(kmem_cache_free(c, objs[n]), "not a heap pointer");
	CHECK_EQ(info_of(c).active_objs, 0);
	kmem_cache_destroy(c);
	CHECK_EQ(slab_get_stats().errors, (unsigned long)host_printk_errors);
	end_check(&base);
}

UNIT_TEST(foreign_pointers_detected)
{
	struct slab_stats base = fresh(), before;
	struct kmem_cache *a, *b, *pages = kmem_cache_create("page-each", 4000, 0);
	char *p = kmalloc(64, GFP_KERNEL), *big = kmalloc(10000, GFP_KERNEL);
	char *slab_page = (char *)((uintptr_t)p & ~(SLAB_PAGE_SIZE - 1));
	char *fake = aligned_alloc(SLAB_PAGE_SIZE, SLAB_PAGE_SIZE);
	int local, nextra = 0;
	void *o, *extra[64];
	char *past_slab = NULL;

	a = kmem_cache_create("cache-a", 64, 0);
	b = kmem_cache_create("cache-b", 64, 0);
	o = kmem_cache_alloc(a);

	/* a pointer just past a slab whose start is aligned for a bigger
	 * block is not taken for part of that slab */
	for (int i = 0; i < 64 && !past_slab; i++) {
		char *q = kmem_cache_alloc(pages);	/* a slab each */
		uintptr_t start = (uintptr_t)q & ~(SLAB_PAGE_SIZE - 1);

		extra[nextra++] = q;
		if (start % (2 * SLAB_PAGE_SIZE) == 0 &&
		    !prov_owns((void *)(start + SLAB_PAGE_SIZE)))
			past_slab = (char *)start + SLAB_PAGE_SIZE + (q - (char *)start);
	}
	CHECK(past_slab != NULL);
	before = slab_get_stats();

	EXPECT_REPORT(kfree(&local), "not a heap pointer");
	/* a copy of a real slab page, header and all, is still not ours */
	memcpy(fake, slab_page, SLAB_PAGE_SIZE);
	EXPECT_REPORT(kfree(fake + (p - slab_page)), "not a heap pointer");
	EXPECT_REPORT(kfree(p + 1), "not the start of an object in kmalloc-64");
	EXPECT_REPORT(kfree(p + 16), "not the start of an object");
	EXPECT_REPORT(kfree(p + 63), "not the start of an object");
	EXPECT_REPORT(kfree(slab_page), "not the start of an object");	/* header */
	EXPECT_REPORT(kfree(slab_page + 8), "not the start of an object");
	EXPECT_REPORT(kfree(slab_page + SLAB_PAGE_SIZE - 1), "not the start of an object");
	/* p is object 0, so this is where object n would be: slab waste */
	EXPECT_REPORT(kfree(p + 64 * info_of(kmalloc_slab(64)).objs_per_slab),
		      "not the start of an object");
	EXPECT_REPORT(ksize(p + 3), "not the start of an object");
	EXPECT_REPORT(kfree(big + 1), "inside the large kmalloc block");
	EXPECT_REPORT(kfree(big + SLAB_PAGE_SIZE), "inside the large kmalloc block");
	EXPECT_REPORT(kfree(big - KMALLOC_LARGE_HEADER), "inside the large kmalloc block");

	EXPECT_REPORT(kfree(past_slab), "not a heap pointer");


	/* the wrong cache, or the wrong free function */
	EXPECT_REPORT(kmem_cache_free(b, o), "belongs to cache-a, not cache-b");
	EXPECT_REPORT(kmem_cache_free(kmalloc_slab(64), o), "belongs to cache-a, not kmalloc-64");
	EXPECT_REPORT(kmem_cache_free(a, p), "belongs to kmalloc-64, not cache-a");
	EXPECT_REPORT(kmem_cache_free(a, big), "belongs to a large kmalloc");
	EXPECT_REPORT(kfree(o), "free it with kmem_cache_free");
	EXPECT_REPORT(kmem_cache_free(NULL, o), "is not a cache");
	EXPECT_REPORT(CHECK(kmem_cache_alloc(NULL) == NULL), "is not a cache");
	EXPECT_REPORT(kmem_cache_free((struct kmem_cache *)fake, o), "is not a cache");

	/* nothing moved, and everything still frees normally */
	CHECK_EQ(slab_get_stats().objects, before.objects);
	CHECK_EQ(slab_get_stats().bytes_in_use, before.bytes_in_use);
	CHECK_EQ(slab_get_stats().pages, before.pages);
	CHECK_EQ(info_of(a).active_objs, 1);
	EXPECT_QUIET({
		CHECK_EQ(ksize(p), 64);
		CHECK_EQ(ksize(big), 16384 - KMALLOC_LARGE_HEADER);
		kfree(p);
		kfree(big);
		kmem_cache_free(a, o);
		while (nextra > 0)
			kmem_cache_free(pages, extra[--nextra]);
		kmem_cache_destroy(a);
		kmem_cache_destroy(pages);
		kmem_cache_destroy(b);
	});
	free(fake);
	end_check(&base);
}

UNIT_TEST(use_after_free_write_detected)
{
	struct slab_stats base = fresh();
	struct kmem_cache *c = kmem_cache_create("uaf", 100, 0);
	unsigned char *a = kmem_cache_alloc(c), *b = kmem_cache_alloc(c), *x;
	int unpoisoned = 0;

	kmem_cache_free(c, a);
	for (size_t i = 0; i < info_of(c).slot_size; i++)	/* whole slot */
		unpoisoned += a[i] != POISON_FREE;
	CHECK_EQ(unpoisoned, 0);
	a[37] = 0;					/* the bug */
	EXPECT_REPORT(x = kmem_cache_alloc(c), "use-after-free write");
	CHECK(x == a);			/* lowest free slot, so the same one */
	CHECK(strstr(host_printk_last, "uaf"));
	CHECK(strstr(host_printk_last, "byte 37"));
	kmem_cache_free(c, x);
	EXPECT_QUIET(x = kmem_cache_alloc(c));		/* re-poisoned by free */
	/* an overrun into the slot's padding while allocated is not later
	 * blamed on a use after free: free poisons the whole slot */
	CHECK_EQ(info_of(c).slot_size, 104);
	x[101] = 0;
	kmem_cache_free(c, x);
	EXPECT_QUIET(x = kmem_cache_alloc(c));
	kmem_cache_free(c, x);
	kmem_cache_free(c, b);
	kmem_cache_destroy(c);

	/* in kmalloc, a write past the asked-for size but inside the slot */
	a = kmalloc(100, GFP_KERNEL);
	kfree(a);
	a[127] = 1;
	EXPECT_REPORT(x = kmalloc(128, GFP_KERNEL), "kmalloc-128: use-after-free write");
	kfree(x);
	end_check(&base);
}

UNIT_TEST(large_allocations)
{
	struct slab_stats base = fresh(), s;
	unsigned char *p = kmalloc(8 * 1024, GFP_KERNEL);
	unsigned char *q = kzalloc(100 * 1024, GFP_KERNEL);
	unsigned char *m;
	int nonzero = 0;

	CHECK(p && q);
	CHECK_EQ((uintptr_t)p % KMALLOC_MIN_ALIGN, 0);
	CHECK_EQ((uintptr_t)q % KMALLOC_MIN_ALIGN, 0);
	CHECK_EQ(ksize(p), 16 * 1024 - KMALLOC_LARGE_HEADER);	/* 8 KiB + header */
	CHECK_EQ(ksize(q), 128 * 1024 - KMALLOC_LARGE_HEADER);
	for (size_t i = 0; i < ksize(q); i++)
		nonzero += q[i] != 0;
	CHECK_EQ(nonzero, 0);
	memset(p, 1, ksize(p));
	memset(q, 2, ksize(q));
	s = slab_get_stats();
	CHECK_EQ(s.large_blocks, 2);
	CHECK_EQ(s.pages, base.pages + 4 + 32);
	CHECK_EQ(s.bytes_in_use, base.bytes_in_use + ksize(p) + ksize(q));
	CHECK_EQ(prov_pages, s.pages);
	kfree(p);
	CHECK_EQ(slab_get_stats().pages, base.pages + 32);
	CHECK_EQ(q[0], 2);
	kfree(q);
	CHECK_EQ(prov_pages, base.pages);

	m = kmalloc(KMALLOC_MAX_SIZE, GFP_KERNEL);
	CHECK(m != NULL);
	CHECK_EQ(ksize(m), KMALLOC_MAX_SIZE);
	kfree(m);
	EXPECT_QUIET({
		CHECK(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL) == NULL);
		CHECK(kmalloc(SIZE_MAX, GFP_KERNEL) == NULL);
	});
	/* the block went back to the provider: reported, not a crash */
	EXPECT_REPORT(kfree(p), "not a heap pointer");
	end_check(&base);
}

UNIT_TEST(destroy_with_live_objects_refused)
{
	struct slab_stats base = fresh();
	struct kmem_cache *c = kmem_cache_create("busy", 48, 0);
	void *o = kmem_cache_alloc(c), *o2;

	EXPECT_REPORT(kmem_cache_destroy(c), "busy still has 1 objects in use");
	CHECK_EQ(slab_get_stats().caches, base.caches + 1);
	EXPECT_QUIET({			/* still a working cache */
		o2 = kmem_cache_alloc(c);
		CHECK(o2 != NULL);
		kmem_cache_free(c, o2);
		kmem_cache_free(c, o);
		kmem_cache_destroy(c);
	});
	CHECK_EQ(slab_get_stats().caches, base.caches);
	EXPECT_REPORT(kmem_cache_destroy(c), "not a cache");
	/* the struct went back to "kmem_cache" poisoned: stale use is caught */
	EXPECT_REPORT(CHECK(kmem_cache_alloc(c) == NULL), "not a cache");
	EXPECT_REPORT(kmem_cache_destroy(kmalloc_slab(64)), "kmalloc-64 is permanent");
	EXPECT_QUIET(kmem_cache_destroy(NULL));
	end_check(&base);
}

UNIT_TEST(create_rejects_bad_arguments)
{
	struct slab_stats base = fresh();
	struct kmem_cache *c;

	EXPECT_REPORT(CHECK(!kmem_cache_create("zero", 0, 0)), "bad size");
	EXPECT_REPORT(CHECK(!kmem_cache_create("huge", 40000, 0)), "bad size");
	EXPECT_REPORT(CHECK(!kmem_cache_create("odd", 64, 24)), "bad size");
	EXPECT_REPORT(CHECK(!kmem_cache_create("wide", 64, 8192)), "bad size");
	EXPECT_REPORT(CHECK(!kmem_cache_create(NULL, 64, 0)), "bad size");
	EXPECT_REPORT(CHECK(!kmem_cache_create("full", 32768, 0)), "do not fit");

	/* the biggest object that fits: one per 32 KiB slab */
	EXPECT_QUIET(c = kmem_cache_create("a-rather-long-name-that-gets-cut-short", 32000, 0));
	CHECK_EQ(info_of(c).order, 3);
	CHECK_EQ(info_of(c).objs_per_slab, 1);
	CHECK_EQ(strlen(info_of(c).name), 31);
	kmem_cache_destroy(c);
	end_check(&base);
}

UNIT_TEST(provider_failures)
{
	struct slab_stats base = fresh(), before;
	struct kmem_cache *c;

	prov_fail = true;
	before = slab_get_stats();
	EXPECT_QUIET({			/* running out is not misuse */
		CHECK(kmalloc(64, GFP_KERNEL) == NULL);
		CHECK(kzalloc(3000, GFP_KERNEL) == NULL);
		c = kmem_cache_create("starved", 128, 0);	/* "kmem_cache" has room */
		CHECK(c != NULL);
		CHECK(kmem_cache_alloc(c) == NULL);
	});
	CHECK_EQ(slab_get_stats().objects, before.objects + 1);	/* the cache */
	CHECK_EQ(slab_get_stats().pages, before.pages);
	prov_fail = false;
	kfree(kmalloc(64, GFP_KERNEL));
	kmem_cache_free(c, kmem_cache_alloc(c));

	/* a provider breaking the alignment promise is caught, not trusted */
	prov_misalign = true;
	EXPECT_REPORT(CHECK(kmalloc(5000, GFP_KERNEL) == NULL), "not aligned");
	EXPECT_REPORT(CHECK(kmalloc(16, GFP_KERNEL) == NULL), "not aligned");
	prov_misalign = false;
	kmem_cache_destroy(c);
	end_check(&base);
}

/*
 * Without owns() the heap trusts the header magic it finds: pointers into
 * the heap are still checked, and a block's magic is cleared when it goes
 * back, so a stale pointer into a page that stays mapped is not taken for
 * a live allocation.
 */
UNIT_TEST(provider_without_owns)
{
	struct slab_stats base;
	char *p, *q, *big;

	prov_reset();
	host_printk_reset();
	slab_init(&provider_without_owns);
	base = slab_get_stats();

	p = kmalloc(100, GFP_KERNEL);
	q = kmalloc(100, GFP_KERNEL);
	big = kmalloc(50000, GFP_KERNEL);
	CHECK_EQ(ksize(p), 128);
	CHECK_EQ(ksize(big), 65536 - KMALLOC_LARGE_HEADER);
	EXPECT_REPORT(kfree(p + 8), "not the start of an object");
	EXPECT_REPORT(kfree(big + 8), "inside the large kmalloc block");
	kfree(p);
	EXPECT_REPORT(kfree(p), "double free");
	kfree(big);
	EXPECT_REPORT(kfree(big), "not a heap pointer");
	kfree(q);
	slab_shrink_all();		/* q's slab goes back, stays mapped */
	EXPECT_REPORT(kfree(q), "not a heap pointer");
	end_check(&base);
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct live {
	unsigned char *p;
	size_t size;
	struct kmem_cache *cache;	/* NULL: kmalloc */
	unsigned char tag;
};

static size_t random_size(void)
{
	unsigned int r = rng() % 100;

	if (r < 70)
		return 1 + rng() % 256;
	if (r < 93)
		return 257 + rng() % (2048 - 256);
	if (r < 99)
		return 2049 + rng() % 20000;
	return 20000 + rng() % 200000;
}

static void fill(const struct live *l)
{
	for (size_t i = 0; i < l->size; i++)
		l->p[i] = (unsigned char)(l->tag + i * 7);
}

static bool intact(const struct live *l)
{
	for (size_t i = 0; i < l->size; i++)
		if (l->p[i] != (unsigned char)(l->tag + i * 7))
			return false;
	return true;
}

UNIT_TEST(random_against_reference)
{
	enum { OPS = 100000, MAX_LIVE = 3000 };
	static struct live live[MAX_LIVE];
	static const size_t csize[3] = { 24, 200, 3000 }, calign[3] = { 0, 64, 512 };
	struct slab_stats base = fresh(), start, s;
	struct kmem_cache *caches[3];
	unsigned long bytes = 0;
	int nlive = 0, broken = 0, misaligned = 0, failed = 0;

	rng_state = 0x5eed5eed12345678ULL;
	for (int k = 0; k < 3; k++)
		caches[k] = kmem_cache_create("random", csize[k], calign[k]);
	start = slab_get_stats();
	for (int op = 0; op < OPS; op++) {
		bool alloc = nlive == 0 || (nlive < MAX_LIVE && rng() % 100 < 55);

		if (alloc) {
			struct live *l = &live[nlive];
			unsigned int kind = rng() % 10;

			l->tag = rng();
			l->cache = NULL;
			if (kind < 8) {
				l->size = random_size();
				l->p = kind < 7 ? kmalloc(l->size, GFP_KERNEL)
						: kzalloc(l->size, GFP_KERNEL);
				if (l->p && kind == 7 && l->p[l->size - 1] != 0)
					broken++;
			} else {
				int k = rng() % 3;

				l->cache = caches[k];
				l->size = csize[k];
				l->p = kmem_cache_alloc(l->cache);
				misaligned += (uintptr_t)l->p % (calign[k] ? calign[k] : 8) != 0;
			}
			if (!l->p) {
				failed++;
				continue;
			}
			misaligned += (uintptr_t)l->p % 8 != 0 ||
				      (!l->cache && (uintptr_t)l->p % KMALLOC_MIN_ALIGN);
			bytes += l->cache ? l->size : ksize(l->p);
			if (!l->cache && ksize(l->p) < l->size)
				broken++;
			fill(l);
			nlive++;
		} else {
			int i = rng() % nlive;
			struct live *l = &live[i];

			/* another live object overlapping this one shows up here */
			if (!intact(l) && broken++ < 3)
				printf("    # object %p (%zu bytes) overwritten\n", l->p, l->size);
			bytes -= l->cache ? l->size : ksize(l->p);
			if (l->cache)
				kmem_cache_free(l->cache, l->p);
			else
				kfree(l->p);
			live[i] = live[--nlive];
		}
		if (op % 10000 == 0) {
			s = slab_get_stats();
			CHECK_EQ(s.objects, start.objects + nlive);
			CHECK_EQ(s.bytes_in_use, start.bytes_in_use + bytes);
			CHECK_EQ(s.pages, prov_pages);
		}
	}
	CHECK_EQ(broken, 0);
	CHECK_EQ(misaligned, 0);
	CHECK_EQ(failed, 0);
	while (nlive > 0) {
		struct live *l = &live[--nlive];

		CHECK(intact(l));
		if (l->cache)
			kmem_cache_free(l->cache, l->p);
		else
			kfree(l->p);
	}
	for (int k = 0; k < 3; k++)
		kmem_cache_destroy(caches[k]);
	CHECK_EQ(host_printk_errors, 0);
	end_check(&base);
}

int main(void)
{
	int ret = unit_run_all();

	prov_reset();		/* so LeakSanitizer sees only real leaks */
	return ret;
}
