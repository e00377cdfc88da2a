/*
 * test_vma.c - host tests for mm/vma.c, the VMA set.
 *
 * The allocation hooks count live vm_area_structs (so every test can end
 * with "nothing leaked") and can be told to fail from the n-th allocation
 * on, which is how each allocation point of each operation is shown to
 * leave the set exactly as it was.  The randomized test runs insert,
 * unmap and protect against a model that stores one flags word per page:
 * the set must always equal the maximal equal-flag runs of the model.
 * File mappings are modelled too: each page also records which (fake)
 * file and which page of it it shows, and the open/close hooks count the
 * references each file holds, which must equal the VMAs that map it.
 */
#include <stdlib.h>
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "mm/vma.h"
#include "kernel/errno.h"

#define BASE	0x10000000UL
#define P(n)	(BASE + (u64)(long)(n) * PAGE_SIZE)	/* page n of the test area */
#define R	VM_READ
#define RW	(VM_READ | VM_WRITE)
#define RX	(VM_READ | VM_EXEC)

/* ------------------------------------------------------ allocation hooks */

static long allocs_live;	/* vm_area_structs not yet freed */
static long alloc_budget = -1;	/* allocations left before they fail; -1: no limit */
static long alloc_failures;	/* how many were refused */
static long alloc_calls;

static struct vm_area_struct *test_alloc(void)
{
	struct vm_area_struct *vma;

	alloc_calls++;
	if (alloc_budget == 0) {
		alloc_failures++;
		return NULL;
	}
	if (alloc_budget > 0)
		alloc_budget--;
	vma = malloc(sizeof(*vma));
	if (!vma)
		abort();
	memset(vma, 0xa5, sizeof(*vma));	/* vma.c must set every field */
	allocs_live++;
	return vma;
}

static void test_free(struct vm_area_struct *vma)
{
	memset(vma, 0x5a, sizeof(*vma));
	free(vma);
	allocs_live--;
}

/* Fake files: vma.c never looks inside, it only passes the pointer on. */
struct file {
	long refs;			/* held by VMAs, through the hooks */
};
static struct file files[3];

static void test_open(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		vma->vm_file->refs++;
}

static void test_close(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		vma->vm_file->refs--;
}

static const struct vma_ops test_ops = {
	.vma_alloc = test_alloc,
	.vma_free = test_free,
	.vma_open = test_open,
	.vma_close = test_close,
};

/* every file's reference count equals the VMAs of s that map it */
static bool file_refs_match(struct vma_set *s)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(files); f++) {
		struct vm_area_struct *vma;
		long n = 0;

		for_each_vma(s, vma)
			n += vma->vm_file == &files[f];
		if (files[f].refs != n) {
			printf("    # file %u: %ld references, %ld VMAs\n", f, files[f].refs, n);
			return false;
		}
	}
	return true;
}

static void set_init(struct vma_set *s)
{
	alloc_budget = -1;
	vma_set_init(s, &test_ops);
}

/* Every test ends here: the set must be sound and free everything. */
static void set_fini(struct vma_set *s)
{
	CHECK(vma_set_check(s));
	vma_set_destroy(s);
	CHECK_EQ(s->count, 0);
	CHECK_EQ(s->total_pages, 0);
	CHECK(list_empty(&s->list));
	CHECK_EQ(allocs_live, 0);
	CHECK(file_refs_match(s));
}

/* ------------------------------------------------------------- helpers */

/* "0-2 rw-p, 2-3 r--s" in pages of the test area, for readable CHECK_STRs */
static const char *layout(struct vma_set *s)
{
	static char buf[2048];
	struct vm_area_struct *vma;
	size_t n = 0;

	buf[0] = '\0';
	for_each_vma(s, vma) {
		u64 f = vma->vm_flags;

		n += snprintf(buf + n, sizeof(buf) - n, "%s%ld-%ld %c%c%c%c%s%s",
			      n ? ", " : "",
			      (long)(vma->vm_start - BASE) / PAGE_SIZE,
			      (long)(vma->vm_end - BASE) / PAGE_SIZE,
			      f & VM_READ ? 'r' : '-', f & VM_WRITE ? 'w' : '-',
			      f & VM_EXEC ? 'x' : '-', f & VM_SHARED ? 's' : 'p',
			      f & VM_GROWSDOWN ? "g" : "", f & VM_ANON ? "a" : "");
		if (n >= sizeof(buf))
			break;
	}
	return buf;
}

/*
 * Everything observable about a set, down to which struct holds what: the
 * first VMAs field by field (readable in a debugger), all of them hashed.
 */
struct snapshot {
	unsigned int count, n;
	u64 total_pages, hash;
	struct { struct vm_area_struct *vma; u64 start, end, flags; } v[32];
};

static u64 hash_mix(u64 h, u64 v)
{
	return (h ^ v) * 0x100000001b3ULL;	/* FNV-1a, a word at a time */
}

static void snap(struct vma_set *s, struct snapshot *sn)
{
	struct vm_area_struct *vma;
	u64 h = 0xcbf29ce484222325ULL;

	memset(sn, 0, sizeof(*sn));
	sn->count = s->count;
	sn->total_pages = s->total_pages;
	for_each_vma(s, vma) {
		h = hash_mix(h, (uintptr_t)vma);
		h = hash_mix(h, vma->vm_start);
		h = hash_mix(h, vma->vm_end);
		h = hash_mix(h, vma->vm_flags);
		h = hash_mix(h, (uintptr_t)vma->vm_file);
		h = hash_mix(h, vma->vm_pgoff);
		if (sn->n < ARRAY_SIZE(sn->v)) {
			sn->v[sn->n].vma = vma;
			sn->v[sn->n].start = vma->vm_start;
			sn->v[sn->n].end = vma->vm_end;
			sn->v[sn->n].flags = vma->vm_flags;
		}
		sn->n++;
	}
	sn->hash = h;
}

static bool unchanged(struct vma_set *s, const struct snapshot *before)
{
	struct snapshot now;

	snap(s, &now);
	return memcmp(&now, before, sizeof(now)) == 0;
}

/* --------------------------------------------------------------- basics */

UNIT_TEST(insert_and_overlap)
{
	struct vma_set s;
	struct snapshot before;

	set_init(&s);
	CHECK_EQ(vma_insert(&s, P(10), P(20), RW), 0);
	CHECK_EQ(vma_insert(&s, P(30), P(31), R), 0);
	CHECK_EQ(vma_insert(&s, P(0), P(2), RX), 0);
	CHECK_STR(layout(&s), "0-2 r-xp, 10-20 rw-p, 30-31 r--p");
	CHECK_EQ(s.count, 3);
	CHECK_EQ(s.total_pages, 13);
	CHECK_EQ(allocs_live, 3);

	snap(&s, &before);
	CHECK_EQ(vma_insert(&s, P(10), P(20), RW), -EEXIST);	/* the same */
	CHECK_EQ(vma_insert(&s, P(5), P(11), RW), -EEXIST);	/* left edge */
	CHECK_EQ(vma_insert(&s, P(19), P(25), RW), -EEXIST);	/* right edge */
	CHECK_EQ(vma_insert(&s, P(12), P(13), RW), -EEXIST);	/* inside */
	CHECK_EQ(vma_insert(&s, P(5), P(35), RW), -EEXIST);	/* around two */
	CHECK(unchanged(&s, &before));
	set_fini(&s);
}

UNIT_TEST(insert_merges_touching_equal_flags)
{
	struct vma_set s;
	struct vm_area_struct *a;

	set_init(&s);
	CHECK_EQ(vma_insert(&s, P(10), P(12), RW), 0);
	a = find_vma(&s, P(10));
	CHECK_EQ(vma_insert(&s, P(12), P(14), RW), 0);		/* grows right */
	CHECK_EQ(vma_insert(&s, P(8), P(10), RW), 0);		/* grows left */
	CHECK_STR(layout(&s), "8-14 rw-p");
	CHECK(find_vma(&s, P(8)) == a);			/* no new struct */

	CHECK_EQ(vma_insert(&s, P(16), P(18), RW), 0);
	CHECK_EQ(vma_insert(&s, P(14), P(16), RW), 0);		/* fills the gap */
	CHECK_STR(layout(&s), "8-18 rw-p");
	CHECK_EQ(s.count, 1);
	CHECK_EQ(allocs_live, 1);

	CHECK_EQ(vma_insert(&s, P(18), P(19), R), 0);		/* touching, other flags */
	CHECK_EQ(vma_insert(&s, P(7), P(8), RW | VM_SHARED), 0);
	CHECK_EQ(vma_insert(&s, P(20), P(21), R), 0);		/* same flags, not touching */
	CHECK_STR(layout(&s), "7-8 rw-s, 8-18 rw-p, 18-19 r--p, 20-21 r--p");
	CHECK_EQ(vma_insert(&s, P(19), P(20), R), 0);		/* bridges two */
	CHECK_STR(layout(&s), "7-8 rw-s, 8-18 rw-p, 18-21 r--p");
	CHECK_EQ(s.total_pages, 14);
	set_fini(&s);
}

UNIT_TEST(find_vma_semantics)
{
	struct vma_set s;
	struct vm_area_struct *a, *b;

	set_init(&s);
	CHECK(find_vma(&s, P(0)) == NULL);
	CHECK(find_vma_intersection(&s, P(0), P(100)) == NULL);
	vma_insert(&s, P(10), P(20), RW);
	vma_insert(&s, P(30), P(40), R);
	a = find_vma(&s, P(10));
	b = find_vma(&s, P(30));
	CHECK(a && a->vm_start == P(10) && b && b->vm_start == P(30));

	CHECK(find_vma(&s, 0) == a);			/* below: the next one */
	CHECK(find_vma(&s, P(10) - 1) == a);
	CHECK(find_vma(&s, P(15) + 123) == a);
	CHECK(find_vma(&s, P(20) - 1) == a);
	CHECK(find_vma(&s, P(20)) == b);		/* vm_end is outside */
	CHECK(find_vma(&s, P(25)) == b);		/* in the gap */
	CHECK(find_vma(&s, P(40) - 1) == b);
	CHECK(find_vma(&s, P(40)) == NULL);
	CHECK(find_vma(&s, ~0UL) == NULL);

	CHECK(find_vma_intersection(&s, P(0), P(10)) == NULL);	/* touches a */
	CHECK(find_vma_intersection(&s, P(20), P(30)) == NULL);	/* the gap */
	CHECK(find_vma_intersection(&s, P(0), P(11)) == a);
	CHECK(find_vma_intersection(&s, P(19), P(31)) == a);
	CHECK(find_vma_intersection(&s, P(20), P(31)) == b);
	CHECK(find_vma_intersection(&s, P(35), P(36)) == b);
	CHECK(find_vma_intersection(&s, P(40), P(50)) == NULL);

	CHECK(vma_next(&s, NULL) == a && vma_next(&s, a) == b && !vma_next(&s, b));
	CHECK(vma_prev(&s, NULL) == b && vma_prev(&s, b) == a && !vma_prev(&s, a));
	set_fini(&s);
}

/* ---------------------------------------------------------------- unmap */

UNIT_TEST(unmap_middle_splits)
{
	struct vma_set s;
	struct vm_area_struct *a;

	set_init(&s);
	vma_insert(&s, P(0), P(10), RW);
	a = find_vma(&s, P(0));
	CHECK_EQ(vma_unmap(&s, P(3), P(5)), 0);
	CHECK_STR(layout(&s), "0-3 rw-p, 5-10 rw-p");
	CHECK(find_vma(&s, P(0)) == a);		/* the old struct keeps the bottom */
	CHECK_EQ(s.count, 2);
	CHECK_EQ(s.total_pages, 8);
	CHECK_EQ(allocs_live, 2);
	CHECK_EQ(vma_unmap(&s, P(8), P(10)), 0);	/* the tail: trims, no split */
	CHECK_EQ(vma_unmap(&s, P(5), P(6)), 0);		/* the head */
	CHECK_STR(layout(&s), "0-3 rw-p, 6-8 rw-p");
	CHECK_EQ(s.count, 2);
	CHECK_EQ(allocs_live, 2);
	set_fini(&s);
}

UNIT_TEST(unmap_edges_holes_and_spans)
{
	struct vma_set s;
	struct snapshot before;

	set_init(&s);
	vma_insert(&s, P(0), P(3), RW);
	vma_insert(&s, P(4), P(6), R);
	vma_insert(&s, P(6), P(8), RX);
	vma_insert(&s, P(9), P(12), RW);
	vma_insert(&s, P(20), P(30), R);

	snap(&s, &before);
	CHECK_EQ(vma_unmap(&s, P(12), P(20)), 0);	/* a hole, exactly */
	CHECK_EQ(vma_unmap(&s, P(100), P(200)), 0);	/* past everything */
	CHECK(unchanged(&s, &before));

	CHECK_EQ(vma_unmap(&s, P(2), P(10)), 0);	/* trims two, removes two */
	CHECK_STR(layout(&s), "0-2 rw-p, 10-12 rw-p, 20-30 r--p");
	CHECK_EQ(vma_unmap(&s, P(20), P(22)), 0);	/* left edge */
	CHECK_EQ(vma_unmap(&s, P(28), P(35)), 0);	/* right edge */
	CHECK_STR(layout(&s), "0-2 rw-p, 10-12 rw-p, 22-28 r--p");
	CHECK_EQ(vma_unmap(&s, P(10), P(12)), 0);	/* exactly one */
	CHECK_STR(layout(&s), "0-2 rw-p, 22-28 r--p");
	CHECK_EQ(s.total_pages, 8);
	CHECK_EQ(vma_unmap(&s, 0, TASK_SIZE_MAX), 0);	/* everything */
	CHECK_STR(layout(&s), "");
	CHECK_EQ(s.count, 0);
	CHECK_EQ(allocs_live, 0);
	set_fini(&s);
}

/* -------------------------------------------------------------- protect */

UNIT_TEST(protect_middle_splits_in_three_and_remerges)
{
	struct vma_set s;
	struct vm_area_struct *a;

	set_init(&s);
	vma_insert(&s, P(0), P(10), RW);
	a = find_vma(&s, P(0));
	CHECK_EQ(vma_protect(&s, P(3), P(5), R), 0);
	CHECK_STR(layout(&s), "0-3 rw-p, 3-5 r--p, 5-10 rw-p");
	CHECK(find_vma(&s, P(0)) == a);
	CHECK_EQ(s.count, 3);
	CHECK_EQ(s.total_pages, 10);

	CHECK_EQ(vma_protect(&s, P(3), P(5), RW), 0);
	CHECK_STR(layout(&s), "0-10 rw-p");
	CHECK(find_vma(&s, P(0)) == a);
	CHECK_EQ(s.count, 1);
	CHECK_EQ(allocs_live, 1);
	set_fini(&s);
}

UNIT_TEST(protect_keeps_other_bits_per_vma)
{
	struct vma_set s;

	set_init(&s);
	vma_insert(&s, P(0), P(4), RW | VM_ANON);
	vma_insert(&s, P(4), P(8), RW | VM_SHARED);
	CHECK_EQ(vma_protect(&s, P(2), P(6), R), 0);
	CHECK_STR(layout(&s), "0-2 rw-pa, 2-4 r--pa, 4-6 r--s, 6-8 rw-s");
	CHECK_EQ(vma_protect(&s, P(0), P(8), VM_NONE), 0);	/* PROT_NONE */
	CHECK_STR(layout(&s), "0-4 ---pa, 4-8 ---s");
	set_fini(&s);
}

UNIT_TEST(protect_merges_with_neighbours)
{
	struct vma_set s;

	set_init(&s);
	vma_insert(&s, P(0), P(4), R);
	vma_insert(&s, P(4), P(8), RW);
	vma_insert(&s, P(8), P(12), RX);
	CHECK_EQ(vma_protect(&s, P(4), P(6), R), 0);	/* joins the left one */
	CHECK_STR(layout(&s), "0-6 r--p, 6-8 rw-p, 8-12 r-xp");
	CHECK_EQ(vma_protect(&s, P(7), P(8), RX), 0);	/* joins the right one */
	CHECK_STR(layout(&s), "0-6 r--p, 6-7 rw-p, 7-12 r-xp");
	CHECK_EQ(vma_protect(&s, P(1), P(11), RW), 0);
	CHECK_STR(layout(&s), "0-1 r--p, 1-11 rw-p, 11-12 r-xp");
	CHECK_EQ(vma_protect(&s, P(0), P(12), RX), 0);
	CHECK_STR(layout(&s), "0-12 r-xp");
	CHECK_EQ(s.count, 1);
	CHECK_EQ(allocs_live, 1);
	set_fini(&s);
}

UNIT_TEST(protect_needs_the_whole_range_mapped)
{
	struct vma_set s;
	struct snapshot before;

	set_init(&s);
	CHECK_EQ(vma_protect(&s, P(0), P(1), R), -ENOMEM);	/* empty set */
	vma_insert(&s, P(0), P(4), RW);
	vma_insert(&s, P(5), P(8), RW);
	vma_unmap(&s, P(6), P(7));
	snap(&s, &before);
	CHECK_EQ(vma_protect(&s, P(2), P(6), R), -ENOMEM);	/* hole inside */
	CHECK_EQ(vma_protect(&s, P(5), P(8), R), -ENOMEM);	/* the unmapped page */
	CHECK_EQ(vma_protect(&s, P(4), P(5), R), -ENOMEM);	/* all hole */
	CHECK_EQ(vma_protect(&s, P(3), P(5), R), -ENOMEM);	/* ends in a hole */
	CHECK_EQ(vma_protect(&s, P(7), P(9), R), -ENOMEM);	/* runs past the end */
	CHECK_EQ(vma_protect(&s, P(-1), P(1), R), -ENOMEM);	/* starts before */
	CHECK(unchanged(&s, &before));
	CHECK_EQ(vma_protect(&s, P(0), P(4), R), 0);
	CHECK_STR(layout(&s), "0-4 r--p, 5-6 rw-p, 7-8 rw-p");
	set_fini(&s);
}

UNIT_TEST(protect_splits_only_what_changes)
{
	struct vma_set s;
	struct snapshot before;
	long calls;

	set_init(&s);
	vma_insert(&s, P(0), P(10), RW);
	vma_insert(&s, P(10), P(20), R);
	snap(&s, &before);
	calls = alloc_calls;
	CHECK_EQ(vma_protect(&s, P(3), P(5), RW), 0);	/* a no-op in the middle */
	CHECK_EQ(alloc_calls, calls);
	CHECK(unchanged(&s, &before));

	CHECK_EQ(vma_protect(&s, P(5), P(15), RW), 0);	/* only 10-15 changes */
	CHECK_EQ(alloc_calls - calls, 1);
	CHECK_STR(layout(&s), "0-15 rw-p, 15-20 r--p");
	CHECK_EQ(vma_protect(&s, P(1), P(19), RW), 0);	/* only 15-19 changes */
	CHECK_EQ(alloc_calls - calls, 2);
	CHECK_STR(layout(&s), "0-19 rw-p, 19-20 r--p");
	CHECK_EQ(s.count, 2);
	CHECK_EQ(allocs_live, 2);
	set_fini(&s);
}

/* ------------------------------------------------------------ arguments */

UNIT_TEST(invalid_arguments)
{
	struct vma_set s;
	struct snapshot before;
	static const struct { u64 start, end; } bad[] = {
		{ P(0) + 1, P(1) },			/* unaligned start */
		{ P(0), P(1) - 1 },			/* unaligned end */
		{ P(1), P(1) },				/* empty */
		{ P(2), P(1) },				/* start > end */
		{ TASK_SIZE_MAX - PAGE_SIZE, TASK_SIZE_MAX + PAGE_SIZE },
		{ TASK_SIZE_MAX, TASK_SIZE_MAX + PAGE_SIZE },
		{ 0xffff800000000000UL, 0xffff800000001000UL },	/* kernel half */
		{ 0xfffffffffffff000UL, 0x1000 },	/* start + len wrapped */
		{ 0xfffffffffffff000UL, 0 },
	};

	set_init(&s);
	vma_insert(&s, P(0), P(4), RW);
	snap(&s, &before);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK_EQ(vma_insert(&s, bad[i].start, bad[i].end, RW), -EINVAL);
		CHECK_EQ(vma_unmap(&s, bad[i].start, bad[i].end), -EINVAL);
		CHECK_EQ(vma_protect(&s, bad[i].start, bad[i].end, R), -EINVAL);
	}
	CHECK_EQ(vma_insert(&s, P(10), P(11), RW | 0x10000000UL), -EINVAL);
	CHECK_EQ(vma_protect(&s, P(0), P(1), R | VM_SHARED), -EINVAL);
	CHECK_EQ(vma_protect(&s, P(0), P(1), R | VM_ANON), -EINVAL);
	CHECK(unchanged(&s, &before));

	/* the last user page is still usable */
	CHECK_EQ(vma_insert(&s, TASK_SIZE_MAX - PAGE_SIZE, TASK_SIZE_MAX, RW), 0);
	CHECK_EQ(vma_protect(&s, TASK_SIZE_MAX - PAGE_SIZE, TASK_SIZE_MAX, R), 0);
	CHECK_EQ(vma_unmap(&s, TASK_SIZE_MAX - PAGE_SIZE, TASK_SIZE_MAX), 0);
	CHECK(unchanged(&s, &before));
	set_fini(&s);
}

/* ------------------------------------------------------ out of memory */

struct oom_case {
	const char *name;
	void (*setup)(struct vma_set *s);
	int (*op)(struct vma_set *s);
	int allocs;			/* allocation points the op must have */
};

static void setup_one(struct vma_set *s)
{
	vma_insert(s, P(0), P(10), RW);
}

static void setup_three(struct vma_set *s)
{
	vma_insert(s, P(0), P(4), R);
	vma_insert(s, P(4), P(8), RW);
	vma_insert(s, P(8), P(12), RW | VM_SHARED);
}

static int op_insert_new(struct vma_set *s) { return vma_insert(s, P(20), P(21), R); }
static int op_insert_merge(struct vma_set *s) { return vma_insert(s, P(10), P(11), RW); }
static int op_unmap_middle(struct vma_set *s) { return vma_unmap(s, P(3), P(5)); }
static int op_unmap_edges(struct vma_set *s) { return vma_unmap(s, P(2), P(10)); }
static int op_protect_middle(struct vma_set *s) { return vma_protect(s, P(3), P(5), R); }
static int op_protect_head(struct vma_set *s) { return vma_protect(s, P(0), P(5), R); }
static int op_protect_across(struct vma_set *s) { return vma_protect(s, P(2), P(10), RX); }
static int op_protect_merge(struct vma_set *s) { return vma_protect(s, P(4), P(6), R); }
static int op_protect_all(struct vma_set *s) { return vma_protect(s, P(0), P(12), R); }

static void setup_file(struct vma_set *s)
{
	vma_insert_file(s, P(0), P(10), R, &files[0], 5);
}

static int op_file_insert_merge(struct vma_set *s)
{
	return vma_insert_file(s, P(10), P(12), R, &files[0], 15);
}

static int op_file_insert_new(struct vma_set *s)
{
	return vma_insert_file(s, P(10), P(12), R, &files[0], 99);	/* not contiguous */
}

static int op_file_protect_middle(struct vma_set *s)
{
	return vma_protect(s, P(3), P(5), RW);
}

static struct vma_set dup_dst;

static int op_dup(struct vma_set *s)
{
	int ret;

	vma_set_init(&dup_dst, &test_ops);
	ret = vma_set_dup(&dup_dst, s);
	if (ret) {			/* nothing may have been made */
		CHECK_EQ(dup_dst.count, 0);
		CHECK(list_empty(&dup_dst.list));
	}
	vma_set_destroy(&dup_dst);
	return ret;
}

static const struct oom_case oom_cases[] = {
	{ "file insert merge",	setup_file,	op_file_insert_merge,	0 },
	{ "file insert new",	setup_file,	op_file_insert_new,	1 },
	{ "file unmap middle",	setup_file,	op_unmap_middle,	1 },
	{ "file protect middle", setup_file,	op_file_protect_middle,	2 },
	{ "dup three",		setup_three,	op_dup,			3 },
	{ "insert new",		setup_one,	op_insert_new,		1 },
	{ "insert merge",	setup_one,	op_insert_merge,	0 },
	{ "unmap middle",	setup_one,	op_unmap_middle,	1 },
	{ "unmap edges",	setup_three,	op_unmap_edges,		0 },
	{ "protect middle",	setup_one,	op_protect_middle,	2 },
	{ "protect head",	setup_one,	op_protect_head,	1 },
	{ "protect across",	setup_three,	op_protect_across,	2 },
	{ "protect merge",	setup_three,	op_protect_merge,	1 },
	{ "protect all",	setup_three,	op_protect_all,		0 },
};

/* Fail allocation n = 0, 1, ... until the op gets all it needs. */
static void oom_every_point(const struct oom_case *c)
{
	struct vma_set s;
	struct snapshot before;
	int n, ret;

	for (n = 0; n <= 4; n++) {
		set_init(&s);
		c->setup(&s);
		snap(&s, &before);
		alloc_failures = 0;
		alloc_budget = n;
		ret = c->op(&s);
		alloc_budget = -1;
		if (ret == -ENOMEM) {
			CHECK(alloc_failures > 0);
			CHECK(unchanged(&s, &before));
			CHECK_EQ(allocs_live, s.count);
			CHECK(file_refs_match(&s));
		} else {
			CHECK_EQ(ret, 0);
		}
		set_fini(&s);
		if (ret != -ENOMEM)
			break;
	}
	if (n != c->allocs)
		printf("    # %s: %d allocation points, expected %d\n", c->name, n, c->allocs);
	CHECK_EQ(n, c->allocs);
}

UNIT_TEST(allocation_failure_at_every_point)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(oom_cases); i++)
		oom_every_point(&oom_cases[i]);
}

/* Fill to VMA_MAX_COUNT: operations that add a VMA fail, the rest work. */
UNIT_TEST(max_map_count)
{
	struct vma_set s;
	struct snapshot before;
	int i;

	set_init(&s);
	/* top-down, so each insert finds its place at the head of the list */
	for (i = VMA_MAX_COUNT - 1; i >= 0; i--)
		if (vma_insert(&s, P(4 * i), P(4 * i + 3), R))
			break;
	CHECK_EQ(i, -1);
	CHECK_EQ(s.count, VMA_MAX_COUNT);
	CHECK(vma_set_check(&s));

	snap(&s, &before);
	CHECK_EQ(vma_insert(&s, P(-2), P(-1), R), -ENOMEM);
	CHECK_EQ(vma_unmap(&s, P(1), P(2)), -ENOMEM);		/* would split */
	CHECK_EQ(vma_protect(&s, P(1), P(2), RW), -ENOMEM);
	CHECK_EQ(vma_protect(&s, P(0), P(1), RW), -ENOMEM);
	CHECK(unchanged(&s, &before));
	CHECK_EQ(allocs_live, VMA_MAX_COUNT);

	CHECK_EQ(vma_insert(&s, P(-1), P(0), R), 0);		/* merges */
	CHECK_EQ(vma_unmap(&s, P(-1), P(0)), 0);		/* trims */
	CHECK_EQ(vma_protect(&s, P(0), P(3), RW), 0);		/* whole VMA */
	CHECK_EQ(vma_insert(&s, P(7), P(8), R), 0);		/* bridges two */
	CHECK_EQ(s.count, VMA_MAX_COUNT - 1);
	CHECK_EQ(vma_insert(&s, P(-2), P(-1), R), 0);
	CHECK_EQ(vma_insert(&s, P(-4), P(-3), R), -ENOMEM);
	CHECK_EQ(s.count, VMA_MAX_COUNT);
	set_fini(&s);
}

/* ---------------------------------------------------- get_unmapped_area */

UNIT_TEST(get_unmapped_area_top_down)
{
	struct vma_set s;
	u64 base = VMA_MMAP_BASE, pg = PAGE_SIZE, a;

	set_init(&s);
	CHECK_EQ(vma_get_unmapped_area(&s, 4 * pg, 0), base - 4 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 0, 0), 0);
	CHECK_EQ(vma_get_unmapped_area(&s, pg + 1, 0), 0);
	CHECK_EQ(vma_get_unmapped_area(&s, TASK_SIZE_MAX + pg, 0), 0);
	CHECK_EQ(vma_get_unmapped_area(&s, ~0UL & ~(pg - 1), 0), 0);

	/* a stack above mmap_base is not in the way; mappings pack downwards */
	vma_insert(&s, TASK_SIZE_MAX - 8 * pg, TASK_SIZE_MAX, RW | VM_GROWSDOWN);
	a = vma_get_unmapped_area(&s, 4 * pg, 0);
	CHECK_EQ(a, base - 4 * pg);
	vma_insert(&s, a, a + 4 * pg, RW);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, 0), base - 6 * pg);

	/* a one-page gap is used for one page and skipped for two */
	vma_insert(&s, base - 8 * pg, base - 5 * pg, R);
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), base - 5 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, 0), base - 10 * pg);
	CHECK(vma_set_check(&s));

	/* a VMA across mmap_base lowers the top */
	vma_unmap(&s, 0, TASK_SIZE_MAX);
	vma_insert(&s, base - 2 * pg, base + 2 * pg, R);
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), base - 3 * pg);
	set_fini(&s);
}

UNIT_TEST(get_unmapped_area_hint)
{
	struct vma_set s;
	u64 pg = PAGE_SIZE, base = VMA_MMAP_BASE;

	set_init(&s);
	vma_insert(&s, P(10), P(20), RW);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(0)), P(0));
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(8)), P(8));	/* exact fit */
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(7) + 1), P(8));	/* rounded up */
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(9)), base - 2 * pg);	/* overlaps */
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(19)), base - 2 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, P(20)), P(20));
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, base + pg), base + pg);	/* above base is fine */
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, VMA_MMAP_MIN_ADDR - pg), base - 2 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, VMA_MMAP_MIN_ADDR), VMA_MMAP_MIN_ADDR);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, TASK_SIZE_MAX - 2 * pg), TASK_SIZE_MAX - 2 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, TASK_SIZE_MAX - pg), base - 2 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, ~0UL), base - 2 * pg);
	set_fini(&s);
}

UNIT_TEST(get_unmapped_area_no_room)
{
	struct vma_set s;
	u64 pg = PAGE_SIZE, lo = VMA_MMAP_MIN_ADDR;

	set_init(&s);
	s.mmap_base = lo + 4 * pg;		/* room for four pages only */
	vma_insert(&s, 0, pg, R);		/* below mmap_min_addr: irrelevant */
	CHECK_EQ(vma_get_unmapped_area(&s, 4 * pg, 0), lo);
	CHECK_EQ(vma_get_unmapped_area(&s, 5 * pg, 0), 0);
	vma_insert(&s, lo + pg, lo + 2 * pg, R);
	CHECK_EQ(vma_get_unmapped_area(&s, 2 * pg, 0), lo + 2 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), lo + 3 * pg);
	CHECK_EQ(vma_get_unmapped_area(&s, 3 * pg, 0), 0);
	vma_insert(&s, lo + 2 * pg, lo + 4 * pg, RW);
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), lo);		/* the last page */
	vma_insert(&s, lo, lo + pg, RW);
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), 0);
	s.mmap_base = lo;
	CHECK_EQ(vma_get_unmapped_area(&s, pg, 0), 0);
	set_fini(&s);
}

/* ------------------------------------------------- check, dump, destroy */

UNIT_TEST(check_catches_broken_sets)
{
	struct vma_set s;
	struct vm_area_struct *a, *b;

	set_init(&s);
	vma_insert(&s, P(0), P(4), R);
	vma_insert(&s, P(4), P(8), RW);
	a = find_vma(&s, P(0));
	b = find_vma(&s, P(4));
	CHECK(vma_set_check(&s));

	host_printk_reset();
	b->vm_flags = R;			/* unmerged equal neighbours */
	CHECK(!vma_set_check(&s));
	b->vm_flags = RW;
	a->vm_end = P(5);			/* overlap (and the page count) */
	CHECK(!vma_set_check(&s));
	a->vm_end = P(4);
	a->vm_start = P(0) + 8;			/* unaligned */
	CHECK(!vma_set_check(&s));
	a->vm_start = P(0);
	s.count++;
	CHECK(!vma_set_check(&s));
	s.count--;
	s.total_pages++;
	CHECK(!vma_set_check(&s));
	s.total_pages--;
	b->vm_flags |= 0x40000000UL;		/* unknown bit */
	CHECK(!vma_set_check(&s));
	b->vm_flags = RW;
	CHECK(host_printk_errors >= 6);

	host_printk_reset();
	CHECK(vma_set_check(&s));
	CHECK_EQ(host_printk_errors, 0);
	set_fini(&s);
}

UNIT_TEST(dump_like_proc_maps)
{
	struct vma_set s;

	set_init(&s);
	vma_insert(&s, 0x400000, 0x401000, RX);
	host_printk_reset();
	vma_set_dump(&s);
	CHECK_STR(host_printk_last, "00400000-00401000 r-xp\n");
	vma_insert(&s, 0x7ffff7ff0000UL, 0x7ffff7ff2000UL, RW | VM_SHARED);
	vma_set_dump(&s);
	CHECK_STR(host_printk_last, "7ffff7ff0000-7ffff7ff2000 rw-s\n");
	vma_unmap(&s, 0x7ffff7ff0000UL, 0x7ffff7ff2000UL);
	vma_insert_file(&s, 0x7ffff7ff0000UL, 0x7ffff7ff2000UL, R | VM_MAYSHARE, &files[0], 2);
	vma_set_dump(&s);
	CHECK_STR(host_printk_last, "7ffff7ff0000-7ffff7ff2000 r--s 00002000 file\n");
	CHECK_EQ(host_printk_errors, 0);
	set_fini(&s);
}

UNIT_TEST(destroy_frees_everything_and_set_is_reusable)
{
	struct vma_set s;

	set_init(&s);
	for (int i = 0; i < 100; i++)
		vma_insert(&s, P(3 * i), P(3 * i + 2), i % 2 ? R : RW);
	vma_protect(&s, P(1), P(2), RX);
	CHECK_EQ(allocs_live, 101);
	vma_set_destroy(&s);
	CHECK_EQ(allocs_live, 0);
	CHECK_EQ(s.count, 0);
	CHECK(vma_set_check(&s));
	CHECK_EQ(vma_insert(&s, P(0), P(1), R), 0);
	set_fini(&s);
}

/* ---------------------------------------------------------------- files */

UNIT_TEST(file_offsets_follow_splits_and_trims)
{
	struct vma_set s;
	struct vm_area_struct *v;

	set_init(&s);
	CHECK_EQ(vma_insert_file(&s, P(0), P(10), R, &files[0], 100), 0);
	CHECK_EQ(files[0].refs, 1);
	CHECK_EQ(vma_unmap(&s, P(3), P(5)), 0);		/* split: 0-3 and 5-10 */
	CHECK_EQ(files[0].refs, 2);
	v = find_vma(&s, P(5));
	CHECK(v && v->vm_start == P(5) && v->vm_pgoff == 105 && v->vm_file == &files[0]);
	CHECK_EQ(vma_unmap(&s, P(5), P(6)), 0);		/* trim the front */
	v = find_vma(&s, P(6));
	CHECK(v && v->vm_start == P(6) && v->vm_pgoff == 106);
	CHECK_EQ(vma_protect(&s, P(1), P(2), RW), 0);	/* three parts */
	v = find_vma(&s, P(1));
	CHECK(v && v->vm_start == P(1) && v->vm_pgoff == 101 && v->vm_flags == RW);
	v = find_vma(&s, P(2));
	CHECK(v && v->vm_start == P(2) && v->vm_pgoff == 102 && v->vm_flags == R);
	CHECK_EQ(files[0].refs, 4);
	CHECK_EQ(vma_protect(&s, P(1), P(2), R), 0);	/* merges back */
	CHECK_EQ(files[0].refs, 2);
	CHECK_STR(layout(&s), "0-3 r--p, 6-10 r--p");
	/* filling the hole with the right pages joins everything again */
	CHECK_EQ(vma_insert_file(&s, P(3), P(6), R, &files[0], 103), 0);
	CHECK_STR(layout(&s), "0-10 r--p");
	CHECK_EQ(files[0].refs, 1);
	CHECK_EQ(find_vma(&s, P(0))->vm_pgoff, 100);
	set_fini(&s);
}

UNIT_TEST(file_merges_only_when_contiguous)
{
	struct vma_set s;

	set_init(&s);
	CHECK_EQ(vma_insert_file(&s, P(0), P(2), R, &files[0], 0), 0);
	CHECK_EQ(vma_insert_file(&s, P(2), P(4), R, &files[0], 7), 0);	/* gap in file */
	CHECK_EQ(vma_insert_file(&s, P(4), P(6), R, &files[1], 9), 0);	/* other file */
	CHECK_EQ(vma_insert(&s, P(6), P(8), R), 0);			/* anonymous */
	CHECK_EQ(s.count, 4);
	/* grows the VMA after it downwards: its offset moves with its start */
	CHECK_EQ(vma_insert_file(&s, P(9), P(10), R, &files[1], 4), 0);
	CHECK_EQ(vma_insert_file(&s, P(10), P(12), R, &files[1], 5), 0);
	CHECK_EQ(find_vma(&s, P(10))->vm_start, P(9));
	CHECK_EQ(find_vma(&s, P(10))->vm_pgoff, 4);
	CHECK_EQ(vma_insert_file(&s, P(8), P(9), R, &files[1], 3), 0);
	CHECK_EQ(find_vma(&s, P(8))->vm_start, P(8));
	CHECK_EQ(find_vma(&s, P(8))->vm_pgoff, 3);
	CHECK_EQ(find_vma(&s, P(8))->vm_end, P(12));
	CHECK_EQ(files[1].refs, 2);
	/* anonymous: the offset is ignored and kept 0 */
	CHECK_EQ(vma_insert_file(&s, P(20), P(21), R, NULL, 77), 0);
	CHECK_EQ(find_vma(&s, P(20))->vm_pgoff, 0);
	/* the file offsets may not wrap */
	CHECK_EQ(vma_insert_file(&s, P(30), P(32), R, &files[0], ~0UL), -EINVAL);
	CHECK(vma_set_check(&s));
	set_fini(&s);
}

UNIT_TEST(dup_copies_everything)
{
	struct vma_set s, d;
	struct vm_area_struct *a, *b;

	set_init(&s);
	vma_insert(&s, P(0), P(4), RW | VM_ANON);
	vma_insert_file(&s, P(4), P(8), RX, &files[2], 3);
	vma_insert(&s, P(20), P(21), RW | VM_SHARED);
	s.mmap_base = P(100);
	vma_set_init(&d, &test_ops);
	CHECK_EQ(vma_set_dup(&d, &s), 0);
	CHECK_EQ(d.count, 3);
	CHECK_EQ(d.total_pages, s.total_pages);
	CHECK_EQ(d.mmap_base, P(100));
	CHECK_EQ(files[2].refs, 2);
	for (a = vma_next(&s, NULL), b = vma_next(&d, NULL); a && b;
	     a = vma_next(&s, a), b = vma_next(&d, b)) {
		CHECK(a != b);
		CHECK(a->vm_start == b->vm_start && a->vm_end == b->vm_end &&
		      a->vm_flags == b->vm_flags && a->vm_file == b->vm_file &&
		      a->vm_pgoff == b->vm_pgoff);
	}
	CHECK(!a && !b);
	CHECK(vma_set_check(&d));
	CHECK_EQ(vma_set_dup(&d, &s), -EINVAL);		/* not empty */
	vma_set_destroy(&d);
	CHECK_EQ(files[2].refs, 1);
	set_fini(&s);
}

/* ------------------------------------------------------------ randomized */

#define NPAGES		512
#define UNMAPPED	(~0UL)
#define RANDOM_OPS	100000

static u64 model[NPAGES];	/* flags of each page of the test area */
static struct file *model_file[NPAGES];	/* the file it shows, or NULL */
static u64 model_pg[NPAGES];	/* which page of that file */

/* does page j continue the run of page j - 1? */
static bool model_continues(int j)
{
	return model[j] == model[j - 1] && model_file[j] == model_file[j - 1] &&
	       (!model_file[j] || model_pg[j] == model_pg[j - 1] + 1);
}

static u64 rng_state = 0x5eed5eed1234abcdULL;

static u64 rnd(u64 n)		/* xorshift64*: the same sequence everywhere */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (rng_state * 0x2545f4914f6cdd1dULL) % n;
}

static bool model_any(int a, int b, bool mapped)
{
	for (int i = a; i < b; i++)
		if ((model[i] != UNMAPPED) == mapped)
			return true;
	return false;
}

/* The set must be exactly the maximal runs of equal flags in the model. */
static bool model_matches(struct vma_set *s)
{
	struct vm_area_struct *vma = vma_next(s, NULL);
	int i = 0, j;

	while (i < NPAGES) {
		if (model[i] == UNMAPPED) {
			i++;
			continue;
		}
		for (j = i + 1; j < NPAGES && model_continues(j); j++)
			;
		if (!vma || vma->vm_start != P(i) || vma->vm_end != P(j) ||
		    vma->vm_flags != model[i] || vma->vm_file != model_file[i] ||
		    vma->vm_pgoff != (model_file[i] ? model_pg[i] : 0)) {
			printf("    # expected %d-%d flags %#lx, set has %s\n", i, j,
			       (unsigned long)model[i], layout(s));
			return false;
		}
		vma = vma_next(s, vma);
		i = j;
	}
	if (vma)
		printf("    # extra VMAs: %s\n", layout(s));
	return !vma;
}

/* find_vma at a random address must agree with the model */
static bool model_find(struct vma_set *s)
{
	int x = rnd(NPAGES), y = x;
	struct vm_area_struct *vma = find_vma(s, P(x) + rnd(PAGE_SIZE));

	while (y < NPAGES && model[y] == UNMAPPED)
		y++;
	if (y == NPAGES)
		return vma == NULL;
	return vma && vma->vm_start <= P(y) && vma->vm_end > P(y) &&
	       (y == x || vma->vm_start == P(y));
}

/*
 * Top-down from mmap_base = P(NPAGES): the highest end e <= NPAGES with
 * [e - len, e) free, where everything below the test area is free.
 */
static bool model_unmapped_area(struct vma_set *s)
{
	int len = 1 + rnd(32), e;

	for (e = NPAGES; model_any(MAX(e - len, 0), MAX(e, 0), true); e--)
		;
	return vma_get_unmapped_area(s, (u64)len * PAGE_SIZE, 0) == P(e - len);
}

/* the end of the mapped run starting at a, within [a + 1, b] */
static int mapped_end(int a, int b)
{
	int i = a + 1;

	while (i < b && model[i] != UNMAPPED)
		i++;
	return i;
}

static const u64 random_flags[] = {
	R, RW, RX, VM_NONE, RW | VM_SHARED, RW | VM_ANON, RW | VM_GROWSDOWN,
};
static const u64 random_prot[] = { VM_NONE, R, RW, RX };

static void random_range(int *a, int *b)
{
	int r = rnd(100), len;

	len = 1 + (r < 70 ? rnd(8) : r < 95 ? rnd(64) : rnd(NPAGES));
	*a = rnd(NPAGES);
	*b = MIN(*a + len, NPAGES);
}

/* One random operation on both; false (with a message) on disagreement. */
static bool random_step(struct vma_set *s, long step)
{
	int a, b, op = rnd(10), ret, want;
	u64 flags, pgoff = 0;
	struct file *file = NULL;
	long failures = alloc_failures;

	random_range(&a, &b);
	if (rnd(100) < 3)
		alloc_budget = rnd(3);		/* this op may run out of memory */
	if (op < 4) {
		flags = random_flags[rnd(ARRAY_SIZE(random_flags))];
		want = model_any(a, b, true) ? -EEXIST : 0;
		if (rnd(3) == 0) {
			/* mostly offsets that line up with a neighbour's */
			file = &files[rnd(2)];
			pgoff = rnd(4) ? 1000 + (u64)a : rnd(2000);
			ret = vma_insert_file(s, P(a), P(b), flags, file, pgoff);
		} else {
			ret = vma_insert(s, P(a), P(b), flags);
		}
	} else if (op < 7) {
		flags = UNMAPPED;
		want = 0;
		ret = vma_unmap(s, P(a), P(b));
	} else {
		/* most random ranges have holes: mostly stay in mapped pages */
		if (rnd(10) < 7) {
			int len = b - a;

			while (a < NPAGES - 1 && model[a] == UNMAPPED)
				a++;
			b = mapped_end(a, MIN(a + len, NPAGES));
		}
		flags = random_prot[rnd(ARRAY_SIZE(random_prot))];
		want = model_any(a, b, false) ? -ENOMEM : 0;
		ret = vma_protect(s, P(a), P(b), flags);
	}
	alloc_budget = -1;

	if (ret == -ENOMEM && want == 0 && alloc_failures > failures)
		want = -ENOMEM;			/* refused for lack of memory: no change */
	if (ret != want) {
		printf("    # step %ld: op %d [%d, %d) flags %#lx returned %d, expected %d\n",
		       step, op, a, b, (unsigned long)flags, ret, want);
		return false;
	}
	for (int i = a; ret == 0 && i < b; i++) {
		if (op < 7) {
			model[i] = flags;
			model_file[i] = file;
			model_pg[i] = pgoff + (i - a);
		} else
			model[i] = (model[i] & ~VM_ACCESS_FLAGS) | flags;
	}
	return true;
}

UNIT_TEST(random_against_page_model)
{
	struct vma_set s;
	long step;

	set_init(&s);
	s.mmap_base = P(NPAGES);
	for (int i = 0; i < NPAGES; i++)
		model[i] = UNMAPPED;
	for (step = 0; step < RANDOM_OPS; step++) {
		if (!random_step(&s, step))
			break;
		if (!vma_set_check(&s) || !model_matches(&s) ||
		    allocs_live != s.count || !file_refs_match(&s)) {
			printf("    # after step %ld\n", step);
			break;
		}
		if (!model_find(&s) || (step % 64 == 0 && !model_unmapped_area(&s))) {
			printf("    # lookup disagrees with the model after step %ld: %s\n",
			       step, layout(&s));
			break;
		}
	}
	CHECK_EQ(step, RANDOM_OPS);
	set_fini(&s);
}

int main(void)
{
	return unit_run_all();
}
