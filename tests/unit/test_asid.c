/*
 * test_asid.c - host tests for mm/asid.c: ASID slot choice, CR3 layout and
 * the pending user-PCID flush mask.
 *
 * The randomized test drives choose_new_asid() the way switch_mm() will
 * (choose, record on flush, set loaded_asid; flushes on IPI catch the
 * loaded slot up; kernel flushes set invalidate_other) and checks every
 * answer twice: against a second, independently written allocator (same
 * rules, different code), and against a "truth" table of what each kPCID
 * really holds, which only flushes change - a NOFLUSH switch into a PCID
 * holding another mm, or an older generation, is the bug we care about.
 */
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "mm/asid.h"

static void switch_to(struct asid_cpu_state *s, u64 ctx, u64 gen, u16 *asid, bool *flush)
{
	choose_new_asid(s, ctx, gen, asid, flush);
	if (*flush)
		asid_slot_update(s, *asid, ctx, gen);
	s->loaded_asid = *asid;
}

UNIT_TEST(init_state)
{
	struct asid_cpu_state s;

	memset(&s, 0xa5, sizeof(s));
	asid_state_init(&s, 1, 7);
	CHECK_EQ(s.loaded_asid, 0);
	CHECK_EQ(s.next_asid, 1);
	CHECK_EQ(s.ctxs[0].ctx_id, 1);
	CHECK_EQ(s.ctxs[0].tlb_gen, 7);
	for (int i = 1; i < TLB_NR_DYN_ASIDS; i++)
		CHECK_EQ(s.ctxs[i].ctx_id, 0);
	CHECK(!s.invalidate_other);
}

UNIT_TEST(hit_reuses_slot_and_flushes_by_generation)
{
	struct asid_cpu_state s;
	u16 asid;
	bool flush;

	asid_state_init(&s, 1, 5);
	choose_new_asid(&s, 1, 5, &asid, &flush);
	CHECK_EQ(asid, 0);
	CHECK(!flush);			/* same generation: NOFLUSH is safe */
	choose_new_asid(&s, 1, 3, &asid, &flush);
	CHECK(!flush);			/* slot ahead of what we read: fine */
	choose_new_asid(&s, 1, 6, &asid, &flush);
	CHECK_EQ(asid, 0);
	CHECK(flush);			/* edited while away: must flush */
	CHECK_EQ(s.next_asid, 1);	/* a hit does not move the cursor */
}

UNIT_TEST(miss_round_robin_order)
{
	struct asid_cpu_state s;
	u16 asid;
	bool flush;
	/* slot 0 holds ctx 1; misses fill 1..5, then wrap to 0, 1, ... */
	static const u16 expect[] = { 1, 2, 3, 4, 5, 0, 1, 2 };

	asid_state_init(&s, 1, 0);
	for (unsigned k = 0; k < ARRAY_SIZE(expect); k++) {
		switch_to(&s, 100 + k, 0, &asid, &flush);
		CHECK_EQ(asid, expect[k]);
		CHECK(flush);
	}
	/* ctx 105 (slot 0), 106 (1), 107 (2) were the last three: hits */
	switch_to(&s, 105, 0, &asid, &flush);
	CHECK_EQ(asid, 0);
	CHECK(!flush);
	switch_to(&s, 103, 0, &asid, &flush);
	CHECK_EQ(asid, 4);
	CHECK(!flush);
	/* ctx 1 was evicted from slot 0 long ago: a miss into slot 3 */
	switch_to(&s, 1, 0, &asid, &flush);
	CHECK_EQ(asid, 3);
	CHECK(flush);
	/* round robin, not LRU: 103 in slot 4 was used just now, yet it
	 * is the next victim (the cursor is at 4) */
	switch_to(&s, 200, 0, &asid, &flush);
	CHECK_EQ(asid, 4);
	CHECK(flush);
}

UNIT_TEST(cursor_out_of_range_wraps)
{
	struct asid_cpu_state s;
	u16 asid;
	bool flush;

	asid_state_init(&s, 1, 0);
	s.next_asid = TLB_NR_DYN_ASIDS;		/* Linux lets it reach N */
	choose_new_asid(&s, 9, 0, &asid, &flush);
	CHECK_EQ(asid, 0);
	CHECK_EQ(s.next_asid, 1);
	s.next_asid = 1000;
	choose_new_asid(&s, 10, 0, &asid, &flush);
	CHECK_EQ(asid, 0);
	CHECK(flush);
}

UNIT_TEST(invalidate_other_spares_loaded)
{
	struct asid_cpu_state s;
	u16 asid;
	bool flush;

	asid_state_init(&s, 1, 0);
	switch_to(&s, 2, 0, &asid, &flush);	/* slot 1 */
	switch_to(&s, 3, 0, &asid, &flush);	/* slot 2, loaded */
	asid_invalidate_other(&s);
	switch_to(&s, 3, 0, &asid, &flush);	/* the loaded one survives */
	CHECK_EQ(asid, 2);
	CHECK(!flush);
	CHECK(!s.invalidate_other);
	switch_to(&s, 2, 0, &asid, &flush);	/* was a hit, now a miss */
	CHECK(flush);
	CHECK_EQ(asid, 3);
}

UNIT_TEST(context_id_zero_reported)
{
	struct asid_cpu_state s;
	u16 asid;
	bool flush;

	asid_state_init(&s, 1, 0);
	host_printk_reset();
	choose_new_asid(&s, 0, 0, &asid, &flush);
	CHECK_EQ(host_printk_errors, 1);
	CHECK(flush);			/* never "hits" an empty slot */
	host_printk_reset();
	asid_slot_update(&s, TLB_NR_DYN_ASIDS, 5, 5);
	CHECK_EQ(host_printk_errors, 1);
}

UNIT_TEST(pcid_numbering)
{
	CHECK_EQ(kern_pcid(0), 1);
	CHECK_EQ(kern_pcid(5), 6);
	CHECK_EQ(user_pcid(0), 0x801);
	CHECK_EQ(user_pcid(5), 0x806);
	for (u16 a = 0; a < TLB_NR_DYN_ASIDS; a++) {
		CHECK(kern_pcid(a) != 0);
		CHECK_EQ(user_pcid(a) & ~(1u << 11), kern_pcid(a));
		CHECK_EQ(user_pcid(a) & ~CR3_PCID_MASK, 0);
	}
}

UNIT_TEST(cr3_layout)
{
	u64 pgd = 0x12345000ULL;

	host_printk_reset();
	CHECK_EQ(build_cr3(pgd, 0, 0), 0x12345001ULL);
	CHECK_EQ(build_cr3(pgd, 5, 0), 0x12345006ULL);
	CHECK_EQ(build_cr3_noflush(pgd, 2, 0), (1ULL << 63) | 0x12345003ULL);
	CHECK_EQ(build_cr3(pgd, 1, CR3_LAM_U57), (1ULL << 61) | 0x12345002ULL);
	CHECK_EQ(build_cr3_noflush(pgd, 1, CR3_LAM_U48),
		 (1ULL << 63) | (1ULL << 62) | 0x12345002ULL);
	CHECK_EQ(build_cr3_nopcid(pgd, 0), pgd);
	CHECK_EQ(build_cr3_nopcid(pgd, CR3_LAM_U57), pgd | (1ULL << 61));
	/* top of a 52-bit physical address space */
	CHECK_EQ(build_cr3(0x000ffffffffff000ULL, 0, 0), 0x000ffffffffff001ULL);
	CHECK_EQ(host_printk_errors, 0);
	CHECK_EQ(CR3_NOFLUSH, 1ULL << 63);
	CHECK_EQ(CR3_PCID_MASK, 0xfff);
	CHECK_EQ(CR3_PTI_PCID_USER_BIT, 11);
	CHECK_EQ(CR3_PTI_USER_PGTABLE_BIT, 12);
}

/* PTI: the user CR3 of a pair, and the entry code's way back from it
 * (kernel/entry.S: clear bits 12 and 11, add NOFLUSH with PCIDs). */
UNIT_TEST(cr3_pti_user_twin)
{
	u64 pgd = 0x12344000ULL;	/* a pair: 8 KiB aligned */
	u64 entry_mask = ~((1ULL << CR3_PTI_USER_PGTABLE_BIT) | (1ULL << CR3_PTI_PCID_USER_BIT));

	host_printk_reset();
	CHECK_EQ(build_cr3_user(pgd, 1, 0, false), 0x12345802ULL);
	CHECK_EQ(build_cr3_user(pgd, 1, 0, true), (1ULL << 63) | 0x12345802ULL);
	CHECK_EQ(build_cr3_user(pgd, 0, CR3_LAM_U57, false), (1ULL << 61) | 0x12345801ULL);
	for (u16 a = 0; a < TLB_NR_DYN_ASIDS; a++) {
		u64 user = build_cr3_user(pgd, a, CR3_LAM_U48, false);

		CHECK_EQ(user & CR3_PCID_MASK, user_pcid(a));
		CHECK_EQ(user & entry_mask, build_cr3(pgd, a, CR3_LAM_U48));
		CHECK_EQ((user & entry_mask) | CR3_NOFLUSH, build_cr3_noflush(pgd, a, CR3_LAM_U48));
	}
	CHECK_EQ(host_printk_errors, 0);
}

UNIT_TEST(cr3_bad_arguments_reported)
{
	host_printk_reset();
	/* unaligned pgd: reported, low bits dropped, PCID intact */
	CHECK_EQ(build_cr3(0x12345678ULL, 0, 0), 0x12345001ULL);
	CHECK_EQ(host_printk_errors, 1);
	/* both LAM modes, or NOFLUSH smuggled in as a LAM bit */
	CHECK_EQ(build_cr3(0x1000, 0, CR3_LAM_MASK), 0x1001ULL);
	CHECK_EQ(build_cr3(0x1000, 0, CR3_NOFLUSH), 0x1001ULL);
	CHECK_EQ(host_printk_errors, 3);
	/* ASID beyond the slots */
	CHECK_EQ(build_cr3(0x1000, TLB_NR_DYN_ASIDS, 0) & CR3_PCID_MASK, 1);
	CHECK_EQ(host_printk_errors, 4);
	CHECK_EQ(build_cr3_nopcid(0x1001, 0), 0x1000ULL);
	CHECK_EQ(host_printk_errors, 5);
}

UNIT_TEST(user_flush_mask_set_and_consume)
{
	u16 mask = 0;

	invalidate_user_asid(&mask, 2);
	CHECK_EQ(mask, 1u << 3);		/* indexed by kPCID */
	invalidate_user_asid(&mask, 2);		/* many flushes ... */
	invalidate_user_asid(&mask, 0);
	CHECK_EQ(mask, (1u << 3) | (1u << 1));
	CHECK(consume_user_asid_flush(&mask, 2));	/* ... one consume */
	CHECK(!consume_user_asid_flush(&mask, 2));
	CHECK_EQ(mask, 1u << 1);		/* the other ASID still owes one */
	CHECK(consume_user_asid_flush(&mask, 0));
	CHECK_EQ(mask, 0);
	CHECK(!consume_user_asid_flush(&mask, 5));
	/* the entry code's index: CR3 & 0x7ff of the kernel CR3 */
	for (u16 a = 0; a < TLB_NR_DYN_ASIDS; a++) {
		mask = 0;
		invalidate_user_asid(&mask, a);
		CHECK_EQ(mask, 1u << (build_cr3(0x5000, a, 0) & 0x7ff));
	}
}

/* The kernel's btr and the host's C agree on every mask and ASID. */
UNIT_TEST(user_flush_mask_btr_matches_c)
{
	int bad = 0;

	for (u32 m = 0; m < 0x10000; m++) {
		for (u16 a = 0; a < TLB_NR_DYN_ASIDS; a++) {
			u16 mc = (u16)m, mb = (u16)m;
			bool rc = consume_user_asid_flush_c(&mc, a);
			bool rb = consume_user_asid_flush_btr(&mb, a);

			bad += rc != rb || mc != mb;
		}
	}
	CHECK_EQ(bad, 0);
}

/* ---------------------------------------------------------------- random */

static u64 rng_state;

static u64 rng(void)		/* xorshift64: deterministic per seed */
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* The reference allocator: the same rules, written as a plain table
 * search plus a victim counter that counts misses. */
struct ref_alloc {
	u64 ctx[TLB_NR_DYN_ASIDS], gen[TLB_NR_DYN_ASIDS];
	unsigned misses;	/* victim = (misses + 1) % N after init */
	int loaded;
};

static void ref_init(struct ref_alloc *r, u64 ctx, u64 gen)
{
	memset(r, 0, sizeof(*r));
	r->ctx[0] = ctx;
	r->gen[0] = gen;
}

static int ref_choose(struct ref_alloc *r, u64 ctx, u64 gen, bool *flush)
{
	int victim;

	for (int i = 0; i < TLB_NR_DYN_ASIDS; i++) {
		if (r->ctx[i] == ctx) {
			*flush = r->gen[i] < gen;
			return i;
		}
	}
	victim = (int)((r->misses + 1) % TLB_NR_DYN_ASIDS);
	r->misses++;
	*flush = true;
	return victim;
}

#define NR_MMS	10	/* more mms than slots: evictions happen */

UNIT_TEST(random_against_reference_and_truth)
{
	static const u64 seeds[] = { 1, 42, 0x9e3779b97f4a7c15ULL, 123456789 };
	long mismatches = 0, unsafe = 0, hits = 0, misses = 0, noflush = 0;

	for (unsigned sd = 0; sd < ARRAY_SIZE(seeds); sd++) {
		struct asid_cpu_state s;
		struct ref_alloc r;
		u64 mm_gen[NR_MMS + 1];		/* ctx ids 1..NR_MMS */
		/* what each kPCID really holds: which mm, flushed to when */
		u64 truth_ctx[TLB_NR_DYN_ASIDS], truth_gen[TLB_NR_DYN_ASIDS];
		u64 cur = 1;

		rng_state = seeds[sd];
		for (int m = 0; m <= NR_MMS; m++)
			mm_gen[m] = 0;
		asid_state_init(&s, 1, 0);
		ref_init(&r, 1, 0);
		memset(truth_ctx, 0, sizeof(truth_ctx));
		truth_ctx[0] = 1;
		truth_gen[0] = 0;

		for (int step = 0; step < 200000; step++) {
			u64 op = rng() % 16;

			if (op < 5) {
				/* some mm's page tables change (any CPU) */
				mm_gen[1 + rng() % NR_MMS]++;
			} else if (op < 6) {
				/* a flush IPI for the loaded mm catches it up */
				asid_slot_update(&s, s.loaded_asid, cur, mm_gen[cur]);
				r.gen[r.loaded] = mm_gen[cur];
				truth_gen[s.loaded_asid] = mm_gen[cur];
			} else if (op < 7) {
				/* a kernel-range flush under PTI: others stale */
				asid_invalidate_other(&s);
				for (int i = 0; i < TLB_NR_DYN_ASIDS; i++) {
					if (i != r.loaded)
						r.ctx[i] = 0;
					if (i != s.loaded_asid)	/* junk now */
						truth_ctx[i] = 0;
				}
			} else {
				u64 next = 1 + rng() % NR_MMS;
				u16 asid;
				bool flush, rflush;
				int ra = ref_choose(&r, next, mm_gen[next], &rflush);

				choose_new_asid(&s, next, mm_gen[next], &asid, &flush);
				mismatches += asid != ra || flush != rflush;
				if (flush) {
					asid_slot_update(&s, asid, next, mm_gen[next]);
					truth_ctx[asid] = next;
					truth_gen[asid] = mm_gen[next];
					misses++;
				} else {
					/* NOFLUSH: the PCID must already hold
					 * exactly this mm, fully up to date */
					unsafe += truth_ctx[asid] != next ||
						  truth_gen[asid] < mm_gen[next];
					noflush++;
				}
				hits += s.ctxs[asid].ctx_id == next && !flush;
				if (rflush) {
					r.ctx[ra] = next;
					r.gen[ra] = mm_gen[next];
				}
				s.loaded_asid = asid;
				r.loaded = ra;
				cur = next;
			}
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(unsafe, 0);
	/* the sequence must exercise both outcomes a lot */
	CHECK(noflush > 10000);
	CHECK(misses > 10000);
	CHECK(hits == noflush);
}

int main(void)
{
	return unit_run_all();
}
