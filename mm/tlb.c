/*
 * tlb.c - the one CR3 write path, ASIDs (PCIDs), and TLB shootdowns.
 *
 * The pieces (Linux's arch/x86/mm/tlb.c, in a small form):
 *   - Every mm has a context id (never reused) and a generation, tlb_gen,
 *     bumped by set_pte() whenever a present entry changes.  "CPU c's
 *     TLB is current for mm m up to generation g" means it holds nothing
 *     older than m's page tables as of g.
 *   - Each CPU has TLB_NR_DYN_ASIDS slots (mm/asid.c): which mm each PCID
 *     holds and up to which generation it is flushed.  switch_mm() reuses
 *     the slot that already holds the incoming mm - a CR3 write with
 *     NOFLUSH if the slot is current, a flushing one if the mm changed
 *     meanwhile - or evicts one round-robin.
 *   - A flush request bumps nothing (set_pte did); it sends IPIs to the
 *     CPUs that have the mm loaded and are not lazy.  The receiver
 *     compares generations: nothing to do, a range flush (INVLPG) when it
 *     was current before this batch of edits, else a full flush of its
 *     PCID.  Lazy CPUs (a kernel thread borrowing the mm) get no IPI; they
 *     compare generations when they switch back.  Freed page-table pages
 *     are the exception, below.
 *
 * PCID modes (boot line "tlb: pcid ..."; pcid=on|off on the command line):
 *   native   CR4.PCIDE = 1; the CR3 value carries the PCID and NOFLUSH.
 *   virtual  the CPU has no PCID (QEMU's TCG) and tlbcheck=on or pcid=on
 *            asked for the ASIDs anyway: the ASID logic runs
 *            exactly the same and the TLB model (tlbcheck=on) checks it as
 *            if the CPU tagged entries, but the CR3 value has neither PCID
 *            nor NOFLUSH, so the CPU flushes on every write - always safe.
 *   off      pcid=off, or no PCID and no tlbcheck: one ASID, every switch
 *            flushes.
 * The CR3 value is built in one place (build_cr3*, mm/asid.c), so LAM's
 * bits 61/62 will join it there.
 *
 * Page-table isolation (mm/pti.c, pti=on by default) gives each ASID two
 * PCIDs: the kPCID the kernel runs under and the uPCID ring 3 runs under
 * (mm/asid.h).  Everything above happens under the kPCID; the uPCID is
 * only loaded by kernel/entry.S on the way out, with the value
 * prepare_user_cr3() leaves in percpu.user_cr3.  So every flush done here
 * owes the uPCID the same flush: a flushing CR3 write and a range flush
 * without INVPCID set the ASID's bit in the per-CPU user_pcid_flush_mask
 * (invalidate_user_asid_later), and the exit consumes it (seed 003); with
 * INVPCID a range flush reaches the uPCID at once (flush_tlb_one_user).
 *
 * tlbcheck=on feeds a model of a PCID-tagged TLB (mm/tlb_model.c) with
 * every TLB-affecting instruction executed here and every page-table edit,
 * and checks on each return to ring 3 that the PCID the task runs under
 * holds nothing older than its mm's completed generation.  A failure
 * panics with the model's report: a missed flush is caught even where the
 * emulator would hide it.
 *
 * Invariant: cpu_tlbstate.loaded_mm always names the mm whose pgd is in
 * CR3, and holds an mm_count reference on it (mmgrab) while it is there,
 * so a CR3 can never point at a freed pgd.
 */
#include "mm/tlb.h"
#include "mm/tlb_model.h"
#include "mm/mm.h"
#include "mm/pti.h"
#include "kernel/cpu.h"
#include "kernel/percpu.h"
#include "kernel/cpufeature.h"
#include "kernel/cmdline.h"
#include "kernel/layout.h"
#include "kernel/smp.h"
#include "kernel/irqflags.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "kernel/spinlock.h"
#include "kernel/string.h"
#include "sched/sched.h"

enum pcid_mode { PCID_OFF, PCID_VIRTUAL, PCID_NATIVE };
/* INVPCID for the uPCID's pages (PTI): native, off (invpcid=off: the
 * pending bit instead), absent (no INVPCID, or no native PCIDs). */
enum invpcid_mode { INVPCID_ABSENT, INVPCID_OFF, INVPCID_NATIVE };

struct tlb_stats tlb_stats;
/* per CPU; CPU 0's reference on init_mm is counted in init_mm's initial
 * mm_count, an AP takes its own in tlb_init_secondary() */
static struct tlb_state cpu_tlbstate[NR_CPUS] = { [0] = { .loaded_mm = &init_mm } };
static enum pcid_mode pcid_mode;
static enum invpcid_mode invpcid_mode;
bool tlbcheck;
static DEFINE_SPINLOCK(tlbm_lock);	/* the model is one structure for all CPUs */

/* A flush covering more pages than this is done as a full flush. */
#define FLUSH_ONE_BY_ONE_MAX	33	/* Linux's tlb_single_page_flush_ceiling */

static struct tlb_state *this_tlbstate(void)
{
	return &cpu_tlbstate[smp_processor_id()];
}

const char *tlb_pcid_mode(void)
{
	return pcid_mode == PCID_NATIVE ? "native" : pcid_mode == PCID_VIRTUAL ? "virtual" : "off";
}

const char *tlb_invpcid_mode(void)
{
	return invpcid_mode == INVPCID_NATIVE ? "native" : invpcid_mode == INVPCID_OFF ? "off"
									 : "absent";
}

void tlb_get_cpu_stats(int cpu, struct tlb_cpu_stats *out)
{
	*out = cpu_tlbstate[cpu].stats;
}

/* ------------------------------------------------ the TLB model's feed */

/* The PCID the kernel runs under (and, without PTI, ring 3 too). */
static u16 current_pcid(struct tlb_state *ts)
{
	return pcid_mode == PCID_OFF ? 0 : kern_pcid(ts->asid.loaded_asid);
}

#define TLBM(call) do {						\
	if (tlbcheck) {						\
		unsigned long __f;				\
		spin_lock_irqsave(&tlbm_lock, __f);		\
		call;						\
		spin_unlock_irqrestore(&tlbm_lock, __f);	\
	}							\
} while (0)

void tlb_pte_edit(struct mm_struct *mm, u64 addr, u64 new_gen)
{
	if (addr < TASK_SIZE_MAX)
		TLBM(tlbm_pte_edit(mm->context_id, addr, new_gen));
}

/* ------------------------------------------- the hardware operations */

/*
 * THE CR3 write: @val into CR3, counted per CPU (the scheduler's lazy-mm
 * tests and the monitor's "sched" command read the counts), and told to
 * the TLB model as what the kernel meant: @model_pcid, @noflush, and
 * whose tables (@ctx_id).
 */
static void write_cr3(u64 val, u16 model_pcid, bool noflush, u64 ctx_id)
{
	struct tlb_state *ts = this_tlbstate();

	ts->cr3_loads++;
	tlb_stats.cr3_writes++;
	if (val & CR3_NOFLUSH)
		ts->stats.cr3_noflush++;
	else
		ts->stats.cr3_flush++;
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
	TLBM(tlbm_cr3_write(smp_processor_id(), model_pcid, noflush, ctx_id));
}

/*
 * @mm's tables under slot @asid.  @noflush says what the kernel asks for;
 * in the virtual mode the CPU gets neither PCID nor NOFLUSH (it would #GP
 * on NOFLUSH with CR4.PCIDE = 0, SDM Vol. 2 MOV to CR3) and flushes
 * everything, which is always safe - the model still hears the request.
 */
/*
 * PTI with PCIDs: the uPCID of @asid now owes a flush that cannot be done
 * from here - flushing CR3 writes and INVLPG reach only the PCID in CR3,
 * the kPCID - so it is left to the exit to ring 3 (seed 003).
 */
static void invalidate_user_asid_later(struct tlb_state *ts, u16 asid)
{
	if (!pti_enabled || pcid_mode == PCID_OFF)
		return;		/* no PTI: one PCID; no PCIDs: every exit flushes */
	invalidate_user_asid(&ts->user_pcid_flush_mask, asid);
	ts->stats.user_flush_deferred++;
}

static void write_cr3_pcid(struct mm_struct *mm, u16 asid, bool noflush)
{
	u64 pgd = virt_to_phys(mm->pgd), val;

	if (!noflush)	/* flushes the kPCID only; its uPCID twin later */
		invalidate_user_asid_later(this_tlbstate(), asid);

	if (pcid_mode == PCID_NATIVE)
		val = noflush ? build_cr3_noflush(pgd, asid, 0) : build_cr3(pgd, asid, 0);
	else
		val = build_cr3_nopcid(pgd, 0);
	write_cr3(val, pcid_mode == PCID_OFF ? 0 : kern_pcid(asid),
		  noflush && pcid_mode != PCID_OFF, mm->context_id);
}

static void invlpg(u64 va)
{
	tlb_stats.flush_one++;
	asm volatile("invlpg (%0)" : : "r"(va) : "memory");
	TLBM(tlbm_invlpg(smp_processor_id(), current_pcid(this_tlbstate()), va));
}

/* INVPCID type 0: @va's entries tagged @pcid, any PCID in CR3 (SDM Vol. 2
 * "INVPCID"; the descriptor is {PCID in bits 11:0, linear address}). */
static void invpcid_flush_one(u16 pcid, u64 va)
{
	struct { u64 pcid, addr; } desc = { pcid, va };

	asm volatile("invpcid %0, %1" : : "m"(desc), "r"(0UL) : "memory");
	TLBM(tlbm_invpcid(smp_processor_id(), 0, pcid, va));
}

/*
 * One user page, on this CPU, for the loaded ASID (Linux's
 * flush_tlb_one_user): INVLPG for the kPCID; with PTI the uPCID too - by
 * INVPCID where it exists, else by the pending bit.
 */
static void flush_tlb_one_user(struct tlb_state *ts, u64 va)
{
	invlpg(va);
	if (!pti_enabled || pcid_mode == PCID_OFF)
		return;
	if (invpcid_mode == INVPCID_NATIVE) {
		invpcid_flush_one(user_pcid(ts->asid.loaded_asid), va);
		ts->stats.invpcid_single++;
	} else {
		invalidate_user_asid_later(ts, ts->asid.loaded_asid);
	}
}

u64 tlb_cr3_loads(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(cpu_tlbstate[cpu].cr3_loads) : 0;
}

/* The address space the running task owns (NULL in a kernel thread that
 * has not borrowed one with use_mm): what user-address faults resolve in.
 * Not the loaded one: a kernel thread may run lazily on another task's
 * page tables, and must not fault pages into them. */
struct mm_struct *current_mm(void)
{
	return current->mm;
}

struct mm_struct *this_cpu_loaded_mm(void)
{
	return this_tlbstate()->loaded_mm;
}

/* Another CPU's, for tests and reports: may change as soon as it is read. */
struct mm_struct *tlb_cpu_loaded_mm(int cpu)
{
	return cpu >= 0 && cpu < NR_CPUS ? READ_ONCE(cpu_tlbstate[cpu].loaded_mm) : NULL;
}

/* ------------------------------------------------------- switch_mm */

/*
 * Load @next's page tables on this CPU.  Interrupts or preemption off:
 * loaded_mm is per CPU.  @prev is the mm the scheduler believes is
 * loaded; the per-CPU loaded_mm is the truth, and its mm_count reference
 * moves to @next.
 *
 * Same mm (a kernel thread borrowed it lazily and its owner returns):
 * no CR3 write - unless the page tables changed meanwhile, which this CPU
 * was not told about (lazy CPUs get no shootdown IPIs): then the slot is
 * flushed now, the catch-up the lazy rule relies on.
 *
 * Ordering (Linux's switch_mm_irqs_off): loaded_mm = next is published,
 * then a full barrier, then next's tlb_gen is read.  A CPU editing next's
 * page tables bumps tlb_gen (atomic: a full barrier), then reads our
 * loaded_mm to decide whom to IPI.  Either it sees us - and its IPI,
 * delivered when our interrupts come back on, finds our slot behind - or
 * we see its new generation and flush here.
 */
void switch_mm(struct mm_struct *prev, struct mm_struct *next)
{
	struct tlb_state *ts = this_tlbstate();
	struct mm_struct *loaded = ts->loaded_mm;
	u64 next_gen;
	u16 asid;
	bool need_flush;

	/*
	 * Leaving lazy mode is the mirror of the flusher's "bump tlb_gen, then
	 * read is_lazy": store is_lazy, full barrier, then read tlb_gen below.
	 * x86 lets a load pass an earlier store (SDM Vol. 3A 8.2.3.4), so
	 * without the fence both sides can read the old values - the flusher
	 * skips us as lazy, we miss its generation, and we return to user
	 * space with a stale entry (tlbcheck caught exactly that).
	 */
	WRITE_ONCE(ts->is_lazy, false);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (loaded == next && (__read_cr3() & CR3_ADDR_MASK) != virt_to_phys(next->pgd)) {
		/* paging_init: init_mm's new tables replace the boot ones */
		write_cr3_pcid(next, ts->asid.loaded_asid, false);
		return;
	}
	if (loaded == next) {
		asid = ts->asid.loaded_asid;
		next_gen = (u64)atomic64_read(&next->tlb_gen);
		if (ts->asid.ctxs[asid].tlb_gen < next_gen) {
			ts->stats.lazy_catchup++;
			write_cr3_pcid(next, asid, false);
			asid_slot_update(&ts->asid, asid, next->context_id, next_gen);
		}
		return;
	}
	mmgrab(next);
	WRITE_ONCE(ts->loaded_mm, next);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	next_gen = (u64)atomic64_read(&next->tlb_gen);
	if (pcid_mode == PCID_OFF) {
		asid = 0;		/* one slot, always flushed: it records the gen */
		need_flush = true;
	} else {
		choose_new_asid(&ts->asid, next->context_id, next_gen, &asid, &need_flush);
		if (ts->asid.ctxs[asid].ctx_id == next->context_id)
			ts->stats.asid_hit++;
		else
			ts->stats.asid_miss++;
#ifdef BUG_ASID_STALE_NOFLUSH
		/* BUG=asid-stale-noflush: trust a slot that still holds this mm
		 * without looking at its generation */
		if (ts->asid.ctxs[asid].ctx_id == next->context_id)
			need_flush = false;
#endif
	}
	write_cr3_pcid(next, asid, !need_flush);
	if (need_flush)
		asid_slot_update(&ts->asid, asid, next->context_id, next_gen);
	ts->asid.loaded_asid = asid;
	mmdrop(loaded);
}

/* A kernel thread now runs on loaded_mm without owning it (sched/core.c's
 * lazy rule): shootdowns may skip this CPU until it switches back. */
void enter_lazy_tlb(void)
{
	WRITE_ONCE(this_tlbstate()->is_lazy, true);
}

/* ----------------------------------------------------------- flushes */

/*
 * Everything, global entries included: toggling CR4.PGE (SDM Vol. 3A,
 * 4.10.4.1); with PCIDs it flushes every PCID too.  A CR3 write alone
 * would leave the kernel's global entries in place.
 */
void __flush_tlb_all(void)
{
	u64 cr4 = read_cr4();

	tlb_stats.flush_all++;
	if (cr4 & X86_CR4_PGE) {
		write_cr4(cr4 & ~X86_CR4_PGE);
		write_cr4(cr4);
		TLBM(tlbm_cr4_pge_toggle(smp_processor_id()));
	} else if (pcid_mode == PCID_OFF) {
		/* also early in boot, before init_mm's tables are in CR3:
		 * reload whatever is there */
		write_cr3(__read_cr3(), 0, false, this_tlbstate()->loaded_mm->context_id);
	} else {
		struct tlb_state *ts = this_tlbstate();

		write_cr3_pcid(ts->loaded_mm, ts->asid.loaded_asid, false);
	}
	/* every slot but the loaded one now holds nothing: say so */
	if (pcid_mode != PCID_OFF)
		asid_invalidate_other(&this_tlbstate()->asid);
}

/* The current PCID's entries for this mm, all of them. */
static void flush_this_asid(struct tlb_state *ts)
{
	ts->stats.flush_full++;
	tlb_stats.flush_all++;
	write_cr3_pcid(ts->loaded_mm, ts->asid.loaded_asid, false);
}

static void leave_lazy_mm(void *info);		/* below, with mmput's use */

struct flush_info {
	struct mm_struct *mm;		/* NULL: kernel range, every CPU */
	u64 start, end;
	u64 start_gen;			/* mm generation before the batch's edits */
	u64 end_gen;			/* ... after them */
	bool freed_tables;
};

static void flush_kernel_range(u64 start, u64 end)
{
	if ((end - start) >> PAGE_SHIFT > FLUSH_ONE_BY_ONE_MAX) {
		__flush_tlb_all();
		return;
	}
	for (u64 va = ALIGN_DOWN(start, PAGE_SIZE); va < end; va += PAGE_SIZE)
		invlpg(va);
	/* PTI made kernel pages non-global: INVLPG reached the current PCID
	 * only, and the other slots' kPCIDs may cache the range too */
	if (pti_enabled && pcid_mode != PCID_OFF)
		asid_invalidate_other(&this_tlbstate()->asid);
}

/*
 * On a CPU that had @f->mm loaded when the request was made (its own, or
 * by IPI; interrupts off either way).  Linux's flush_tlb_func.
 */
static void flush_tlb_func(void *info)
{
	struct flush_info *f = info;
	struct tlb_state *ts = this_tlbstate();
	u16 asid = ts->asid.loaded_asid;
	u64 local_gen, mm_gen, pages;

	if (!f->mm) {
		flush_kernel_range(f->start, f->end);
		return;
	}
	if (ts->loaded_mm != f->mm)
		return;		/* switched away: the next switch back compares gens */
	if (ts->is_lazy && f->freed_tables) {
		/* A lazy CPU's paging-structure caches may point into the
		 * freed tables, and the CPU may walk them speculatively at any
		 * time (SDM Vol. 3A 4.10.3): leave the mm entirely. */
		leave_lazy_mm(f->mm);
		if (ts->loaded_mm != f->mm)
			return;
	}
	local_gen = ts->asid.ctxs[asid].tlb_gen;
	mm_gen = (u64)atomic64_read(&f->mm->tlb_gen);
	if (local_gen >= mm_gen) {
		ts->stats.flush_skipped_current++;
		return;
	}
	pages = (f->end - f->start) >> PAGE_SHIFT;
	if (local_gen >= f->start_gen && pages <= FLUSH_ONE_BY_ONE_MAX) {
		/* current before this batch: only its range changed */
		ts->stats.flush_range++;
		for (u64 va = ALIGN_DOWN(f->start, PAGE_SIZE); va < f->end; va += PAGE_SIZE)
			flush_tlb_one_user(ts, va);
		asid_slot_update(&ts->asid, asid, f->mm->context_id, f->end_gen);
	} else {
		flush_this_asid(ts);
		asid_slot_update(&ts->asid, asid, f->mm->context_id, mm_gen);
	}
}

/*
 * Make every CPU's TLB current for @mm's range [start, end), edited since
 * generation @start_gen.  The CPUs to tell are those with the mm loaded and
 * not lazy; a lazy one catches up when it switches back (switch_mm) -
 * except when page-table pages were freed: a lazy CPU can still walk
 * them (see flush_tlb_func), so it is told too.  The loaded_mm reads come
 * after the PTE changes (set_pte's atomic bump is a full barrier).
 *
 * Kernel mappings are in every mm and every CPU may have cached them: a
 * kernel stack freed by kthread_join() on CPU 0 may have been used on
 * CPU 3, whose TLB would keep writing into the freed frames.  So a kernel
 * range is flushed everywhere.  Interrupts must be on (the IPI waits; see
 * smp_call_function_many).
 */
void flush_tlb_mm_range_gen(struct mm_struct *mm, u64 start, u64 end, u64 start_gen,
			    bool freed_tables)
{
	struct flush_info f = {
		.mm = mm == &init_mm ? NULL : mm, .start = start, .end = end,
		.start_gen = start_gen, .freed_tables = freed_tables,
	};
	struct tlb_state *ts;
	cpumask_t targets = CPU_MASK_NONE;
	int cpu, self;

	preempt_disable();
	self = smp_processor_id();
	ts = this_tlbstate();
	f.end_gen = f.mm ? (u64)atomic64_read(&mm->tlb_gen) : 0;
	if (!f.mm || ts->loaded_mm == mm) {
		unsigned long flags;

		local_irq_save(flags);
		flush_tlb_func(&f);
		local_irq_restore(flags);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* PTE stores before the reads */
	for_each_online_cpu(cpu) {
		struct tlb_state *t = &cpu_tlbstate[cpu];

		if (cpu == self || (f.mm && READ_ONCE(t->loaded_mm) != mm))
			continue;
#ifdef BUG_NO_REMOTE_FLUSH
		/* BUG=no-remote-flush: the other CPUs keep their entries */
		if (f.mm)
			continue;
#endif
		if (f.mm && READ_ONCE(t->is_lazy) && !freed_tables) {
			ts->stats.ipi_skipped_lazy++;
			continue;
		}
		cpumask_set_cpu(cpu, &targets);
	}
	if (targets.bits) {
		WARN_ON(irqs_disabled());
		if (!irqs_disabled()) {
			for (u64 m = targets.bits; m; m &= m - 1)
				ts->stats.ipi_sent++;
			smp_call_function_many(&targets, flush_tlb_func, &f, true);
		}
	}
	if (f.mm) {	/* every CPU that must be is now current up to end_gen */
		s64 done = atomic64_read(&mm->tlb_gen_done);

		while (done < (s64)f.end_gen &&
		       !__atomic_compare_exchange_n(&mm->tlb_gen_done.counter, &done,
						    (s64)f.end_gen, false, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST))
			;
	}
	preempt_enable();
}

/* A flush of a range whose edits' start generation is unknown: full
 * flushes everywhere it is needed. */
void flush_tlb_mm_range(struct mm_struct *mm, u64 start, u64 end)
{
	flush_tlb_mm_range_gen(mm, start, end, ~0ULL, false);
}

/* ------------------------------------------------------ the checker */

/*
 * tlbcheck=on, on every return to ring 3 (interrupts off): the PCID this
 * task runs under may hold nothing older than its mm's completed
 * generation (tlb_gen_done: edits whose shootdown has finished - ones
 * still in flight on another CPU may legitimately be stale here for a
 * moment).  Anything else is a missed flush: panic with the evidence.
 */
/*
 * The same check for @mm on this CPU, now, without panicking (tests):
 * true if clean or tlbcheck is off; false prints the model's report.
 */
bool tlb_check_mm(struct mm_struct *mm)
{
	struct tlbm_report r;
	unsigned long flags;
	bool ok;

	if (!tlbcheck)
		return true;
	spin_lock_irqsave(&tlbm_lock, flags);
	ok = tlbm_check(smp_processor_id(), current_pcid(this_tlbstate()), mm->context_id,
			(u64)atomic64_read(&mm->tlb_gen_done), &r);
	spin_unlock_irqrestore(&tlbm_lock, flags);
	if (!ok)
		tlbm_report_print(&r);
	return ok;
}

bool tlb_checking(void)
{
	return tlbcheck;
}

/* The PCIDs ring 3 and the kernel's user accesses will use: the kPCID,
 * and with PTI the uPCID the exit loads. */
static int exit_pcids(struct tlb_state *ts, u16 pcids[2])
{
	pcids[0] = current_pcid(ts);
	if (!pti_enabled || pcid_mode == PCID_OFF)
		return 1;
	pcids[1] = user_pcid(ts->asid.loaded_asid);
	return 2;
}

/*
 * tlbcheck, at an exit to ring 3: everything the model must hear and check
 * there, in ONE hold of its lock - one lock for all CPUs, taken on every
 * exit, is the checker's bottleneck (four vCPUs on two host threads spin
 * for a long time whenever its holder's host thread is descheduled):
 *   1. with PTI, the user-CR3 write prepare_user_cr3() decided on
 *      (@user_noflush), which the assembly performs after this;
 *   2. the check of every PCID of this exit (exit_pcids);
 *   3. with PTI, the entry's switch back to the kPCID (NOFLUSH with
 *      PCIDs), told in advance: between this exit and the next entry this
 *      CPU runs only ring 3 and, at most, the NMI path, which executes no
 *      operation the model tracks, so telling it now is exact.
 * False fills @r and names the stale PCID in @bad.
 */
static bool tlbm_exit_to_user(struct tlb_state *ts, struct mm_struct *mm, bool user_noflush,
			      struct tlbm_report *r, u16 *bad)
{
	int cpu = smp_processor_id();
	u16 pcids[2];
	int n = exit_pcids(ts, pcids);
	unsigned long flags;
	bool ok = true;

	spin_lock_irqsave(&tlbm_lock, flags);
	if (pti_enabled)
		tlbm_cr3_write(cpu, pcid_mode == PCID_OFF ? 0 : user_pcid(ts->asid.loaded_asid),
			       user_noflush, mm->context_id);
	for (int i = 0; i < n && ok; i++) {
		ok = tlbm_check(cpu, pcids[i], mm->context_id,
				(u64)atomic64_read(&mm->tlb_gen_done), r);
		if (!ok)
			*bad = pcids[i];
	}
	if (pti_enabled)
		tlbm_cr3_write(cpu, current_pcid(ts), pcid_mode != PCID_OFF, mm->context_id);
	spin_unlock_irqrestore(&tlbm_lock, flags);
	return ok;
}

void __tlb_exit_to_user_check(bool user_noflush)
{
	struct mm_struct *mm = current->mm;
	struct tlbm_report r;
	u16 bad;

	if (!tlbcheck || !mm || tlbm_exit_to_user(this_tlbstate(), mm, user_noflush, &r, &bad))
		return;
	tlbm_report_print(&r);
	panic("tlbcheck: cpu%d returns to %s[%d] with a stale TLB entry (pcid %#x, mm ctx %llu)",
	      smp_processor_id(), current->comm, current->pid, bad,
	      (unsigned long long)mm->context_id);
}

/*
 * The exit to ring 3 (arch_exit_to_user_mode_prepare, interrupts off to
 * the IRETQ/SYSRET): the CR3 value kernel/entry.S's SWITCH_TO_USER_CR3
 * will load, in percpu.user_cr3.  Done in C so that the decision has one
 * readable home and the TLB model hears it; the assembly only loads it.
 * Returns whether that write keeps the uPCID's entries (NOFLUSH).
 *
 * The pending bit is consumed here with one btr (consume_user_asid_flush,
 * mm/asid.h): set -> the user CR3 is written without NOFLUSH and the uPCID
 * is flushed; clear -> NOFLUSH keeps its entries, which is the point of
 * PCIDs under PTI.  Nothing can set the bit again before ring 3: this
 * CPU's flushes run with interrupts on, and they are off from here on.
 */
bool prepare_user_cr3(void)
{
	struct tlb_state *ts;
	struct mm_struct *mm;
	u16 asid;
	u64 pgd, val;
	bool flush = true;

	if (!pti_enabled)
		return false;
	ts = this_tlbstate();
	mm = ts->loaded_mm;
	asid = ts->asid.loaded_asid;
	pgd = virt_to_phys(mm->pgd);
	if (pcid_mode != PCID_OFF) {
#ifdef BUG_USER_ASID_FLUSH_SKIP
		/* BUG=user-asid-flush-skip: trust the uPCID, ignore the bit */
		flush = false;
#else
		flush = consume_user_asid_flush(&ts->user_pcid_flush_mask, asid);
#endif
	}
	if (pcid_mode == PCID_NATIVE)
		val = build_cr3_user(pgd, asid, 0, !flush);
	else	/* no PCID in the value: the CPU flushes on every write */
		val = build_cr3_nopcid(virt_to_phys(kernel_to_user_pgd(mm->pgd)), 0);
	this_cpu_write(user_cr3, val);
	if (flush)
		ts->stats.user_cr3_flush++;
	else
		ts->stats.user_cr3_noflush++;
	return !flush;
}

/* PTI with PCIDs (native or virtual): the pending bitmap is in play. */
bool tlb_user_pcids(void)
{
	return pti_enabled && pcid_mode != PCID_OFF;
}

/*
 * For tests (mm/tlb_test.c), preemption off, @mm loaded: do the exit's
 * C half (prepare_user_cr3) and its model work, as the real exit does.
 * No user CR3 is loaded, so a consumed pending bit is set again: the real
 * next exit still owes the uPCID its flush.  False prints the report.
 */
bool tlb_check_user_exit(struct mm_struct *mm)
{
	struct tlb_state *ts = this_tlbstate();
	struct tlbm_report r;
	unsigned long flags;
	u16 mask, bad;
	bool ok;

	local_irq_save(flags);
	mask = ts->user_pcid_flush_mask;
	ok = tlbm_exit_to_user(ts, mm, prepare_user_cr3(), &r, &bad);
	ts->user_pcid_flush_mask |= mask;
	local_irq_restore(flags);
	if (!ok)
		tlbm_report_print(&r);
	return ok;
}

/* ------------------------------------------------------- bring-up */

static void tlb_init_this_cpu(void)
{
	struct tlb_state *ts = this_tlbstate();
	u64 gen = (u64)atomic64_read(&ts->loaded_mm->tlb_gen);

	struct percpu *pc = this_cpu();

	/* what the entry code needs, in the entry page (kernel/percpu.h) */
	pc->kernel_cr3_noflush = pcid_mode == PCID_NATIVE ? CR3_NOFLUSH : 0;
	pc->pti = pti_enabled;
	if (pcid_mode == PCID_NATIVE)
		write_cr4(read_cr4() | X86_CR4_PCIDE);	/* CR3[11:0] is 0 here */
	TLBM(tlbm_cpu_init(smp_processor_id(), pcid_mode != PCID_OFF, 0,
			   ts->loaded_mm->context_id));
	asid_state_init(&ts->asid, ts->loaded_mm->context_id, gen);
	write_cr3_pcid(ts->loaded_mm, 0, false);	/* into slot 0's PCID */
}

/*
 * Boot CPU, once, before any user mm exists.  pcid=off forces one ASID;
 * tlbcheck=on turns the model on (the test configurations do).
 */
void tlb_init(void)
{
	const char *want = cmdline_get("pcid");
	const char *check = cmdline_get("tlbcheck");
	const char *inv = cmdline_get("invpcid");

	/* a mistyped value should not silently test the wrong thing */
	if (want && strcmp(want, "on") && strcmp(want, "off"))
		pr_warn("tlb: unknown value pcid=%s, ignored\n", want);
	if (inv && strcmp(inv, "on") && strcmp(inv, "off"))
		pr_warn("tlb: unknown value invpcid=%s, ignored\n", inv);
	if (check && strcmp(check, "on") && strcmp(check, "off"))
		pr_warn("tlb: unknown value tlbcheck=%s, ignored\n", check);
	tlbcheck = check && !strcmp(check, "on");
	if (want && !strcmp(want, "off"))
		pcid_mode = PCID_OFF;
	else if (boot_cpu_has(X86_FEATURE_PCID))
		pcid_mode = PCID_NATIVE;
	else if (tlbcheck || (want && !strcmp(want, "on")))
		pcid_mode = PCID_VIRTUAL;	/* the ASID logic, without the CPU's tags */
	else
		pcid_mode = PCID_OFF;
	if (!boot_cpu_has(X86_FEATURE_INVPCID) || pcid_mode != PCID_NATIVE)
		invpcid_mode = INVPCID_ABSENT;
	else if (inv && !strcmp(inv, "off"))
		invpcid_mode = INVPCID_OFF;	/* exercise the pending bit on Bochs */
	else
		invpcid_mode = INVPCID_NATIVE;
	if (tlbcheck)
		tlbm_reset();
	tlb_init_this_cpu();
	pr_info("tlb: pcid %s (%d ASIDs per CPU), invpcid %s, pti %s, tlbcheck %s\n",
		tlb_pcid_mode(), pcid_mode == PCID_OFF ? 1 : TLB_NR_DYN_ASIDS,
		tlb_invpcid_mode(), pti_enabled ? "on" : "off", tlbcheck ? "on" : "off");
}

/*
 * On a CPU that may run a kernel thread on @info lazily: move it to
 * init_mm (interrupts off: an IPI, or called so).  The kernel thread's
 * borrowed reference (active_mm) and the CPU's own (loaded_mm) both go.
 */
static void leave_lazy_mm(void *info)
{
	struct mm_struct *mm = info;
	struct task_struct *tsk = current;

	if (this_tlbstate()->loaded_mm != mm || tsk->mm || tsk->active_mm != mm)
		return;
	mmgrab(&init_mm);
	tsk->active_mm = &init_mm;
	switch_mm(mm, &init_mm);
	mmdrop(mm);
}

/*
 * The last thread of @mm is gone (mmput).  CPUs that ran it last may still
 * have it loaded under a kernel thread - the lazy-mm rule - and would keep
 * it, its PML4 and their TLB entries for it until they next run a user
 * task.  Send them to init_mm now (Linux's "shoot lazies",
 * MMU_LAZY_TLB_SHOOTDOWN): the memory comes back when the process ends, so
 * leak counters return to their baseline, and the page-table teardown
 * that follows has only this CPU to flush.  Needs interrupts on (the IPI
 * waits); without them the lazy CPUs simply keep the mm a while longer.
 */
void exit_lazy_tlb_users(struct mm_struct *mm)
{
	cpumask_t targets = CPU_MASK_NONE;
	unsigned long flags;
	int cpu, self;

	if (irqs_disabled())
		return;
	preempt_disable();
	self = smp_processor_id();
	local_irq_save(flags);
	leave_lazy_mm(mm);		/* this CPU, if it is a lazy user */
	local_irq_restore(flags);
	for_each_online_cpu(cpu)
		if (cpu != self && READ_ONCE(cpu_tlbstate[cpu].loaded_mm) == mm)
			cpumask_set_cpu(cpu, &targets);
	if (targets.bits)
		smp_call_function_many(&targets, leave_lazy_mm, mm, true);
	preempt_enable();
}

/* An AP arrives on the trampoline's page tables; move it to init_mm's
 * through the one CR3 path, holding a reference like every loaded mm. */
void tlb_init_secondary(void)
{
	this_tlbstate()->loaded_mm = &init_mm;
	mmgrab(&init_mm);
	tlb_init_this_cpu();
}

/*
 * A kernel thread takes on a user address space (Linux's kthread_use_mm):
 * it becomes, for the scheduler, a task of that mm (current->mm set), so
 * switching between it and the mm's other tasks costs no CR3 write.  Like
 * any task with an mm it holds an mm_users reference and no mm_count of
 * its own; the borrowed lazy reference it held on its old active_mm goes.
 */
void use_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = current;
	struct mm_struct *old;

	BUG_ON(tsk->mm);
	mmget(mm);
	preempt_disable();
	local_irq_disable();		/* the scheduler reads these fields */
	old = tsk->active_mm;
	tsk->mm = mm;
	tsk->active_mm = mm;
	switch_mm(old, mm);
	local_irq_enable();
	preempt_enable();
	mmdrop(old);
}

/* Back to being a kernel thread on init_mm, holding a reference on it as
 * every kernel thread's active_mm does. */
void unuse_mm(struct mm_struct *mm)
{
	struct task_struct *tsk = current;

	BUG_ON(tsk->mm != mm);
	mmgrab(&init_mm);
	preempt_disable();
	local_irq_disable();
	tsk->mm = NULL;
	tsk->active_mm = &init_mm;
	switch_mm(mm, &init_mm);
	local_irq_enable();
	preempt_enable();
	mmput(mm);
}
