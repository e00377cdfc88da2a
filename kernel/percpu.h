/*
 * percpu.h - each CPU's private data area, reached through GS.base.
 *
 * Every CPU has one struct percpu (statically allocated, NR_CPUS of them).
 * percpu_init_cpu(cpu) points that CPU's GS.base at its area, so the same
 * instruction, `mov %gs:OFFSET, reg`, reads a different CPU's field on each
 * CPU without knowing the CPU number: that is how smp_processor_id() and,
 * later, `current` answer "who am I" in one load.
 *
 * The GS discipline (kernel/entry.S follows it):
 *   - In the kernel, GS.base (MSR_GS_BASE) always points at this CPU's
 *     struct percpu.  MSR_KERNEL_GS_BASE holds the *user's* GS base while
 *     the kernel runs; SWAPGS exchanges the two (SDM Vol. 2B, "SWAPGS").
 *   - An entry from ring 3 executes SWAPGS first; an entry from ring 0 must
 *     not (it would hand the kernel the user's base).  The exit path mirrors
 *     the entry.  percpu_init_cpu() writes KERNEL_GS_BASE = 0: the value a
 *     new user program starts with.
 *   - NMI and #MC can arrive between a ring-3 entry and its SWAPGS, so the
 *     ring-3 issue gives them Linux's "paranoid" entry: read MSR_GS_BASE
 *     and swap only if it is not a kernel address.
 *   - Nothing may load a selector into %gs after percpu_init_cpu(): in
 *     64-bit mode a segment load replaces the base with the descriptor's
 *     32-bit base (SDM Vol. 3A, "Segment Loading Instructions in IA-32e
 *     Mode"), which would silently point every per-CPU access at address 0.
 *
 * Invariant: percpu_init_cpu(cpu) is the first thing a CPU does in C.
 * Before it, GS.base is 0 and any per-CPU read (printk calls
 * smp_processor_id()) reads low memory, and faults once paging_init() has
 * removed the identity map.
 */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H

#include "kernel/types.h"
#include "kernel/layout.h"

struct task_struct;
struct tlb_state;
struct fpu;

/*
 * The first page of each area is the ENTRY PAGE: the only per-CPU data the
 * entry code touches while the user page tables may still be in CR3, so
 * page-table isolation (mm/pti.c) maps that page - and nothing else of the
 * area - into every user address space.  Keep secrets out of it: under
 * PTI it is readable by speculation from ring 3 on a Meltdown CPU.
 */
struct percpu {
	/* ---- entry page: also mapped in the PTI user page tables ---- */
	struct percpu *self;	/* offset 0: this_cpu() is `mov %gs:0, reg` */
	u64 user_rsp_scratch;	/* SYSCALL entry: the user RSP, briefly */
	u64 entry_stack_top;	/* TSS.RSP0: the per-CPU entry stack (gdt.c) */
	u64 user_cr3;		/* PTI: the CR3 the exit path loads (mm/tlb.c) */
	u64 kernel_cr3_noflush;	/* PTI: CR3_NOFLUSH with native PCIDs, else 0 */
	u8 pti;			/* page-table isolation on: switch CR3 */

	/* ---- kernel only ---- */
	int cpu __aligned(PAGE_SIZE);	/* 0 .. NR_CPUS-1, the kernel's number */
	u32 apic_id;		/* the hardware's number (CPUID), for IPIs */
	struct task_struct *current_task;	/* `current` (sched/sched.h) */
	u64 top_of_stack;	/* this task's kernel stack, for entries from ring 3 */
	int preempt_count;	/* kernel/preempt.h */
	int irq_count;		/* interrupt nesting depth */
	struct tlb_state *tlb_state;
	struct fpu *fpu_owner;	/* whose user FPU state the registers hold (fpu/core.c) */
	int in_kernel_fpu;	/* inside kernel_fpu_begin/end */
} __aligned(PAGE_SIZE);	/* the entry page is a page of its own */

extern struct percpu percpu_areas[];

void percpu_init_cpu(int cpu);

static inline struct percpu *per_cpu(int cpu)
{
	return &percpu_areas[cpu];
}

/* volatile: must not be hoisted above percpu_init_cpu()'s WRMSR. */
static inline struct percpu *this_cpu(void)
{
	struct percpu *p;

	asm volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/*
 * this_cpu_read(field) / this_cpu_write(field, v): one GS-relative MOV, no
 * separate address computation.  Only 1, 2, 4 or 8-byte fields.  Each is a
 * compiler barrier ("memory" clobber): the compiler cannot see that
 * %gs:off and this_cpu()->field are the same memory, so without the
 * clobber it could reorder a mix of the two.  (Linux avoids the barrier
 * by making per-CPU variables real C objects in a special section.)
 */
#define __percpu_field_type(field)	__typeof__(((struct percpu *)0)->field)
#define __percpu_check_size(field)					\
	_Static_assert(sizeof(__percpu_field_type(field)) == 1 ||	\
		       sizeof(__percpu_field_type(field)) == 2 ||	\
		       sizeof(__percpu_field_type(field)) == 4 ||	\
		       sizeof(__percpu_field_type(field)) == 8,		\
		       "this_cpu_read/write: field is not 1, 2, 4 or 8 bytes")

#define this_cpu_read(field) ({						\
	__percpu_check_size(field);					\
	__percpu_field_type(field) __v;					\
	asm volatile("mov %%gs:%c1, %0" : "=r"(__v)			\
		     : "i"(offsetof(struct percpu, field)) : "memory");	\
	__v;								\
})

#define this_cpu_write(field, val) do {					\
	__percpu_check_size(field);					\
	__percpu_field_type(field) __v = (val);				\
	asm volatile("mov %0, %%gs:%c1" : : "r"(__v),			\
		     "i"(offsetof(struct percpu, field)) : "memory");	\
} while (0)

#endif
