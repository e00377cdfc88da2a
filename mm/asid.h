/*
 * asid.h - dynamic ASIDs (PCIDs) per CPU and the one CR3 value.
 *
 * Owns: the numbering of PCIDs, the layout of the CR3 value this kernel
 * writes, the per-CPU choice of an ASID slot for an incoming mm (Linux's
 * choose_new_asid) and the per-CPU mask of user PCIDs whose flush is
 * still owed (Linux's user_pcid_flush_mask, seed 003).
 *
 * Pure code over explicit state: nothing here reads a per-CPU variable or
 * touches hardware (except the kernel's btr, which only touches the mask
 * it is given), so tests/unit/test_asid.c runs it on the host.  The
 * caller (mm/tlb.c) owns one struct asid_cpu_state and one u16 flush mask
 * per CPU and calls in with interrupts off.
 *
 * Vocabulary, as in Linux:
 *   ASID  slot number 0 .. TLB_NR_DYN_ASIDS-1, per CPU;
 *   kPCID the PCID the kernel page tables of that slot run under: ASID+1;
 *   uPCID the PCID the user (PTI) page tables of that slot run under:
 *         kPCID | 1 << CR3_PTI_PCID_USER_BIT.
 * PCID 0 is never handed out: it is what CR3 holds while CR4.PCIDE=0 (and
 * it must hold 0 in bits 11:0 when PCIDE is turned on, SDM Vol. 2 MOV CR),
 * and code that saves CR3, loads some PCID-0 table and restores it would
 * otherwise silently share slot 0's entries.
 *
 * CR3 with CR4.PCIDE=1 in 4- or 5-level paging (SDM Vol. 3A 4.5, Table
 * 4-12; Vol. 2 "MOV - Move to/from Control Registers"):
 *
 *   63      62       61       60..52   51..12 (M-1..12)     11..0
 *   NOFLUSH LAM_U48  LAM_U57  reserved phys addr of PML4/5  PCID
 *
 *   - bit 63 is an instruction operand, not state: on a write, 1 means "do
 *     not flush the entries tagged with the PCID being loaded" (4.10.4.1);
 *     it always reads back 0.  It is only legal with PCIDE=1: with
 *     PCIDE=0 it is a reserved bit and the write faults (#GP).
 *   - bits 62/61 select linear-address masking for user pointers (LAM);
 *     they are passed in by the caller so the LAM issue joins through the
 *     same single CR3 write.
 *   - bit 12 is the lowest address bit; Linux's PTI flips it to reach the
 *     user half of an 8 KiB-aligned PGD pair (CR3_PTI_USER_PGTABLE_BIT).
 *   - bit 11 is the top PCID bit; PTI takes it to pair the two PCIDs of
 *     one ASID, which is why a PTI kernel can name only 2^11 ASIDs.
 *
 * With CR4.PCIDE=0 bits 11:0 are PWT/PCD (3, 4) and ignored bits; the
 * current PCID is 000H and every CR3 write flushes all non-global
 * entries.  build_cr3_nopcid() builds that value: no PCID, no NOFLUSH.
 *
 * The constants are plain numbers so entry code (.S) can include this.
 */
#ifndef MM_ASID_H
#define MM_ASID_H

/* Linux's value: "should be plenty", and its tlb_state fits two cache
 * lines.  More processes than this ping-ponging on one CPU evict. */
#define TLB_NR_DYN_ASIDS		6

#define CR3_PCID_MASK			0xfff
#define CR3_PTI_PCID_USER_BIT		11	/* X86_CR3_PTI_PCID_USER_BIT */
#define CR3_PTI_USER_PGTABLE_BIT	12	/* user PGD = kernel PGD + 4 KiB */
#define CR3_LAM_U57_BIT			61
#define CR3_LAM_U48_BIT			62
#define CR3_NOFLUSH_BIT			63

#ifndef __ASSEMBLY__

#include "kernel/types.h"

#define CR3_NOFLUSH		(1ULL << CR3_NOFLUSH_BIT)
#define CR3_LAM_U57		(1ULL << CR3_LAM_U57_BIT)
#define CR3_LAM_U48		(1ULL << CR3_LAM_U48_BIT)
#define CR3_LAM_MASK		(CR3_LAM_U57 | CR3_LAM_U48)
/* bits 51:12: the widest MAXPHYADDR (52) */
#define CR3_ADDR_MASK		0x000ffffffffff000ULL

/* The flush mask below is indexed by kPCID (1 .. TLB_NR_DYN_ASIDS) */
_Static_assert(TLB_NR_DYN_ASIDS + 1 <= 16, "user_pcid_flush_mask is a u16");
_Static_assert(TLB_NR_DYN_ASIDS + 1 < (1 << CR3_PTI_PCID_USER_BIT),
	       "kPCIDs must not reach the PTI user bit");

static inline u16 kern_pcid(u16 asid)
{
	return asid + 1;
}

static inline u16 user_pcid(u16 asid)
{
	return kern_pcid(asid) | (1u << CR3_PTI_PCID_USER_BIT);
}

/*
 * The CR3 value for @pgd_phys (4 KiB aligned) under @asid's kernel PCID,
 * with @lam_bits (0, CR3_LAM_U57 or CR3_LAM_U48).  Only with PCIDE=1.
 * build_cr3_noflush() is the same with bit 63 set: legal only when the
 * slot is known current (choose_new_asid() said need_flush = false).
 * Bad arguments are reported (printk KERN_ERR) and dropped from the value.
 */
u64 build_cr3(u64 pgd_phys, u16 asid, u64 lam_bits);
u64 build_cr3_noflush(u64 pgd_phys, u16 asid, u64 lam_bits);
/* PTI: the user half of the pair whose kernel half is at @pgd_phys (8 KiB
 * aligned): bit 12 set, under @asid's uPCID (bit 11 set). */
u64 build_cr3_user(u64 pgd_phys, u16 asid, u64 lam_bits, bool noflush);
/* PCIDE=0: bits 11:0 zero, never NOFLUSH (reserved bit -> #GP). */
u64 build_cr3_nopcid(u64 pgd_phys, u64 lam_bits);

/*
 * One CPU's ASID slots.  Invariant (Linux's): the TLB, under slot i's
 * PCIDs, holds no translation older than the page tables of the mm with
 * context id ctxs[i].ctx_id as of its generation ctxs[i].tlb_gen.
 * ctx_id 0 matches no mm (mm context ids start at 1 and are never
 * reused), so a cleared slot is a guaranteed miss.
 */
struct asid_cpu_state {
	u16 next_asid;			/* round-robin cursor: next victim */
	struct {
		u64 ctx_id;
		u64 tlb_gen;
	} ctxs[TLB_NR_DYN_ASIDS];
	u16 loaded_asid;		/* slot whose kPCID is in CR3 */
	/* Linux's invalidate_other: every slot but the loaded one is stale
	 * (a kernel-address flush under PTI only reached the current
	 * PCID); consumed by the next choose_new_asid(). */
	bool invalidate_other;
};

/*
 * Bring-up (Linux's initialize_tlbstate_and_flush): the CPU has just
 * loaded @ctx_id's tables with a flushing CR3 write into slot 0; every
 * other slot is empty; the cursor starts at 1.
 */
void asid_state_init(struct asid_cpu_state *s, u64 ctx_id, u64 tlb_gen);

/*
 * Pick the slot for the mm (@next_ctx_id, whose generation the caller
 * read *after* setting this CPU in the mm's cpumask) and say whether its
 * kPCID must be flushed by the CR3 write:
 *   - a slot already holding next_ctx_id is reused; flush iff the slot's
 *     tlb_gen < next_tlb_gen (page tables changed while we were away);
 *   - otherwise the slot at the round-robin cursor is evicted (not LRU,
 *     as in Linux) and must be flushed.
 * Does not record anything: the caller writes the slot with
 * asid_slot_update() when it flushes, and sets loaded_asid after the CR3
 * write.  Without PCID do not call this: use ASID 0 and always flush.
 */
void choose_new_asid(struct asid_cpu_state *s, u64 next_ctx_id, u64 next_tlb_gen,
		     u16 *new_asid, bool *need_flush);

/* Record that slot @asid now holds @ctx_id flushed up to @tlb_gen (after a
 * flushing CR3 write, or after a flush on IPI caught it up). */
void asid_slot_update(struct asid_cpu_state *s, u16 asid, u64 ctx_id, u64 tlb_gen);

/* Every slot but the loaded one becomes stale at the next switch. */
static inline void asid_invalidate_other(struct asid_cpu_state *s)
{
	s->invalidate_other = true;
}

/*
 * The pending user-PCID flushes (PTI with PCID; seed 003).
 *
 * A flush runs while the kernel CR3 (kPCID) is loaded: a flushing CR3
 * write flushes only the PCID it loads, and INVLPG only the current PCID
 * (user mappings are never global), so the uPCID twin of the same ASID
 * keeps its stale entries.  Instead of flushing it now we set its bit;
 * the exit-to-user CR3 switch consumes the bit and writes the user CR3
 * without NOFLUSH exactly when it was set.
 *
 * Bit index = kPCID of the ASID, as in Linux: the entry code reads CR3,
 * masks it with CR3_PCID_MASK & ~(1 << CR3_PTI_PCID_USER_BIT) and uses the
 * result as the bit number with no table lookup.  Bit 0 (PCID 0) is never
 * set.  The mask is per CPU and only its own CPU touches it, with
 * interrupts off: no LOCK prefix is needed anywhere.
 */
static inline void invalidate_user_asid(u16 *mask, u16 asid)
{
	*mask |= (u16)(1u << kern_pcid(asid));
}

/*
 * Test-and-clear @asid's bit; true means the user CR3 must be written
 * without NOFLUSH (its uPCID owes a flush).
 *
 * Why one btr is enough (Andy Lutomirski's question to Peter Zijlstra on
 * "[PATCH 15/24] x86/mm: Allow flushing for future ASID switches",
 * 2017-11-28, seed 003: "you're doing bt then btr.  Why not just do a
 * single btr and be done with it?"):
 *   - btr copies the old bit into CF and clears it in one instruction, so
 *     nothing on this CPU can run between the test and the clear; the
 *     mask belongs to this CPU alone (flushes for other CPUs run on them,
 *     by IPI), so no other CPU can either, and no LOCK is needed.
 *   - setting is idempotent and the bit records "this uPCID is stale",
 *     not why: as Dave Hansen put it in the same thread, a thousand
 *     flushes and context switches between two exits need one uPCID
 *     flush at the one exit that follows, so clearing on every consume
 *     loses nothing.
 * The bt-then-btr that landed in Linux (SWITCH_TO_USER_CR3) gives the
 * same result; its only gain is Andy's guess: with the bit clear (the
 * common case) a bt does not write the per-CPU line.  For a line only
 * this CPU ever touches that is a minor cost, so this kernel keeps the
 * single instruction, which is also the easier one to reason about.
 * btr with a register bit offset on a memory operand addresses a bit
 * string (it may reach beyond the u16); the kPCID is < 16, so it does not.
 */
static inline bool consume_user_asid_flush_c(u16 *mask, u16 asid)
{
	u16 bit = (u16)(1u << kern_pcid(asid));
	bool was_set = *mask & bit;

	*mask &= (u16)~bit;
	return was_set;
}

/* The kernel's: CF = old bit, bit cleared, one instruction.  Defined on
 * the host too (it is plain x86-64) so test_asid.c compares the two. */
static inline bool consume_user_asid_flush_btr(u16 *mask, u16 asid)
{
	bool was_set;

	asm volatile("btrw %w[bit], %[mask]"
		     : [mask] "+m"(*mask), "=@ccc"(was_set)
		     : [bit] "r"(kern_pcid(asid))
		     : "memory");
	return was_set;
}

#ifdef HOST_TEST
#define consume_user_asid_flush consume_user_asid_flush_c
#else
#define consume_user_asid_flush consume_user_asid_flush_btr
#endif

#endif /* !__ASSEMBLY__ */
#endif
