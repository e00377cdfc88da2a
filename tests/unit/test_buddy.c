/*
 * test_buddy.c - host tests for mm/buddy.c.
 *
 * Each zone's mem_map is malloc'd with exactly spanned_pages entries, so
 * AddressSanitizer turns any look at a frame outside the zone (a buddy
 * computed past the edge, say) into a crash, which is a failed test.
 * zone_check() is run after nearly every step: it knows the invariants
 * better than any single CHECK here.  The randomized test compares the
 * allocator with a byte-per-frame model that is simple enough to be right.
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "mm/buddy.h"
#include "kernel/errno.h"

struct tzone {
	struct zone z;
	struct page *map;
};

/* a zone over [base, base + n) with nothing handed over yet */
static void tz_init(struct tzone *t, u64 base, u64 n)
{
	t->map = malloc((n ? n : 1) * sizeof(struct page));
	zone_init(&t->z, t->map, base, n);
}

/* a zone whose frames are all free */
static void tz_init_free(struct tzone *t, u64 base, u64 n)
{
	tz_init(t, base, n);
	zone_free_range(&t->z, base, n);
}

static void tz_fini(struct tzone *t)
{
	free(t->map);
	t->map = NULL;
}

static u64 pfn_of(const struct tzone *t, const struct page *p)
{
	return zone_page_to_pfn(&t->z, p);
}

static void counts(const struct zone *z, u64 out[MAX_ORDER + 1])
{
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		out[o] = zone_nr_free_blocks(z, o);
}

static bool same_counts(const u64 a[MAX_ORDER + 1], const u64 b[MAX_ORDER + 1])
{
	return !memcmp(a, b, sizeof(u64) * (MAX_ORDER + 1));
}

/*
 * The blocks [pfn, pfn + n) must end up in once every frame is free:
 * greedily the largest aligned block at each step (what full merging yields).
 */
static void canonical_counts(u64 pfn, u64 n, u64 out[MAX_ORDER + 1])
{
	memset(out, 0, sizeof(u64) * (MAX_ORDER + 1));
	while (n) {
		unsigned o = MAX_ORDER;

		while ((pfn & ((1UL << o) - 1)) || (1UL << o) > n)
			o--;
		out[o]++;
		pfn += 1UL << o;
		n -= 1UL << o;
	}
}

/* fixed-seed xorshift: the same sequence on every run and every machine */
static u64 rng_state;
static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

UNIT_TEST(buddy_fresh_zone_is_top_order_blocks)
{
	struct tzone t;
	u64 c[MAX_ORDER + 1];

	tz_init(&t, 0, 4096);
	CHECK_EQ(zone_nr_free(&t.z), 0);
	CHECK(zone_check(&t.z));
	CHECK(zone_alloc_pages(&t.z, 0) == NULL);	/* everything reserved */
	zone_free_range(&t.z, 0, 4096);
	counts(&t.z, c);
	CHECK_EQ(c[MAX_ORDER], 4);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		CHECK_EQ(c[o], 0);
	CHECK_EQ(t.z.managed_pages, 4096);
	CHECK_EQ(zone_nr_free(&t.z), 4096);
	CHECK(zone_check(&t.z));
	tz_fini(&t);
}

UNIT_TEST(buddy_split_and_merge)
{
	struct tzone t;
	u64 before[MAX_ORDER + 1], after[MAX_ORDER + 1];
	struct page *p, *a, *b;

	tz_init_free(&t, 0, 4096);
	counts(&t.z, before);
	p = zone_alloc_pages(&t.z, 0);
	CHECK(p != NULL);
	if (!p)
		goto out;
	CHECK(p->flags & PG_allocated);
	CHECK_EQ(p->order, 0);
	CHECK_EQ(p->_refcount, 1);
	/* one top block split all the way down: one free block of each lower order */
	CHECK_EQ(zone_nr_free_blocks(&t.z, MAX_ORDER), 3);
	for (unsigned o = 0; o < MAX_ORDER; o++)
		CHECK_EQ(zone_nr_free_blocks(&t.z, o), 1);
	CHECK_EQ(zone_nr_free(&t.z), 4095);
	CHECK(zone_check(&t.z));

	CHECK_EQ(zone_free_pages(&t.z, p, 0), 0);
	counts(&t.z, after);
	CHECK(same_counts(before, after));
	CHECK_EQ(zone_nr_free(&t.z), 4096);
	CHECK_EQ(t.z.nr_free_calls, 1);
	CHECK(zone_check(&t.z));

	/* the same through a middle order, and with the buddies freed in reverse */
	a = zone_alloc_pages(&t.z, 3);
	b = zone_alloc_pages(&t.z, 3);
	CHECK(a && b);
	if (a && b) {
		CHECK_EQ(pfn_of(&t, a) ^ pfn_of(&t, b), 8);	/* the two halves of one 16 */
		CHECK_EQ(zone_free_pages(&t.z, b, 3), 0);
		CHECK(zone_check(&t.z));
		CHECK_EQ(zone_free_pages(&t.z, a, 3), 0);
	}
	counts(&t.z, after);
	CHECK(same_counts(before, after));
	CHECK(zone_check(&t.z));
out:
	tz_fini(&t);
}

UNIT_TEST(buddy_alloc_returns_aligned_blocks)
{
	struct tzone t;
	struct page *held[64];
	int n = 0;

	/* an awkward base so alignment cannot come from the base by accident */
	tz_init_free(&t, 0x12345, 20000);
	for (int round = 0; round < 3; round++) {
		for (unsigned o = 0; o <= MAX_ORDER && n < 64; o++) {
			struct page *p = zone_alloc_pages(&t.z, o);

			CHECK(p != NULL);
			if (!p)
				continue;
			CHECK_EQ(pfn_of(&t, p) & ((1UL << o) - 1), 0);
			CHECK(pfn_of(&t, p) >= t.z.base_pfn);
			CHECK(pfn_of(&t, p) + (1UL << o) <= zone_end_pfn(&t.z));
			CHECK_EQ(p->order, o);
			held[n++] = p;
		}
		CHECK(zone_check(&t.z));
	}
	while (n--)
		CHECK_EQ(zone_free_pages(&t.z, held[n], held[n]->order), 0);
	CHECK_EQ(zone_nr_free(&t.z), 20000);
	CHECK(zone_check(&t.z));
	tz_fini(&t);
}

UNIT_TEST(buddy_order_above_max_fails)
{
	struct tzone t;

	tz_init_free(&t, 0, 4096);
	host_printk_reset();
	CHECK(zone_alloc_pages(&t.z, MAX_ORDER + 1) == NULL);
	CHECK(zone_alloc_pages(&t.z, 64) == NULL);
	CHECK_EQ(t.z.nr_failed, 2);
	CHECK_EQ(host_printk_errors, 2);
	CHECK(zone_alloc_pages(&t.z, MAX_ORDER) != NULL);	/* the largest is fine */
	CHECK(zone_check(&t.z));
	tz_fini(&t);
}

/* allocate order 0 until NULL, on several zone shapes, then give it all back */
static void exhaust(u64 base, u64 n)
{
	struct tzone t;
	u64 before[MAX_ORDER + 1], after[MAX_ORDER + 1];
	struct page **got = malloc(n * sizeof(*got));
	unsigned char *seen = calloc(n, 1);
	u64 k = 0;
	struct page *p;

	tz_init_free(&t, base, n);
	counts(&t.z, before);
	while ((p = zone_alloc_pages(&t.z, 0)) != NULL) {
		u64 i = pfn_of(&t, p) - base;

		CHECK(k < n && i < n && !seen[i]);
		if (k >= n || i >= n || seen[i])
			break;
		seen[i] = 1;
		got[k++] = p;
	}
	CHECK_EQ(k, t.z.managed_pages);
	CHECK_EQ(zone_nr_free(&t.z), 0);
	CHECK_EQ(t.z.nr_failed, 1);
	CHECK(zone_check(&t.z));
	/* free in a scrambled order so merging sees every arrangement of halves */
	rng_state = 0x9e3779b97f4a7c15ULL ^ base ^ n;
	for (u64 i = k; i > 1; i--) {
		u64 j = rnd() % i;
		struct page *tmp = got[i - 1];

		got[i - 1] = got[j];
		got[j] = tmp;
	}
	for (u64 i = 0; i < k; i++)
		CHECK_EQ(zone_free_pages(&t.z, got[i], 0), 0);
	counts(&t.z, after);
	CHECK(same_counts(before, after));
	CHECK_EQ(zone_nr_free(&t.z), n);
	CHECK_EQ(t.z.nr_free_calls, k);
	CHECK(zone_check(&t.z));
	tz_fini(&t);
	free(got);
	free(seen);
}

UNIT_TEST(buddy_exhaustion)
{
	exhaust(0, 4096);
	exhaust(0, 1);
	exhaust(1, 1);
	exhaust(1023, 2);		/* straddles a top-order boundary */
	exhaust(0x100 + 3, 3001);
	exhaust(0x7ffff, 2049);
}

UNIT_TEST(buddy_unaligned_base_and_odd_sizes)
{
	static const u64 shapes[][2] = {
		{ 1, 1 }, { 1, 2046 }, { 3, 5 }, { 1000003, 5000 }, { 1023, 1 },
		{ 1023, 1026 }, { 0x12345, 777 }, { 4096 - 7, 4096 + 14 },
		{ 0x100000 - 1, 3 },
	};

	for (unsigned s = 0; s < ARRAY_SIZE(shapes); s++) {
		u64 base = shapes[s][0], n = shapes[s][1];
		u64 want[MAX_ORDER + 1], got[MAX_ORDER + 1];
		struct tzone t;

		tz_init_free(&t, base, n);
		canonical_counts(base, n, want);
		counts(&t.z, got);
		CHECK(same_counts(want, got));
		CHECK_EQ(zone_nr_free(&t.z), n);
		CHECK(zone_check(&t.z));
		/* every free block is aligned on the absolute pfn and inside the zone */
		for (unsigned o = 0; o <= MAX_ORDER; o++) {
			struct page *p;

			list_for_each_entry(p, &t.z.free_area[o].free_list, lru) {
				u64 pfn = pfn_of(&t, p);

				CHECK_EQ(pfn & ((1UL << o) - 1), 0);
				CHECK(pfn >= base && pfn + (1UL << o) <= base + n);
			}
		}
		tz_fini(&t);
	}
}

UNIT_TEST(buddy_fragmentation)
{
	struct tzone t;
	struct page *pages[64], *p;

	tz_init_free(&t, 0, 64);
	for (int i = 0; i < 64; i++) {
		pages[i] = zone_alloc_pages(&t.z, 0);
		CHECK(pages[i] != NULL);
		if (!pages[i])
			goto out;
	}
	/* give back every other frame: 32 free frames, no two of them adjacent */
	for (int i = 0; i < 64; i++)
		if (pfn_of(&t, pages[i]) % 2 == 0)
			CHECK_EQ(zone_free_pages(&t.z, pages[i], 0), 0);
	CHECK_EQ(zone_nr_free(&t.z), 32);
	CHECK_EQ(zone_nr_free_blocks(&t.z, 0), 32);
	CHECK(zone_check(&t.z));
	CHECK(zone_alloc_pages(&t.z, 1) == NULL);
	CHECK_EQ(t.z.nr_failed, 1);
	p = zone_alloc_pages(&t.z, 0);
	CHECK(p != NULL);
	if (p)
		CHECK_EQ(pfn_of(&t, p) % 2, 0);
	CHECK(zone_check(&t.z));
out:
	tz_fini(&t);
}

UNIT_TEST(buddy_free_range_with_holes)
{
	struct tzone t;
	u64 expect, k = 0;
	struct page *p;

	tz_init(&t, 0x1000, 2048);
	zone_free_range(&t.z, 0x1000 + 10, 90);
	zone_free_range(&t.z, 0x1000 + 200, 1300);
	zone_free_range(&t.z, 0x1000 + 1600, 448);
	expect = 90 + 1300 + 448;
	CHECK_EQ(t.z.managed_pages, expect);
	CHECK_EQ(zone_nr_free(&t.z), expect);
	CHECK(zone_check(&t.z));

	/* overlapping a range already given: only the hole [100, 200) is new */
	host_printk_reset();
	zone_free_range(&t.z, 0x1000 + 50, 200);
	CHECK(host_printk_errors >= 1);
	expect += 100;
	CHECK_EQ(t.z.managed_pages, expect);
	CHECK_EQ(zone_nr_free(&t.z), expect);
	CHECK(zone_check(&t.z));

	/* partly below and above the zone: only the inside part counts */
	host_printk_reset();
	zone_free_range(&t.z, 0x1000 - 5, 10);		/* [0, 5) inside */
	CHECK(host_printk_errors >= 1);
	expect += 5;
	host_printk_reset();
	zone_free_range(&t.z, 0x1000 + 2040, 100);	/* [2040, 2048) already free */
	CHECK_EQ(host_printk_errors, 2);
	host_printk_reset();
	zone_free_range(&t.z, 0x1000 + 1500, ~0ULL);	/* would wrap: clipped */
	CHECK(host_printk_errors >= 1);
	expect += 100;
	host_printk_reset();
	zone_free_range(&t.z, 0, 0x1000);		/* wholly below */
	zone_free_range(&t.z, 0x1000 + 2048, 1);	/* wholly above */
	CHECK_EQ(host_printk_errors, 2);
	zone_free_range(&t.z, 0x1000, 0);		/* empty: nothing to say */
	CHECK_EQ(host_printk_errors, 2);
	CHECK_EQ(t.z.managed_pages, expect);
	CHECK_EQ(zone_nr_free(&t.z), expect);
	CHECK(zone_check(&t.z));

	/* the frames still in holes, [5, 10), are never handed out */
	while (k <= expect && (p = zone_alloc_pages(&t.z, 0)) != NULL) {
		u64 i = pfn_of(&t, p) - 0x1000;

		CHECK(i < 5 || i >= 10);
		k++;
	}
	CHECK_EQ(k, expect);
	CHECK(zone_check(&t.z));
	tz_fini(&t);
}

/*
 * A rejected free must be reported exactly once, for the right reason (the
 * checks overlap, so a missing one would otherwise hide behind the next),
 * and change nothing at all, not even a counter: the whole zone and mem_map
 * are compared byte for byte.
 */
static void expect_rejected(struct tzone *t, struct page *page, unsigned order,
			    const char *why, int line)
{
	struct zone zsave = t->z;
	size_t bytes = t->z.spanned_pages * sizeof(struct page);
	struct page *msave = malloc(bytes);
	int rc;

	memcpy(msave, t->map, bytes);
	host_printk_reset();
	rc = zone_free_pages(&t->z, page, order);
	if (rc != -EINVAL || host_printk_errors != 1 || !strstr(host_printk_last, why) ||
	    memcmp(&zsave, &t->z, sizeof(zsave)) || memcmp(msave, t->map, bytes) ||
	    !zone_check(&t->z)) {
		printf("    # line %d: rc %d, %d errors, state %s, said: %s",
		       line, rc, host_printk_errors,
		       memcmp(msave, t->map, bytes) ? "changed" : "same", host_printk_last);
		unit_failed_current = 1;
	}
	free(msave);
}
#define EXPECT_REJECTED(t, page, order, why) \
	expect_rejected(t, page, order, why, __LINE__)

UNIT_TEST(buddy_bad_frees_are_rejected)
{
	struct tzone t, other;
	struct page *a, *b, *big, *big2, stray = { 0 };

	tz_init(&t, 0, 256);
	zone_free_range(&t.z, 0, 128);			/* [128, 256) stays reserved */
	tz_init_free(&other, 0, 16);
	a = zone_alloc_pages(&t.z, 0);
	b = zone_alloc_pages(&t.z, 0);			/* a's buddy: a stays a free head */
	big = zone_alloc_pages(&t.z, 2);
	big2 = zone_alloc_pages(&t.z, 2);
	CHECK(a && b && big && big2);
	if (!a || !b || !big || !big2)
		goto out;
	CHECK_EQ(pfn_of(&t, a) ^ pfn_of(&t, b), 1);
	CHECK_EQ(pfn_of(&t, big), 4);			/* [0, 128) split from the bottom */
	CHECK_EQ(pfn_of(&t, big2), 8);			/* aligned for order 3 too */

	EXPECT_REJECTED(&t, NULL, 0, "not in zone");
	EXPECT_REJECTED(&t, &stray, 0, "not in zone");	/* in no mem_map at all */
	EXPECT_REJECTED(&t, zone_pfn_to_page(&other.z, 0), 0, "not in zone");
	EXPECT_REJECTED(&t, (struct page *)((char *)big + 1), 2, "not in zone");
	EXPECT_REJECTED(&t, big, MAX_ORDER + 1, "order > MAX_ORDER");
	EXPECT_REJECTED(&t, big, 1, "order differs");
	EXPECT_REJECTED(&t, big2, 3, "order differs");
	EXPECT_REJECTED(&t, big + 1, 0, "not the head");
	EXPECT_REJECTED(&t, big + 2, 1, "not the head");	/* aligned for order 1 */
	EXPECT_REJECTED(&t, big + 1, 1, "not aligned");
	EXPECT_REJECTED(&t, zone_pfn_to_page(&t.z, 200), 0, "reserved");
	EXPECT_REJECTED(&t, zone_pfn_to_page(&t.z, 64), 0, "already free");
	EXPECT_REJECTED(&t, zone_pfn_to_page(&t.z, 65), 0, "not the head");

	big->flags |= PG_slab;				/* the owner forgot to clear it */
	EXPECT_REJECTED(&t, big, 2, "PG_slab");
	big->flags &= ~PG_slab;
	CHECK_EQ(zone_free_pages(&t.z, big, 2), 0);
	EXPECT_REJECTED(&t, big, 2, "already free");	/* double free */
	CHECK_EQ(zone_free_pages(&t.z, big2, 2), 0);

	CHECK_EQ(zone_free_pages(&t.z, a, 0), 0);	/* b held: a stays a free head */
	CHECK(a->flags & PG_buddy);
	EXPECT_REJECTED(&t, a, 0, "already free");
	CHECK_EQ(zone_free_pages(&t.z, b, 0), 0);	/* merges all the way up */
	EXPECT_REJECTED(&t, b, 0, "not the head");	/* double free, now a tail */
	EXPECT_REJECTED(&t, a, 0, "already free");

	CHECK_EQ(zone_nr_free(&t.z), 128);
	CHECK_EQ(zone_nr_free_blocks(&t.z, 7), 1);
	CHECK_EQ(t.z.nr_free_calls, 4);
	CHECK(zone_check(&t.z));
out:
	tz_fini(&t);
	tz_fini(&other);
}

UNIT_TEST(buddy_check_catches_corruption)
{
	struct tzone t;
	struct page *p;

	/* zone_check must be able to say no, or every CHECK(zone_check()) is void */
	tz_init_free(&t, 0, 64);
	p = zone_alloc_pages(&t.z, 0);
	CHECK(p != NULL);
	if (!p)
		goto out;
	host_printk_reset();
	t.z.nr_free_pages++;
	CHECK(!zone_check(&t.z));
	t.z.nr_free_pages--;
	p->flags = 0;					/* a leaked frame */
	CHECK(!zone_check(&t.z));
	p->flags = PG_allocated;
	t.map[5].flags |= PG_buddy;			/* a head inside another block */
	CHECK(!zone_check(&t.z));
	t.map[5].flags &= ~PG_buddy;
	t.z.nr_free_calls++;				/* outstanding count off by one */
	CHECK(!zone_check(&t.z));
	t.z.nr_free_calls--;
	CHECK(host_printk_errors >= 4);
	CHECK(zone_check(&t.z));
out:
	tz_fini(&t);
}

/* two free buddies left unmerged: every count still adds up, only merging is off */
UNIT_TEST(buddy_check_catches_unmerged_buddies)
{
	struct tzone t;
	struct page *p0, *p1;

	tz_init_free(&t, 0, 2);
	p0 = zone_pfn_to_page(&t.z, 0);
	p1 = zone_pfn_to_page(&t.z, 1);
	CHECK_EQ(zone_nr_free_blocks(&t.z, 1), 1);
	CHECK(zone_check(&t.z));

	list_del_init(&p0->lru);
	t.z.free_area[1].nr_free--;
	p0->order = 0;
	p1->flags = PG_buddy;
	p1->order = 0;
	list_add(&p0->lru, &t.z.free_area[0].free_list);
	list_add(&p1->lru, &t.z.free_area[0].free_list);
	t.z.free_area[0].nr_free = 2;
	host_printk_reset();
	CHECK(!zone_check(&t.z));
	CHECK(strstr(host_printk_last, "not merged") != NULL);
	tz_fini(&t);
}

UNIT_TEST(buddy_dump)
{
	struct tzone t;

	tz_init_free(&t, 0, 4096 + 3);
	host_printk_reset();
	zone_dump(&t.z);
	CHECK_EQ(host_printk_errors, 0);
	CHECK_STR(host_printk_last,
		  "buddy: zone pfn 0-0x1003 managed 4099 free 4099; "
		  "free blocks by order 0-10: 1 1 0 0 0 0 0 0 0 0 4\n");
	tz_fini(&t);
}

/* ------------------------------------------------------------- randomized */

enum { F_HOLE, F_FREE, F_USED };

struct held {
	struct page *page;
	unsigned order;
};

/* the allocator under test next to a byte-per-frame model of it */
struct sim {
	struct tzone t;
	u64 base, n;
	unsigned char *model;		/* F_* per frame */
	u64 model_free;
	struct held *held;		/* blocks allocated now */
	u64 nheld, fails;
	long op;
};

/* is there an aligned, wholly free run of 2^order frames in the model? */
static bool model_has_free_block(const struct sim *s, unsigned order)
{
	u64 size = 1UL << order;
	u64 pfn = (s->base + size - 1) & ~(size - 1);

	for (; pfn + size <= s->base + s->n; pfn += size) {
		u64 i = 0;

		while (i < size && s->model[pfn - s->base + i] == F_FREE)
			i++;
		if (i == size)
			return true;
	}
	return false;
}

/* small orders mostly, as real callers ask; sometimes a big one */
static unsigned random_order(void)
{
	u64 r = rnd() % 100;

	if (r < 50)
		return 0;
	if (r < 85)
		return 1 + rnd() % 3;
	return rnd() % (MAX_ORDER + 1);
}

static bool sim_alloc(struct sim *s)
{
	unsigned order = random_order();
	struct page *p = zone_alloc_pages(&s->t.z, order);
	u64 pfn, size = 1UL << order;

	if (!p) {
		/* right only if no aligned free run exists (sampled: it is slow) */
		if (++s->fails % 8 == 0 && model_has_free_block(s, order)) {
			printf("    # op %ld: order %u failed with room\n", s->op, order);
			return false;
		}
		return true;
	}
	pfn = pfn_of(&s->t, p);
	if ((pfn & (size - 1)) || pfn < s->base || pfn + size > s->base + s->n) {
		printf("    # op %ld: bad block %#lx order %u\n", s->op,
		       (unsigned long)pfn, order);
		return false;
	}
	for (u64 i = 0; i < size; i++) {
		if (s->model[pfn - s->base + i] != F_FREE) {
			printf("    # op %ld: pfn %#lx handed out twice, or a hole\n",
			       s->op, (unsigned long)(pfn + i));
			return false;
		}
		s->model[pfn - s->base + i] = F_USED;
	}
	s->model_free -= size;
	s->held[s->nheld++] = (struct held){ p, order };
	return true;
}

static bool sim_free(struct sim *s)
{
	u64 k = rnd() % s->nheld;
	struct held h = s->held[k];
	u64 pfn = pfn_of(&s->t, h.page);

	s->held[k] = s->held[--s->nheld];
	if (zone_free_pages(&s->t.z, h.page, h.order) != 0) {
		printf("    # op %ld: free of %#lx failed\n", s->op, (unsigned long)pfn);
		return false;
	}
	for (u64 i = 0; i < (1UL << h.order); i++)
		s->model[pfn - s->base + i] = F_FREE;
	s->model_free += 1UL << h.order;
	return true;
}

static bool sim_step(struct sim *s)
{
	bool ok = s->nheld == 0 || rnd() % 100 < 55 ? sim_alloc(s) : sim_free(s);

	if (ok && s->model_free != zone_nr_free(&s->t.z)) {
		printf("    # op %ld: model has %lu free, zone %lu\n", s->op,
		       (unsigned long)s->model_free, (unsigned long)zone_nr_free(&s->t.z));
		ok = false;
	}
	if (ok && s->op % 1000 == 0)
		ok = zone_check(&s->t.z);
	return ok;
}

/* a zone with reserved stretches at awkward places, and its model */
static void sim_init(struct sim *s, u64 base, u64 n)
{
	*s = (struct sim){ .base = base, .n = n };
	s->model = calloc(n, 1);
	s->held = malloc(n * sizeof(*s->held));
	tz_init(&s->t, base, n);
	zone_free_range(&s->t.z, base, 700);
	zone_free_range(&s->t.z, base + 731, 2000);
	zone_free_range(&s->t.z, base + 2900, n - 2901);	/* the last stays reserved */
	for (u64 i = 0; i < n; i++) {
		s->model[i] = s->t.map[i].flags & PG_reserved ? F_HOLE : F_FREE;
		s->model_free += s->model[i] == F_FREE;
	}
}

UNIT_TEST(buddy_random_against_model)
{
	struct sim s;
	u64 initial[MAX_ORDER + 1], final[MAX_ORDER + 1], initial_free;
	bool ok = true;

	rng_state = 0x2545f4914f6cdd1dULL;
	sim_init(&s, 0x12345, 6000);
	initial_free = zone_nr_free(&s.t.z);
	CHECK_EQ(initial_free, 6000 - 31 - 169 - 1);
	CHECK_EQ(s.model_free, initial_free);
	counts(&s.t.z, initial);
	for (s.op = 0; s.op < 200000 && ok; s.op++)
		ok = sim_step(&s);
	CHECK(ok);
	CHECK(s.fails > 1000);		/* the zone was really under pressure */
	CHECK(s.nheld > 1000);
	while (s.nheld) {
		s.nheld--;
		CHECK_EQ(zone_free_pages(&s.t.z, s.held[s.nheld].page,
					 s.held[s.nheld].order), 0);
	}
	counts(&s.t.z, final);
	CHECK(same_counts(initial, final));
	CHECK_EQ(zone_nr_free(&s.t.z), initial_free);
	CHECK_EQ(s.t.z.managed_pages, initial_free);
	CHECK_EQ(s.t.z.nr_alloc_calls - s.t.z.nr_failed, s.t.z.nr_free_calls);
	CHECK(zone_check(&s.t.z));
	tz_fini(&s.t);
	free(s.model);
	free(s.held);
}

int main(void)
{
	/* LeakSanitizer exits without flushing stdio: keep the report line by line */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return unit_run_all();
}
