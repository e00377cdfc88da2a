/*
 * tlb_model.c - the TLB model (see tlb_model.h for what it promises).
 *
 * State, all fixed arrays:
 *   per CPU: PCIDE, the PCID and address space in CR3, and per model PCID
 *     index the mm whose translations it may hold (owner; 0 = empty) and
 *     whether another mm's translations may linger there because an mm
 *     was loaded over it without a flush (mixed; sticky until the PCID
 *     is flushed whole);
 *   per mm (by context id): up to TLBM_EDITS_PER_MM edited pages, each
 *     with its generation and, per CPU, the set of PCIDs that cannot hold
 *     a translation from before the edit (that page flushed since, or the
 *     PCID did not hold this mm at the time of the edit);
 *   per CPU and PCID, the operation number of its last whole flush: an
 *     edit older than that is gone from it.  This makes whole flushes,
 *     the frequent case (every CR3 write without PCID), O(1); only a
 *     one-page flush walks the edits.
 * An edit is stale in (cpu, PCID i) iff its clean bit i is clear and the
 * PCID's last whole flush came before the edit.
 *   a log of the last TLBM_LOG_LEN operations for failure reports.
 *
 * The hardware rules applied (SDM Vol. 3A 4.10.4.1, Vol. 2 INVLPG and
 * INVPCID, Vol. 2 MOV to CR3/CR4):
 *   - MOV to CR3, PCIDE=1, bit 63 clear: invalidates all non-global TLB
 *     and paging-structure-cache entries tagged with the PCID loaded;
 *     bit 63 set: need invalidate nothing.  Other PCIDs never affected.
 *   - MOV to CR3, PCIDE=0: invalidates all non-global entries (they are
 *     all PCID 0).  Bit 63 is reserved: #GP.
 *   - INVLPG: the page's entries for the current PCID, global entries
 *     for the page in all PCIDs, and all paging-structure-cache entries
 *     of the current PCID.  Non-canonical address: no operation.
 *   - INVPCID 0: one page, one PCID, non-global only; 1: one PCID, all
 *     non-global; 2: everything, globals too; 3: all PCIDs, non-global.
 *     Any type may invalidate more; the model assumes the minimum.
 *   - CR4.PGE toggle, CR4.PCIDE 1->0: everything, all PCIDs, globals.
 * "May invalidate more" cuts one way: the model keeps what the SDM lets
 * the CPU keep, so it only reports what some conforming CPU could show.
 */
#include "mm/tlb_model.h"
#include "kernel/printk.h"
#ifdef HOST_TEST
#include <string.h>
#else
#include "kernel/string.h"
#include "kernel/smp.h"
_Static_assert(TLBM_NR_CPUS == NR_CPUS, "one model CPU per kernel CPU");
#endif

#define PAGE_MASK_4K	(~0xfffULL)
#define ALL_PCIDS	((u16)((1u << TLBM_NR_PCIDS) - 1))

struct tlbm_edit {
	u64 page;		/* 0 with seq 0: unused */
	u64 gen;
	u64 seq;
	u16 clean[TLBM_NR_CPUS];	/* bit i: PCID index i cannot hold it */
};

struct tlbm_mm {
	u64 ctx_id;		/* 0: free */
	u64 last_seq;		/* for evicting the least recently edited */
	struct tlbm_edit edits[TLBM_EDITS_PER_MM];
};

struct tlbm_pcid {
	u64 owner;		/* mm whose entries it may hold; 0 = empty */
	bool mixed;		/* may hold entries of more than one mm */
	u64 mixed_old, mixed_new;	/* the first such NOFLUSH: held, loaded */
};

struct tlbm_cpu {
	bool up, pcide;
	u16 cur_pcid;
	u64 cur_ctx;
	struct tlbm_pcid p[TLBM_NR_PCIDS];
	u64 flushed_seq[TLBM_NR_PCIDS];	/* last whole flush of PCID index i */
};

static struct {
	u64 seq;
	struct tlbm_cpu cpu[TLBM_NR_CPUS];
	struct tlbm_mm mm[TLBM_MAX_MMS];
	struct tlbm_op log[TLBM_LOG_LEN];
	unsigned log_next;
} model;

struct tlbm_stats tlbm_stats;

static void zero(void *p, size_t n)
{
	memset(p, 0, n);
}

void tlbm_reset(void)
{
	zero(&model, sizeof(model));
	zero(&tlbm_stats, sizeof(tlbm_stats));
}

/* PCID -> model index: 0, kPCID 1..N, uPCID (N+1..2N); -1 if untracked */
static int pcid_index(u16 pcid)
{
	u16 k = pcid & ~(1u << CR3_PTI_PCID_USER_BIT);

	if (pcid == 0)
		return 0;
	if (k < 1 || k > TLB_NR_DYN_ASIDS)
		return -1;
	return pcid & (1u << CR3_PTI_PCID_USER_BIT) ? TLB_NR_DYN_ASIDS + k : k;
}

/* 4-level paging: bits 63:47 all equal.  (With LA57 the model would
 * call some valid addresses non-canonical and miss their flushes: a
 * false report, never a missed one.) */
static bool canonical(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

static u64 log_op(u8 kind, int cpu, u16 pcid, u64 addr, u64 arg, u64 gen)
{
	struct tlbm_op *op = &model.log[model.log_next++ % TLBM_LOG_LEN];

	op->seq = ++model.seq;
	op->kind = kind;
	op->cpu = (s8)cpu;
	op->pcid = pcid;
	op->addr = addr;
	op->arg = arg;
	op->gen = gen;
	tlbm_stats.ops++;
	return op->seq;
}

static int misuse(void)
{
	tlbm_stats.misuse++;
	return -1;
}

static struct tlbm_cpu *get_cpu(int cpu)
{
	if (cpu < 0 || cpu >= TLBM_NR_CPUS || !model.cpu[cpu].up)
		return NULL;
	return &model.cpu[cpu];
}

/* @page's entries tagged with PCID index @i on @cpu are gone, whichever
 * mm they came from. */
static void flush_page(int cpu, int i, u64 page)
{
	for (int m = 0; m < TLBM_MAX_MMS; m++) {
		if (!model.mm[m].ctx_id)
			continue;
		for (int e = 0; e < TLBM_EDITS_PER_MM; e++) {
			struct tlbm_edit *ed = &model.mm[m].edits[e];

			if (ed->seq && ed->page == page)
				ed->clean[cpu] |= (u16)(1u << i);
		}
	}
}

/* All non-global entries tagged with PCID index @i are gone.  If it is
 * the PCID in CR3, the CPU may refill it at once (speculatively, too)
 * from the loaded tables; otherwise it stays empty until loaded. */
static void flush_whole_pcid(int cpu, int i)
{
	struct tlbm_cpu *c = &model.cpu[cpu];

	c->flushed_seq[i] = model.seq;	/* the flushing op's own number */
	c->p[i].mixed = false;
	c->p[i].owner = i == pcid_index(c->cur_pcid) ? c->cur_ctx : 0;
}

static void flush_all_pcids(int cpu)
{
	for (int i = 0; i < TLBM_NR_PCIDS; i++)
		flush_whole_pcid(cpu, i);
}

int tlbm_cpu_init(int cpu, bool pcide, u16 pcid, u64 ctx_id)
{
	struct tlbm_cpu *c;
	int i = pcid_index(pcid);

	if (cpu < 0 || cpu >= TLBM_NR_CPUS || i < 0 || (!pcide && pcid))
		return misuse();
	c = &model.cpu[cpu];
	zero(c, sizeof(*c));
	c->up = true;
	c->pcide = pcide;
	c->cur_pcid = pcid;
	c->cur_ctx = ctx_id;
	log_op(TLBM_OP_CPU_INIT, cpu, pcid, 0, ctx_id, 0);
	/* a CPU out of reset has an empty TLB: nothing edited before is in it */
	flush_all_pcids(cpu);
	return 0;
}

int tlbm_set_pcide(int cpu, bool on)
{
	struct tlbm_cpu *c = get_cpu(cpu);

	if (!c)
		return misuse();
	if (on && !c->pcide && c->cur_pcid != 0)	/* CR3[11:0] != 0: #GP */
		return misuse();
	log_op(TLBM_OP_PCIDE, cpu, c->cur_pcid, 0, on, 0);
	if (!on && c->pcide) {
		/* 1 -> 0 flushes everything; the current PCID is 000H now */
		c->cur_pcid = 0;
		c->pcide = false;
		flush_all_pcids(cpu);
	}
	c->pcide = on;
	return 0;
}

int tlbm_cr3_write(int cpu, u16 pcid, bool noflush, u64 ctx_id)
{
	struct tlbm_cpu *c = get_cpu(cpu);
	int i = pcid_index(pcid);
	struct tlbm_pcid *p;

	if (!c || i < 0)
		return misuse();
	if (!c->pcide && (noflush || pcid))	/* bit 63 reserved: #GP */
		return misuse();
	log_op(noflush ? TLBM_OP_CR3_NOFLUSH : TLBM_OP_CR3, cpu, pcid, 0, ctx_id, 0);
	c->cur_pcid = pcid;
	c->cur_ctx = ctx_id;
	if (!c->pcide) {
		flush_all_pcids(cpu);
		return 0;
	}
	if (!noflush) {
		flush_whole_pcid(cpu, i);
		return 0;
	}
	/* NOFLUSH: whatever the PCID held is still there, now under ctx_id's
	 * tables.  Entries of another mm would translate this one's
	 * addresses: remember the first such mm until a whole flush. */
	p = &c->p[i];
	if (p->owner && p->owner != ctx_id && !p->mixed) {
		p->mixed = true;
		p->mixed_old = p->owner;
		p->mixed_new = ctx_id;
	}
	p->owner = ctx_id;
	return 0;
}

int tlbm_invlpg(int cpu, u16 pcid_current, u64 addr)
{
	struct tlbm_cpu *c = get_cpu(cpu);

	if (!c || pcid_current != c->cur_pcid)
		return misuse();
	log_op(TLBM_OP_INVLPG, cpu, pcid_current, addr, 0, 0);
	if (!canonical(addr))
		return 0;		/* a NOP, not a fault */
	/* the current PCID only: edited entries are non-global, so the
	 * global-entries part of INVLPG never helps them */
	flush_page(cpu, pcid_index(c->cur_pcid), addr & PAGE_MASK_4K);
	return 0;
}

int tlbm_invpcid(int cpu, unsigned type, u16 pcid, u64 addr)
{
	struct tlbm_cpu *c = get_cpu(cpu);
	int i = pcid_index(pcid);

	if (!c || type > INVPCID_TYPE_ALL_NON_GLOBAL || pcid > CR3_PCID_MASK)
		return misuse();
	if (type <= INVPCID_TYPE_SINGLE_CTXT) {
		if (!c->pcide && pcid)
			return misuse();
		if (type == INVPCID_TYPE_INDIV_ADDR && !canonical(addr))
			return misuse();
		if (i < 0)
			return misuse();
	}
	log_op(TLBM_OP_INVPCID, cpu, pcid, addr, type, 0);
	switch (type) {
	case INVPCID_TYPE_INDIV_ADDR:
		flush_page(cpu, i, addr & PAGE_MASK_4K);
		break;
	case INVPCID_TYPE_SINGLE_CTXT:
		flush_whole_pcid(cpu, i);
		break;
	default:	/* 2 and 3 differ only in globals, which edits never are */
		flush_all_pcids(cpu);
		break;
	}
	return 0;
}

int tlbm_cr4_pge_toggle(int cpu)
{
	if (!get_cpu(cpu))
		return misuse();
	log_op(TLBM_OP_PGE_TOGGLE, cpu, model.cpu[cpu].cur_pcid, 0, 0, 0);
	flush_all_pcids(cpu);
	return 0;
}

static struct tlbm_mm *find_mm(u64 ctx_id)
{
	for (int m = 0; m < TLBM_MAX_MMS; m++)
		if (model.mm[m].ctx_id == ctx_id)
			return &model.mm[m];
	return NULL;
}

static struct tlbm_mm *get_mm(u64 ctx_id)
{
	struct tlbm_mm *mm = find_mm(ctx_id), *victim = NULL;

	if (mm)
		return mm;
	for (int m = 0; m < TLBM_MAX_MMS; m++) {
		struct tlbm_mm *cand = &model.mm[m];

		if (!cand->ctx_id) {
			victim = cand;
			break;
		}
		if (!victim || cand->last_seq < victim->last_seq)
			victim = cand;
	}
	if (victim->ctx_id)
		tlbm_stats.dropped_mms++;
	zero(victim, sizeof(*victim));
	victim->ctx_id = ctx_id;
	return victim;
}

void tlbm_pte_edit(u64 mm_ctx_id, u64 addr, u64 new_gen)
{
	u64 page = addr & PAGE_MASK_4K, seq;
	struct tlbm_mm *mm;
	struct tlbm_edit *ed = NULL;

	if (!mm_ctx_id) {
		misuse();
		return;
	}
	seq = log_op(TLBM_OP_PTE_EDIT, -1, 0, addr, mm_ctx_id, new_gen);
	tlbm_stats.edits++;
	mm = get_mm(mm_ctx_id);
	mm->last_seq = seq;

	/* The same page again: one record.  Anything stale against the old
	 * edit is stale against this one too, and must be flushed after
	 * this one anyway, so the record simply restarts.  (Taking the new
	 * generation means a check between the two generations skips the
	 * page: at worst a report comes one shootdown later.) */
	for (int e = 0; e < TLBM_EDITS_PER_MM && !ed; e++)
		if (mm->edits[e].seq && mm->edits[e].page == page)
			ed = &mm->edits[e];
	for (int e = 0; e < TLBM_EDITS_PER_MM && !ed; e++)
		if (!mm->edits[e].seq)
			ed = &mm->edits[e];
	if (!ed) {
		ed = &mm->edits[0];
		for (int e = 1; e < TLBM_EDITS_PER_MM; e++)
			if (mm->edits[e].seq < ed->seq)
				ed = &mm->edits[e];
		tlbm_stats.dropped_edits++;
	}
	ed->page = page;
	ed->gen = new_gen;
	ed->seq = seq;

	/* Which (CPU, PCID) could have cached this mm's old translation?
	 * Those that may hold this mm's entries now (a mixed PCID may hold
	 * anyone's).  A PCID holding another mm (or nothing) cannot; if this
	 * mm is later loaded into it without a flush, that is reported as a
	 * foreign mm instead. */
	for (int cpu = 0; cpu < TLBM_NR_CPUS; cpu++) {
		struct tlbm_cpu *c = &model.cpu[cpu];

		ed->clean[cpu] = ALL_PCIDS;
		if (!c->up)
			continue;
		for (int i = 0; i < TLBM_NR_PCIDS; i++)
			if (c->p[i].owner == mm_ctx_id || c->p[i].mixed)
				ed->clean[cpu] &= (u16)~(1u << i);
	}
}

static void fill_log(struct tlbm_report *r)
{
	unsigned n = model.log_next < TLBM_LOG_LEN ? model.log_next : TLBM_LOG_LEN;

	r->nr_log = (int)n;
	for (unsigned k = 0; k < n; k++)
		r->log[k] = model.log[(model.log_next - n + k) % TLBM_LOG_LEN];
}

/* The edit tlbm_check() must report, or NULL: the oldest stale one. */
static struct tlbm_edit *oldest_stale(struct tlbm_cpu *c, int cpu, int i, struct tlbm_mm *mm,
				      u64 mm_gen, int *nr)
{
	struct tlbm_edit *oldest = NULL;

	*nr = 0;
	for (int e = 0; mm && e < TLBM_EDITS_PER_MM; e++) {
		struct tlbm_edit *ed = &mm->edits[e];

		if (!ed->seq || ed->gen > mm_gen || (ed->clean[cpu] & (1u << i)) ||
		    c->flushed_seq[i] > ed->seq)
			continue;
		if (!(*nr)++ || ed->seq < oldest->seq)
			oldest = ed;
	}
	return oldest;
}

/*
 * Called on every return to ring 3, so the clean case touches only the
 * PCID's state and the mm's edit list; the report is built only for a
 * failure.
 */
bool tlbm_check(int cpu, u16 pcid, u64 ctx_id, u64 mm_gen, struct tlbm_report *r)
{
	struct tlbm_report local;
	struct tlbm_cpu *c = get_cpu(cpu);
	int i = pcid_index(pcid), nr = 0;
	struct tlbm_edit *stale = NULL;
	enum tlbm_verdict v = TLBM_OK;

	tlbm_stats.checks++;
	if (!c || i < 0)
		v = TLBM_BAD_ARGS;
	else if (c->p[i].mixed)
		v = TLBM_FOREIGN_MM;
	else if ((stale = oldest_stale(c, cpu, i, find_mm(ctx_id), mm_gen, &nr)))
		v = TLBM_STALE_PAGE;
	if (v == TLBM_OK)
		return true;
	if (!r)
		r = &local;
	zero(r, sizeof(*r));
	r->verdict = v;
	r->cpu = cpu;
	r->pcid = pcid;
	r->ctx_id = ctx_id;
	r->mm_gen = mm_gen;
	if (v == TLBM_BAD_ARGS) {
		misuse();
	} else {
		r->cur_pcid = c->cur_pcid;
		if (v == TLBM_FOREIGN_MM) {
			r->foreign_ctx_id = c->p[i].mixed_old;
			r->loaded_ctx_id = c->p[i].mixed_new;
		} else {
			r->nr_stale = nr;
			r->addr = stale->page;
			r->edit_gen = stale->gen;
			r->edit_seq = stale->seq;
		}
	}
	tlbm_stats.failures++;
	fill_log(r);
	return false;
}

static const char *const op_names[] = {
	[TLBM_OP_NONE] = "none",
	[TLBM_OP_CPU_INIT] = "cpu-init",
	[TLBM_OP_PCIDE] = "cr4.pcide",
	[TLBM_OP_CR3] = "cr3",
	[TLBM_OP_CR3_NOFLUSH] = "cr3-noflush",
	[TLBM_OP_INVLPG] = "invlpg",
	[TLBM_OP_INVPCID] = "invpcid",
	[TLBM_OP_PGE_TOGGLE] = "cr4.pge-toggle",
	[TLBM_OP_PTE_EDIT] = "pte-edit",
};

void tlbm_report_print(const struct tlbm_report *r)
{
	static const char *const verdicts[] = {
		"ok", "stale translation", "foreign mm in PCID", "bad arguments",
	};

	printk(KERN_ERR "tlbcheck: cpu%d pcid %#x (cr3 pcid %#x) mm ctx %llu gen %llu: %s\n",
	       r->cpu, r->pcid, r->cur_pcid, (unsigned long long)r->ctx_id,
	       (unsigned long long)r->mm_gen, verdicts[r->verdict]);
	if (r->verdict == TLBM_STALE_PAGE)
		printk(KERN_ERR "tlbcheck: %d page(s) not flushed since edited; oldest %#llx "
		       "edited at gen %llu (op #%llu)\n", r->nr_stale,
		       (unsigned long long)r->addr, (unsigned long long)r->edit_gen,
		       (unsigned long long)r->edit_seq);
	if (r->verdict == TLBM_FOREIGN_MM)
		printk(KERN_ERR "tlbcheck: mm ctx %llu loaded into the PCID without a flush "
		       "while it held mm ctx %llu's translations\n",
		       (unsigned long long)r->loaded_ctx_id, (unsigned long long)r->foreign_ctx_id);
	for (int k = 0; k < r->nr_log; k++) {
		const struct tlbm_op *op = &r->log[k];

		printk(KERN_ERR "tlbcheck:  #%llu cpu%d %-14s pcid %#x addr %#llx arg %llu gen %llu\n",
		       (unsigned long long)op->seq, op->cpu,
		       op->kind < ARRAY_SIZE(op_names) ? op_names[op->kind] : "?",
		       op->pcid, (unsigned long long)op->addr,
		       (unsigned long long)op->arg, (unsigned long long)op->gen);
	}
}
