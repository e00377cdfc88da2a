/*
 * tlb_model.h - a model of what each CPU's PCID-tagged TLB may still hold.
 *
 * Why: QEMU's TCG has no PCID and flushes everything on every CR3 write,
 * so a missing PCID flush is invisible there; Bochs has PCIDs but a stale
 * read needs luck.  The model makes a missed flush visible everywhere: it
 * is told every TLB-affecting instruction the kernel executes and every
 * page-table edit, and tlbm_check() says whether a PCID may still hold a
 * translation the page tables no longer have.
 *
 * Fed ONLY by hardware facts: CR3 writes (PCID, NOFLUSH, which address
 * space's tables the value points at), INVLPG, INVPCID, CR4.PGE toggles,
 * CR4.PCIDE changes, and page-table edits.  Never by the flush code's own
 * bookkeeping (ASID slots, generations it believes it has flushed to):
 * the model exists to check that bookkeeping.
 *
 * What it tracks.  An edit (mm, page, generation) is a translation that
 * some TLB may have cached before the edit and must not use after it.
 * For each recent edit the model keeps, per CPU, the set of PCIDs that
 * have been flushed of that page (or wholly) since the edit: equivalent
 * to "per CPU/PCID, the generation known flushed per address or for the
 * whole PCID", but without a per-address table per PCID.  Separately, per
 * CPU and PCID, which mm's translations may be in it: a NOFLUSH CR3 write
 * loading mm B into a PCID that may hold mm A's entries is a stale TLB
 * whatever the generations say.
 *
 * Assumptions (the caller's side of the contract):
 *   - edited translations are non-global (user mappings never set G), so
 *     only a flush of their own PCID removes them;
 *   - tlbm_pte_edit() is called only for edits that remove or weaken a
 *     present translation (present -> not present, another frame, fewer
 *     rights): a not-present entry is never cached (SDM Vol. 3A
 *     4.10.2.3), so filling one owes no flush; and it is called after the
 *     PTE write and before the new generation is published (so a flush
 *     for that generation can only come after it);
 *   - edits are per 4 KiB page: a large-page edit is recorded at the
 *     address later flushed (INVLPG of any address in a large page
 *     removes it; one record at that address is enough);
 *   - only PCIDs 0, kPCID 1..TLB_NR_DYN_ASIDS and their uPCIDs are used;
 *     any other PCID is reported as a misuse;
 *   - the caller serialises all calls (one lock around the model in the
 *     kernel; each call is short and allocation-free).
 * Paging-structure caches are not modelled separately: every operation
 * that flushes a PCID's TLB entries here also flushes its paging-
 * structure-cache entries (4.10.4.1), and freeing page tables is the
 * flush code's business, checked by the ring-3 tests.
 *
 * Bounded: TLBM_MAX_MMS address spaces with TLBM_EDITS_PER_MM distinct
 * pages each (the oldest edit, or the least recently edited mm, is
 * forgotten and counted in tlbm_stats.dropped_*: a forgotten edit is no
 * longer checked, it never causes a false report).
 */
#ifndef MM_TLB_MODEL_H
#define MM_TLB_MODEL_H

#include "kernel/types.h"
#include "mm/asid.h"

#define TLBM_NR_CPUS		8	/* == NR_CPUS (asserted in tlb_model.c) */
#define TLBM_MAX_MMS		16
#define TLBM_EDITS_PER_MM	64
#define TLBM_LOG_LEN		16	/* operations kept for a failure report */
/* model PCID index: 0 = PCID 0, 1..N = kPCIDs, N+1..2N = uPCIDs */
#define TLBM_NR_PCIDS		(1 + 2 * TLB_NR_DYN_ASIDS)
_Static_assert(TLBM_NR_PCIDS <= 16, "per-edit flushed set is a u16 per CPU");

/* INVPCID's register operand (SDM Vol. 2 INVPCID) */
enum {
	INVPCID_TYPE_INDIV_ADDR		= 0,	/* one address, one PCID, non-global */
	INVPCID_TYPE_SINGLE_CTXT	= 1,	/* one PCID, all non-global */
	INVPCID_TYPE_ALL_INCL_GLOBAL	= 2,	/* every PCID, globals too */
	INVPCID_TYPE_ALL_NON_GLOBAL	= 3,	/* every PCID, no globals */
};

enum tlbm_op_kind {
	TLBM_OP_NONE,
	TLBM_OP_CPU_INIT,
	TLBM_OP_PCIDE,
	TLBM_OP_CR3,
	TLBM_OP_CR3_NOFLUSH,
	TLBM_OP_INVLPG,
	TLBM_OP_INVPCID,
	TLBM_OP_PGE_TOGGLE,
	TLBM_OP_PTE_EDIT,
};

struct tlbm_op {
	u64 seq;		/* model-wide order of the operation */
	u8 kind;		/* enum tlbm_op_kind */
	s8 cpu;			/* -1 for a page-table edit */
	u16 pcid;		/* CR3/INVLPG/INVPCID: the PCID */
	u64 addr;		/* INVLPG/INVPCID/edit address */
	u64 arg;		/* CR3/edit/init: ctx id; PCIDE: on; INVPCID: type */
	u64 gen;		/* edit: its generation */
};

enum tlbm_verdict {
	TLBM_OK,
	TLBM_STALE_PAGE,	/* an edited page not flushed in this PCID */
	TLBM_FOREIGN_MM,	/* PCID may hold another mm's translations */
	TLBM_BAD_ARGS,		/* unknown CPU or PCID */
};

struct tlbm_report {
	enum tlbm_verdict verdict;
	int cpu;
	u16 pcid;		/* the PCID checked */
	u16 cur_pcid;		/* the PCID in this CPU's CR3 (model's view) */
	u64 ctx_id, mm_gen;	/* what the caller checked against */
	u64 foreign_ctx_id;	/* TLBM_FOREIGN_MM: the mm the PCID held */
	u64 loaded_ctx_id;	/* ... when this one was loaded with NOFLUSH */
	u64 addr, edit_gen, edit_seq;	/* TLBM_STALE_PAGE: the oldest one */
	int nr_stale;		/* TLBM_STALE_PAGE: how many pages */
	int nr_log;
	struct tlbm_op log[TLBM_LOG_LEN];	/* oldest first */
};

struct tlbm_stats {
	u64 ops, edits, checks, failures;
	u64 misuse;		/* operations that would #GP, or unknown PCIDs */
	u64 dropped_edits, dropped_mms;
};
extern struct tlbm_stats tlbm_stats;

/* Forget everything (the state of a machine before any CPU ran). */
void tlbm_reset(void);

/*
 * A CPU comes up: its TLB is empty, CR4.PCIDE = @pcide, and CR3 holds
 * @ctx_id's tables under @pcid (0 unless PCIDE).  Must precede any other
 * operation for @cpu; edits made before it do not count against it.
 */
int tlbm_cpu_init(int cpu, bool pcide, u16 pcid, u64 ctx_id);

/*
 * The hardware operations.  Each returns 0, or -1 if the operation as
 * given would #GP (or uses a PCID outside the model); the model is then
 * left unchanged and tlbm_stats.misuse counted.
 *
 * tlbm_set_pcide: CR4.PCIDE written.  1->0 flushes everything on this CPU
 *   (4.10.4.1); 0->1 needs CR3[11:0] = 0 (#GP otherwise) and flushes
 *   nothing.
 * tlbm_cr3_write: MOV to CR3 loading @ctx_id's tables under @pcid.
 *   PCIDE=1: without NOFLUSH, all non-global entries tagged @pcid go;
 *   other PCIDs keep theirs; with NOFLUSH nothing need go.  PCIDE=0:
 *   @pcid must be 0, NOFLUSH is a reserved bit (#GP), and every write
 *   flushes all non-global entries.
 * tlbm_invlpg: INVLPG @addr while @pcid_current is in CR3 (must match the
 *   model's view): removes @addr's entries tagged with the current PCID
 *   and @addr's global entries in every PCID (irrelevant here: edited
 *   entries are non-global).  A non-canonical address is a NOP.
 * tlbm_invpcid: INVPCID @type with descriptor {@pcid, @addr}.  #GP for
 *   type > 3, for type 0/1 with @pcid != 0 while PCIDE=0, for type 0 with
 *   a non-canonical address.
 * tlbm_cr4_pge_toggle: CR4.PGE flipped (and back): everything on this
 *   CPU goes, all PCIDs, globals too.
 */
int tlbm_set_pcide(int cpu, bool on);
int tlbm_cr3_write(int cpu, u16 pcid, bool noflush, u64 ctx_id);
int tlbm_invlpg(int cpu, u16 pcid_current, u64 addr);
int tlbm_invpcid(int cpu, unsigned type, u16 pcid, u64 addr);
int tlbm_cr4_pge_toggle(int cpu);

/* A present translation of @addr in mm @mm_ctx_id was removed or weakened;
 * @new_gen is the mm's generation that includes this edit. */
void tlbm_pte_edit(u64 mm_ctx_id, u64 addr, u64 new_gen);

/*
 * May @cpu's TLB, under @pcid, hold for mm @ctx_id a translation older
 * than @mm_gen (any recorded edit with generation <= @mm_gen whose page
 * @pcid has not been flushed of since), or any other mm's translation?
 * Returns true if clean; false fills @r (may be NULL) with the first
 * problem found and the last operations.  Pass as @mm_gen the generation
 * every CPU must have caught up with by now (edits still being shot down
 * by another CPU are allowed to be stale for a moment).
 */
bool tlbm_check(int cpu, u16 pcid, u64 ctx_id, u64 mm_gen, struct tlbm_report *r);

/* Print @r (KERN_ERR lines), e.g. just before the panic. */
void tlbm_report_print(const struct tlbm_report *r);

#endif
