/*
 * tlb.h - loading address spaces and flushing TLBs.
 *
 * switch_mm() is the only code that loads another address space into CR3
 * (through write_cr3() in mm/tlb.c); the CR3 value is built in one place
 * (build_cr3*, mm/asid.c), where PCIDs are and LAM's bits will be.  With
 * page-table isolation kernel/entry.S also writes CR3, but only to switch
 * between the two halves of the loaded PGD pair, and the exit's value is
 * the one prepare_user_cr3() built.
 */
#ifndef MM_TLB_H
#define MM_TLB_H

#include "kernel/types.h"
#include "mm/asid.h"

struct mm_struct;

/* Per-CPU counters (/proc/switchyard's tlbN lines). */
struct tlb_cpu_stats {
	u64 cr3_noflush;		/* CR3 writes with NOFLUSH: the slot was current */
	u64 cr3_flush;			/* ... without: new slot, stale slot, or no PCID */
	u64 asid_hit, asid_miss;	/* choose_new_asid: mm already in a slot or not */
	u64 flush_full, flush_range;	/* local flushes done (IPI or own) */
	u64 ipi_sent;			/* shootdown IPIs this CPU sent */
	u64 ipi_skipped_lazy;		/* CPUs not sent one: lazy, catch up at switch */
	u64 flush_skipped_current;	/* IPIs received with the slot already current */
	u64 lazy_catchup;		/* flushes done when a lazy CPU switched back */
	/* page-table isolation: the exit's switch to the user CR3 */
	u64 user_cr3_noflush;		/* uPCID current: its entries kept */
	u64 user_cr3_flush;		/* ... flushed: pending bit consumed, or no PCID */
	u64 user_flush_deferred;	/* uPCID flushes left to the exit (bit set) */
	u64 invpcid_single;		/* uPCID pages flushed at once by INVPCID */
};

struct tlb_state {
	struct mm_struct *loaded_mm;	/* whose pgd is in CR3 on this CPU */
	u64 cr3_loads;			/* CR3 writes on this CPU */
	struct asid_cpu_state asid;	/* the ASID slots (mm/asid.h) */
	bool is_lazy;			/* a kernel thread runs on loaded_mm */
	u16 user_pcid_flush_mask;	/* PTI: uPCIDs owing a flush, by kPCID (asid.h) */
	struct tlb_cpu_stats stats;
};

void switch_mm(struct mm_struct *prev, struct mm_struct *next);
struct mm_struct *this_cpu_loaded_mm(void);
struct mm_struct *tlb_cpu_loaded_mm(int cpu);
u64 tlb_cr3_loads(int cpu);
void flush_tlb_mm_range(struct mm_struct *mm, u64 start, u64 end);
/* The same, for a batch of edits that began at generation @start_gen
 * (read before the first edit): lets a CPU that was current then flush
 * just the range.  @freed_tables: page-table pages were freed too. */
void flush_tlb_mm_range_gen(struct mm_struct *mm, u64 start, u64 end, u64 start_gen,
			    bool freed_tables);
void enter_lazy_tlb(void);			/* a kernel thread now runs on loaded_mm */
void tlb_init(void);				/* boot CPU: PCID mode, tlbcheck */
void tlb_pte_edit(struct mm_struct *mm, u64 addr, u64 new_gen);	/* set_pte's hook */
bool prepare_user_cr3(void);			/* PTI: percpu.user_cr3; true = NOFLUSH */
void __tlb_exit_to_user_check(bool user_noflush);
const char *tlb_invpcid_mode(void);		/* "native", "off", "absent" */
extern bool tlbcheck;				/* tlbcheck=on: the model runs */
/*
 * The TLB's part of every exit to ring 3 (arch_exit_to_user_mode_prepare,
 * interrupts off): the user CR3 under PTI, then, with tlbcheck=on, the
 * model's check - one test of a flag when the model is off.
 */
static inline void tlb_exit_to_user(void)
{
	bool user_noflush = prepare_user_cr3();

	if (tlbcheck)
		__tlb_exit_to_user_check(user_noflush);
}
bool tlb_check_mm(struct mm_struct *mm);	/* the same for tests: false = stale */
bool tlb_checking(void);			/* tlbcheck=on? */
bool tlb_user_pcids(void);			/* PTI with PCIDs: pending bits in play */
bool tlb_check_user_exit(struct mm_struct *mm);	/* tests: the exit's PCIDs clean? */
const char *tlb_pcid_mode(void);		/* "native", "virtual", "off" */
void tlb_get_cpu_stats(int cpu, struct tlb_cpu_stats *out);
void __flush_tlb_all(void);

/* Linux's kthread_use_mm()/kthread_unuse_mm(): borrow a user mm */
void tlb_init_secondary(void);
void exit_lazy_tlb_users(struct mm_struct *mm);	/* mmput: no CPU keeps it lazily */
void use_mm(struct mm_struct *mm);
void unuse_mm(struct mm_struct *mm);

struct tlb_stats {
	u64 cr3_writes;
	u64 flush_all;
	u64 flush_one;		/* INVLPGs */
};
extern struct tlb_stats tlb_stats;

#endif
