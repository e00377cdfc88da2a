/*
 * asid.c - choosing an ASID slot and building the CR3 value (see asid.h).
 *
 * Pure logic on one CPU's struct asid_cpu_state, shared with the host
 * tests (built with -DHOST_TEST).  The caller has interrupts off: the
 * state is per CPU and a flush IPI must not see a half-made choice.
 */
#include "mm/asid.h"
#include "kernel/printk.h"

static bool cr3_args_ok(u64 pgd_phys, u64 lam_bits)
{
	if (pgd_phys & ~CR3_ADDR_MASK) {
		printk(KERN_ERR "asid: pgd %#llx is not a 4 KiB aligned physical address\n",
		       (unsigned long long)pgd_phys);
		return false;
	}
	/* LAM_U48 and LAM_U57 are exclusive modes, and no other bit of
	 * 63:52 may come in through this argument (bit 63 is ours). */
	if ((lam_bits & ~CR3_LAM_MASK) || lam_bits == CR3_LAM_MASK) {
		printk(KERN_ERR "asid: bad LAM bits %#llx\n", (unsigned long long)lam_bits);
		return false;
	}
	return true;
}

u64 build_cr3(u64 pgd_phys, u16 asid, u64 lam_bits)
{
	u64 cr3;

	if (!cr3_args_ok(pgd_phys, lam_bits)) {
		pgd_phys &= CR3_ADDR_MASK;
		lam_bits = 0;
	}
	if (asid >= TLB_NR_DYN_ASIDS) {
		/* a PCID nobody tracks: loading it could reuse entries of an
		 * address space the slots know nothing about */
		printk(KERN_ERR "asid: ASID %u out of range\n", asid);
		asid = 0;
	}
	cr3 = pgd_phys | kern_pcid(asid) | lam_bits;
	return cr3;
}

u64 build_cr3_noflush(u64 pgd_phys, u16 asid, u64 lam_bits)
{
	return build_cr3(pgd_phys, asid, lam_bits) | CR3_NOFLUSH;
}

u64 build_cr3_user(u64 pgd_phys, u16 asid, u64 lam_bits, bool noflush)
{
	u64 cr3 = build_cr3(pgd_phys, asid, lam_bits) | (1ULL << CR3_PTI_USER_PGTABLE_BIT) |
		  (1ULL << CR3_PTI_PCID_USER_BIT);

	return noflush ? cr3 | CR3_NOFLUSH : cr3;
}

u64 build_cr3_nopcid(u64 pgd_phys, u64 lam_bits)
{
	if (!cr3_args_ok(pgd_phys, lam_bits)) {
		pgd_phys &= CR3_ADDR_MASK;
		lam_bits = 0;
	}
	return pgd_phys | lam_bits;
}

void asid_state_init(struct asid_cpu_state *s, u64 ctx_id, u64 tlb_gen)
{
	for (int i = 0; i < TLB_NR_DYN_ASIDS; i++) {
		s->ctxs[i].ctx_id = 0;
		s->ctxs[i].tlb_gen = 0;
	}
	s->ctxs[0].ctx_id = ctx_id;
	s->ctxs[0].tlb_gen = tlb_gen;
	s->loaded_asid = 0;
	s->next_asid = 1;
	s->invalidate_other = false;
}

/* Linux's clear_asid_other(): ctx_id 0 matches nothing, so every other
 * slot misses, and a miss always flushes. */
static void clear_asid_other(struct asid_cpu_state *s)
{
	for (u16 i = 0; i < TLB_NR_DYN_ASIDS; i++) {
		if (i != s->loaded_asid)
			s->ctxs[i].ctx_id = 0;
	}
	s->invalidate_other = false;
}

void choose_new_asid(struct asid_cpu_state *s, u64 next_ctx_id, u64 next_tlb_gen,
		     u16 *new_asid, bool *need_flush)
{
	u16 asid;

	if (next_ctx_id == 0)	/* would "hit" an empty slot */
		printk(KERN_ERR "asid: mm with context id 0\n");
	if (s->invalidate_other)
		clear_asid_other(s);

	for (asid = 0; asid < TLB_NR_DYN_ASIDS; asid++) {
		if (next_ctx_id == 0 || s->ctxs[asid].ctx_id != next_ctx_id)
			continue;
		*new_asid = asid;
		/* The slot's entries are good up to its generation; any
		 * page-table change after it may be cached stale. */
		*need_flush = s->ctxs[asid].tlb_gen < next_tlb_gen;
		return;
	}

	/* Miss: round robin.  The cursor may be anywhere in 0..N (a caller
	 * could have stored garbage): wrap anything out of range to 0. */
	asid = s->next_asid;
	if (asid >= TLB_NR_DYN_ASIDS)
		asid = 0;
	s->next_asid = asid + 1;
	*new_asid = asid;
	*need_flush = true;
}

void asid_slot_update(struct asid_cpu_state *s, u16 asid, u64 ctx_id, u64 tlb_gen)
{
	if (asid >= TLB_NR_DYN_ASIDS) {
		printk(KERN_ERR "asid: slot %u out of range\n", asid);
		return;
	}
	s->ctxs[asid].ctx_id = ctx_id;
	s->ctxs[asid].tlb_gen = tlb_gen;
}
