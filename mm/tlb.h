/*
 * tlb.h - loading address spaces and flushing TLBs.
 *
 * switch_mm() is the only code that writes CR3 (through write_cr3() in
 * mm/tlb.c).  The TLB issue adds PCIDs and the LAM issue the LAM bits: both
 * become part of the one CR3 value built there.
 */
#ifndef MM_TLB_H
#define MM_TLB_H

#include "kernel/types.h"

struct mm_struct;

struct tlb_state {
	struct mm_struct *loaded_mm;	/* whose pgd is in CR3 on this CPU */
	u64 cr3_loads;			/* CR3 writes on this CPU */
};

void switch_mm(struct mm_struct *prev, struct mm_struct *next);
struct mm_struct *this_cpu_loaded_mm(void);
struct mm_struct *tlb_cpu_loaded_mm(int cpu);
u64 tlb_cr3_loads(int cpu);
void flush_tlb_mm_range(struct mm_struct *mm, u64 start, u64 end);
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
