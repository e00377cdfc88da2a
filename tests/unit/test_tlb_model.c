/*
 * test_tlb_model.c - host tests for mm/tlb_model.c, the PCID-tagged TLB
 * model behind tlbcheck=on.
 *
 * Each test plays a short sequence of hardware operations on model CPUs
 * and asks tlbm_check() what a PCID may still hold.  The SDM rules under
 * test: a CR3 write without NOFLUSH flushes only the PCID it loads, with
 * NOFLUSH nothing; INVLPG only the current PCID; INVPCID by type; a PGE
 * toggle or PCIDE 1->0 everything.  The last test is seed 003's case: a
 * flush done on the kernel PCID does not reach the user PCID unless the
 * exit path consumes the pending bit.
 */
#include <stdint.h>
#include "unit.h"
#include "host_shim.h"
#include "mm/tlb_model.h"
#include "mm/asid.h"

#define A	0x400000ULL		/* a user page */
#define B	0x7fff0000ULL		/* another */
#define MM1	11ULL			/* mm context ids */
#define MM2	12ULL
#define K(a)	kern_pcid(a)
#define U(a)	user_pcid(a)

static bool clean(int cpu, u16 pcid, u64 ctx, u64 gen)
{
	return tlbm_check(cpu, pcid, ctx, gen, NULL);
}

/* CPU 0, PCIDE on, MM1 loaded under ASID 0's kPCID */
static void boot_pcid(void)
{
	tlbm_reset();
	host_printk_reset();
	CHECK_EQ(tlbm_cpu_init(0, true, K(0), MM1), 0);
}

UNIT_TEST(missed_flush_is_reported)
{
	struct tlbm_report r;

	boot_pcid();
	CHECK(clean(0, K(0), MM1, 0));
	tlbm_pte_edit(MM1, A + 0x123, 1);
	CHECK(!tlbm_check(0, K(0), MM1, 1, &r));
	CHECK_EQ(r.verdict, TLBM_STALE_PAGE);
	CHECK_EQ(r.cpu, 0);
	CHECK_EQ(r.pcid, K(0));
	CHECK_EQ(r.addr, A);			/* page, not byte */
	CHECK_EQ(r.edit_gen, 1);
	CHECK_EQ(r.nr_stale, 1);
	CHECK(r.nr_log >= 2);
	CHECK_EQ(r.log[r.nr_log - 1].kind, TLBM_OP_PTE_EDIT);
	CHECK_EQ(tlbm_stats.failures, 1);

	/* printing it is a KERN_ERR report with the operations */
	tlbm_report_print(&r);
	CHECK(host_printk_errors >= 3);

	CHECK_EQ(tlbm_invlpg(0, K(0), A + 0x800), 0);
	CHECK(clean(0, K(0), MM1, 1));
}

UNIT_TEST(only_generations_due_are_checked)
{
	boot_pcid();
	tlbm_pte_edit(MM1, A, 5);
	CHECK(clean(0, K(0), MM1, 4));		/* still being shot down */
	CHECK(!clean(0, K(0), MM1, 5));
	CHECK(clean(0, K(0), MM2, 5));		/* another mm's edit */
}

UNIT_TEST(noflush_cr3_keeps_entries)
{
	boot_pcid();
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	CHECK(!clean(0, K(0), MM1, 1));
	CHECK_EQ(tlbm_cr3_write(0, K(0), false, MM1), 0);
	CHECK(clean(0, K(0), MM1, 1));
}

UNIT_TEST(full_cr3_write_flushes_that_pcid_only)
{
	boot_pcid();
	/* MM2 into ASID 1 (flushing, a miss), MM1 edited meanwhile */
	CHECK_EQ(tlbm_cr3_write(0, K(1), false, MM2), 0);
	tlbm_pte_edit(MM1, A, 1);
	tlbm_pte_edit(MM2, B, 1);
	CHECK(!clean(0, K(0), MM1, 1));
	CHECK(!clean(0, K(1), MM2, 1));
	CHECK_EQ(tlbm_cr3_write(0, K(1), false, MM2), 0);
	CHECK(clean(0, K(1), MM2, 1));
	CHECK(!clean(0, K(0), MM1, 1));		/* untouched */
	/* back to MM1: NOFLUSH would keep the stale page, a flush not */
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	CHECK(!clean(0, K(0), MM1, 1));
	CHECK_EQ(tlbm_cr3_write(0, K(0), false, MM1), 0);
	CHECK(clean(0, K(0), MM1, 1));
}

UNIT_TEST(edit_of_mm_not_in_pcid_needs_no_flush)
{
	boot_pcid();
	/* ASID 1 flushed and then holding MM2; MM1 is edited; loading MM2
	 * back with NOFLUSH is fine: ASID 1 never held MM1 */
	CHECK_EQ(tlbm_cr3_write(0, K(1), false, MM2), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), false, MM1), 0);
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_cr3_write(0, K(1), true, MM2), 0);
	CHECK(clean(0, K(1), MM2, 1));
}

UNIT_TEST(invlpg_only_current_pcid)
{
	boot_pcid();
	/* PTI: MM1 also under its uPCID; then back to the kernel CR3 */
	CHECK_EQ(tlbm_cr3_write(0, U(0), false, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_invlpg(0, K(0), A), 0);
	CHECK(clean(0, K(0), MM1, 1));
	CHECK(!clean(0, U(0), MM1, 1));		/* INVLPG missed the uPCID */
	/* the wrong page does nothing; naming a PCID not in CR3 is misuse */
	CHECK_EQ(tlbm_invlpg(0, K(0), B), 0);
	CHECK_EQ(tlbm_invlpg(0, U(0), A), -1);
	CHECK_EQ(tlbm_stats.misuse, 1);
	CHECK(!clean(0, U(0), MM1, 1));
	/* non-canonical: a NOP, not a fault */
	CHECK_EQ(tlbm_invlpg(0, K(0), 0x0000800000000000ULL), 0);
	/* INVPCID type 0 on the uPCID: the non-PTI-CR3 way to reach it */
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_INDIV_ADDR, U(0), A), 0);
	CHECK(clean(0, U(0), MM1, 1));
}

UNIT_TEST(invpcid_types)
{
	boot_pcid();
	CHECK_EQ(tlbm_cr3_write(0, U(0), false, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);

	/* type 0: that address, that PCID */
	tlbm_pte_edit(MM1, A, 1);
	tlbm_pte_edit(MM1, B, 1);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_INDIV_ADDR, K(0), A), 0);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_INDIV_ADDR, U(0), A), 0);
	{
		struct tlbm_report r;

		CHECK(!tlbm_check(0, K(0), MM1, 1, &r));
		CHECK_EQ(r.addr, B);
		CHECK_EQ(r.nr_stale, 1);
	}
	/* type 1: the whole PCID, the other one keeps B */
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, K(0), 0), 0);
	CHECK(clean(0, K(0), MM1, 1));
	CHECK(!clean(0, U(0), MM1, 1));
	/* type 3 and type 2: every PCID */
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_ALL_NON_GLOBAL, 0, 0), 0);
	CHECK(clean(0, U(0), MM1, 1));
	/* the uPCID is empty now (not loaded): an edit cannot be in it */
	tlbm_pte_edit(MM1, A, 2);
	CHECK(clean(0, U(0), MM1, 2));
	/* once user mode ran in it again, it can */
	CHECK_EQ(tlbm_cr3_write(0, U(0), true, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	tlbm_pte_edit(MM1, A, 3);
	CHECK(!clean(0, K(0), MM1, 3));
	CHECK(!clean(0, U(0), MM1, 3));
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_ALL_INCL_GLOBAL, 0, 0), 0);
	CHECK(clean(0, K(0), MM1, 3));
	CHECK(clean(0, U(0), MM1, 3));

	/* what would #GP */
	CHECK_EQ(tlbm_invpcid(0, 4, K(0), A), -1);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_INDIV_ADDR, K(0), 0x0000900000000000ULL), -1);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, 0x1000, 0), -1);
	CHECK_EQ(tlbm_stats.misuse, 3);
}

UNIT_TEST(pge_toggle_and_pcide_off_flush_everything)
{
	boot_pcid();
	CHECK_EQ(tlbm_cr3_write(0, U(0), false, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_cr4_pge_toggle(0), 0);
	CHECK(clean(0, K(0), MM1, 1));
	CHECK(clean(0, U(0), MM1, 1));

	tlbm_pte_edit(MM1, A, 2);
	CHECK_EQ(tlbm_set_pcide(0, false), 0);
	CHECK(clean(0, 0, MM1, 2));
	CHECK(clean(0, K(0), MM1, 2));
	/* 0 -> 1 needs CR3[11:0] = 0: true now (PCID 0) */
	CHECK_EQ(tlbm_set_pcide(0, true), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(2), false, MM1), 0);
	CHECK_EQ(tlbm_set_pcide(0, false), 0);
	CHECK_EQ(tlbm_cr3_write(0, 0, false, MM1), 0);
	CHECK_EQ(tlbm_stats.misuse, 0);
}

UNIT_TEST(no_pcid_every_cr3_write_flushes)
{
	tlbm_reset();
	CHECK_EQ(tlbm_cpu_init(0, false, 0, MM1), 0);
	tlbm_pte_edit(MM1, A, 1);
	CHECK(!clean(0, 0, MM1, 1));
	CHECK_EQ(tlbm_cr3_write(0, 0, true, MM1), -1);	/* bit 63: #GP */
	CHECK_EQ(tlbm_cr3_write(0, K(0), false, MM1), -1);	/* PCID bits */
	CHECK(!clean(0, 0, MM1, 1));			/* ignored ops */
	CHECK_EQ(tlbm_cr3_write(0, 0, false, MM2), 0);
	CHECK_EQ(tlbm_cr3_write(0, 0, false, MM1), 0);
	CHECK(clean(0, 0, MM1, 1));
	/* INVPCID types 0/1 with a PCID while PCIDE=0: #GP */
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, K(0), 0), -1);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, 0, 0), 0);
	/* PCIDE 0 -> 1 with a nonzero PCID in CR3 is refused by the CPU,
	 * which the model cannot have: init with PCIDE=0 and a PCID fails */
	CHECK_EQ(tlbm_cpu_init(1, false, K(0), MM1), -1);
	CHECK_EQ(tlbm_stats.misuse, 4);
}

UNIT_TEST(foreign_mm_loaded_without_flush)
{
	struct tlbm_report r;

	boot_pcid();
	/* ASID 0 held MM1; MM2 reuses it with NOFLUSH (asid-stale-noflush) */
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM2), 0);
	CHECK(!tlbm_check(0, K(0), MM2, 0, &r));
	CHECK_EQ(r.verdict, TLBM_FOREIGN_MM);
	CHECK_EQ(r.foreign_ctx_id, MM1);
	CHECK_EQ(r.loaded_ctx_id, MM2);
	/* sticky, even when MM1 comes back: the PCID holds both now */
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	CHECK(!clean(0, K(0), MM1, 0));
	/* a whole flush of the PCID ends it */
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, K(0), 0), 0);
	CHECK(clean(0, K(0), MM1, 0));

	/* a PCID flushed while not loaded is empty: NOFLUSH is fine then */
	CHECK_EQ(tlbm_cr3_write(0, K(3), false, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);
	CHECK_EQ(tlbm_invpcid(0, INVPCID_TYPE_SINGLE_CTXT, K(3), 0), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(3), true, MM2), 0);
	CHECK(clean(0, K(3), MM2, 0));
}

UNIT_TEST(missing_shootdown_on_other_cpu)
{
	boot_pcid();
	CHECK_EQ(tlbm_cpu_init(1, true, K(0), MM2), 0);
	CHECK_EQ(tlbm_cr3_write(1, K(4), false, MM1), 0);	/* MM1 on both */
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_invlpg(0, K(0), A), 0);			/* local only */
	CHECK(clean(0, K(0), MM1, 1));
	CHECK(!clean(1, K(4), MM1, 1));				/* no IPI */
	CHECK_EQ(tlbm_invlpg(1, K(4), A), 0);			/* the IPI */
	CHECK(clean(1, K(4), MM1, 1));
	/* a CPU that comes up later starts empty */
	tlbm_pte_edit(MM1, B, 2);
	CHECK_EQ(tlbm_cpu_init(2, true, K(0), MM1), 0);
	CHECK(clean(2, K(0), MM1, 2));
	/* unknown CPU or PCID */
	CHECK(!clean(3, K(0), MM1, 2));
	CHECK(!clean(0, 0x123, MM1, 2));
	CHECK(!clean(-1, K(0), MM1, 2));
	CHECK(!clean(TLBM_NR_CPUS, K(0), MM1, 2));
}

UNIT_TEST(bounded_edits_and_mms)
{
	boot_pcid();
	for (u64 i = 0; i < TLBM_EDITS_PER_MM + 36; i++)
		tlbm_pte_edit(MM1, A + i * 0x1000, i + 1);
	CHECK_EQ(tlbm_stats.dropped_edits, 36);
	/* the same page again is one record, not a new one */
	tlbm_pte_edit(MM1, A + 99 * 0x1000, 200);
	CHECK_EQ(tlbm_stats.dropped_edits, 36);
	{
		struct tlbm_report r;

		CHECK(!tlbm_check(0, K(0), MM1, 1000, &r));
		CHECK_EQ(r.nr_stale, TLBM_EDITS_PER_MM);
		CHECK_EQ(r.addr, A + 36 * 0x1000);	/* the oldest kept */
	}
	for (u64 m = 0; m < TLBM_MAX_MMS + 3; m++)
		tlbm_pte_edit(100 + m, A, 1);
	CHECK_EQ(tlbm_stats.dropped_mms, 4);		/* MM1, 100, 101, 102 */
	CHECK(clean(0, K(0), MM1, 1000));		/* forgotten, not reported */
	tlbm_pte_edit(0, A, 1);				/* ctx 0 is no mm */
	CHECK_EQ(tlbm_stats.misuse, 1);
}

/*
 * Seed 003: a flush done while the kernel CR3 is loaded cannot reach the
 * user PCID; the pending bit carries it to the exit path.
 */
static void pti_stale_case(bool consume_pending_bit, bool expect_clean)
{
	u16 mask = 0;
	bool flush;

	boot_pcid();
	/* user mode ran in ASID 0's uPCID, then a syscall came in */
	CHECK_EQ(tlbm_cr3_write(0, U(0), false, MM1), 0);
	CHECK_EQ(tlbm_cr3_write(0, K(0), true, MM1), 0);	/* SWITCH_TO_KERNEL_CR3 */
	/* munmap: edit, flush on the kPCID, mark the uPCID pending */
	tlbm_pte_edit(MM1, A, 1);
	CHECK_EQ(tlbm_invlpg(0, K(0), A), 0);
	invalidate_user_asid(&mask, 0);
	CHECK(clean(0, K(0), MM1, 1));
	CHECK(!clean(0, U(0), MM1, 1));
	/* many flushes before the exit need one consume */
	invalidate_user_asid(&mask, 0);
	/* SWITCH_TO_USER_CR3 */
	flush = consume_pending_bit ? consume_user_asid_flush(&mask, 0) : false;
	CHECK_EQ(tlbm_cr3_write(0, U(0), !flush, MM1), 0);
	CHECK_EQ(clean(0, U(0), MM1, 1), expect_clean);
	CHECK_EQ(mask, consume_pending_bit ? 0 : 1u << K(0));
}

UNIT_TEST(pti_pending_bit_consumed_flushes_user_pcid)
{
	pti_stale_case(true, true);
}

UNIT_TEST(pti_pending_bit_ignored_is_caught)	/* BUG=user-asid-flush-skip */
{
	pti_stale_case(false, false);
}

/*
 * The pieces together: mm/asid.c's choices driving the model the way
 * switch_mm(), the shootdown and the PTI exit path will, on two CPUs, over
 * a long random run.  Done right the model never complains; each of the
 * issue's bug switches, played here, is caught.
 */
enum sim_bug { SIM_OK, SIM_STALE_NOFLUSH, SIM_SKIP_USER_FLUSH, SIM_NO_REMOTE_FLUSH };

#define SIM_CPUS	2
#define SIM_MMS		9		/* more than TLB_NR_DYN_ASIDS */

static u64 sim_rng;

static u64 sim_next(void)
{
	sim_rng ^= sim_rng << 13;
	sim_rng ^= sim_rng >> 7;
	sim_rng ^= sim_rng << 17;
	return sim_rng;
}

static long simulate(enum sim_bug bug, u64 seed, long steps)
{
	struct asid_cpu_state st[SIM_CPUS];
	u16 mask[SIM_CPUS] = { 0 };
	u64 cur[SIM_CPUS], gen[SIM_MMS + 1] = { 0 };
	long failures = 0;

	sim_rng = seed;
	tlbm_reset();
	for (int c = 0; c < SIM_CPUS; c++) {
		cur[c] = 1;
		asid_state_init(&st[c], 1, 0);
		CHECK_EQ(tlbm_cpu_init(c, true, K(0), 1), 0);
	}
	for (long step = 0; step < steps; step++) {
		int c = (int)(sim_next() % SIM_CPUS);
		struct asid_cpu_state *s = &st[c];
		u64 op = sim_next() % 4;

		if (op == 0) {
			/* munmap on CPU c of some mm, shot down where loaded */
			u64 m = 1 + sim_next() % SIM_MMS;
			u64 addr = A + (sim_next() % 8) * 0x1000;

			tlbm_pte_edit(m, addr, ++gen[m]);
			for (int t = 0; t < SIM_CPUS; t++) {
				if (cur[t] != m || (t != c && bug == SIM_NO_REMOTE_FLUSH))
					continue;
				CHECK_EQ(tlbm_invlpg(t, K(st[t].loaded_asid), addr), 0);
				invalidate_user_asid(&mask[t], st[t].loaded_asid);
				asid_slot_update(&st[t], st[t].loaded_asid, m, gen[m]);
			}
			continue;
		}
		if (op == 1) {
			/* schedule another process on CPU c: switch_mm() */
			u64 next = 1 + sim_next() % SIM_MMS;
			u16 asid;
			bool flush;

			choose_new_asid(s, next, gen[next], &asid, &flush);
			if (bug == SIM_STALE_NOFLUSH && s->ctxs[asid].ctx_id == next)
				flush = false;
			if (flush) {
				asid_slot_update(s, asid, next, gen[next]);
				invalidate_user_asid(&mask[c], asid);
			}
			CHECK_EQ(tlbm_cr3_write(c, K(asid), !flush, next), 0);
			s->loaded_asid = asid;
			cur[c] = next;
		}
		/* return to user on CPU c (SWITCH_TO_USER_CR3), check, re-enter */
		{
			u16 asid = s->loaded_asid;
			bool flush = consume_user_asid_flush(&mask[c], asid);

			if (bug == SIM_SKIP_USER_FLUSH)
				flush = false;
			CHECK_EQ(tlbm_cr3_write(c, U(asid), !flush, cur[c]), 0);
			failures += !clean(c, U(asid), cur[c], gen[cur[c]]);
			failures += !clean(c, K(asid), cur[c], gen[cur[c]]);
			CHECK_EQ(tlbm_cr3_write(c, K(asid), true, cur[c]), 0);
		}
	}
	CHECK_EQ(tlbm_stats.misuse, 0);
	return failures;
}

UNIT_TEST(allocator_and_pti_exit_keep_model_clean)
{
	CHECK_EQ(simulate(SIM_OK, 1, 100000), 0);
	CHECK_EQ(simulate(SIM_OK, 0xdeadbeef, 100000), 0);
	CHECK(tlbm_stats.checks > 100000);
}

UNIT_TEST(bug_switches_are_caught)
{
	CHECK(simulate(SIM_STALE_NOFLUSH, 1, 20000) > 0);
	CHECK(simulate(SIM_SKIP_USER_FLUSH, 1, 20000) > 0);
	CHECK(simulate(SIM_NO_REMOTE_FLUSH, 1, 20000) > 0);
}

int main(void)
{
	return unit_run_all();
}
