/*
 * tlb_test.c - in-kernel tests of the ASID and shootdown rules, checked
 * by the TLB model (tlbcheck=on; they skip without it).  Each builds the
 * situation a historical bug breaks and asks the model whether the PCID
 * this CPU runs under may still hold a translation the page tables no
 * longer have:
 *   - a slot that still holds the mm but missed edits must be flushed
 *     when the mm comes back (BUG=asid-stale-noflush);
 *   - an unmap must reach another CPU that runs the mm
 *     (BUG=no-remote-flush);
 *   - with PTI, a flush done under the kernel CR3 must reach the user
 *     PCID by the next exit to ring 3 (BUG=user-asid-flush-skip).
 * The ring-3 side (user/tests/tlb.c) races real threads.
 */
#include "kernel/ktest.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/smp.h"
#include "mm/mm.h"
#include "mm/tlb.h"
#include "mm/uaccess.h"
#include "mm/leakcheck.h"
#include "sched/sched.h"

#define TA	0x400000UL

KTEST(tlb_stale_asid_slot_is_flushed)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	u64 v = 0x1111;
	bool clean;

	if (!tlb_checking())
		KSKIP("needs tlbcheck=on");
	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm);
	KEXPECT_EQ(do_mmap_anon(mm, TA, PAGE_SIZE, PROT_READ | PROT_WRITE, true), (long)TA);
	use_mm(mm);				/* a slot on this CPU now holds mm */
	KEXPECT(copy_to_user((void *)TA, &v, sizeof(v)) == 0);
	unuse_mm(mm);
	/* edited while loaded nowhere: no IPI, only the generation moves */
	KEXPECT_EQ(do_munmap(mm, TA, PAGE_SIZE), 0);
	KEXPECT_EQ(do_mmap_anon(mm, TA, PAGE_SIZE, PROT_READ | PROT_WRITE, true), (long)TA);
	preempt_disable();
	use_mm(mm);				/* the same slot: must flush */
	clean = tlb_check_mm(mm);
	preempt_enable();
	if (!clean)
		ktest_fail(t, __FILE__, __LINE__,
			   "stale ASID slot reused without a flush (see the model's report)");
	v = 0;
	KEXPECT(copy_from_user(&v, (void *)TA, sizeof(v)) == 0);
	KEXPECT_EQ(v, 0);			/* the new, zeroed page */
	unuse_mm(mm);
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

struct remote_reader {
	struct mm_struct *mm;
	volatile int phase;		/* 0 start, 1 reading, 2 unmapped, 3 done */
	bool clean;
};

static int remote_reader_fn(void *data)
{
	struct remote_reader *r = data;
	u64 v;

	use_mm(r->mm);
	copy_from_user(&v, (void *)TA, sizeof(v));	/* the TLB has it now */
	r->phase = 1;
	while (r->phase == 1)
		cpu_relax();
	preempt_disable();
	r->clean = tlb_check_mm(r->mm);			/* still running the mm */
	preempt_enable();
	unuse_mm(r->mm);
	r->phase = 3;
	return 0;
}

KTEST(tlb_unmap_reaches_other_cpu)
{
	struct remote_reader r = { 0 };
	struct task_struct *p;
	u64 v = 0x2222;
	int cpu;

	if (!tlb_checking())
		KSKIP("needs tlbcheck=on");
	if (num_online_cpus() < 2)
		KSKIP("needs two CPUs");
	cpu = smp_processor_id() == 0 ? 1 : 0;
	r.mm = mm_alloc();
	KASSERT(r.mm);
	KEXPECT_EQ(do_mmap_anon(r.mm, TA, PAGE_SIZE, PROT_READ | PROT_WRITE, true), (long)TA);
	use_mm(r.mm);
	KEXPECT(copy_to_user((void *)TA, &v, sizeof(v)) == 0);
	p = kthread_run_on_cpu(remote_reader_fn, &r, cpu, "tlb-reader");
	KASSERT(p);
	while (r.phase != 1)
		cpu_relax();
	KEXPECT_EQ(do_munmap(r.mm, TA, PAGE_SIZE), 0);	/* must IPI the reader's CPU */
	r.phase = 2;
	kthread_join(p);
	if (!r.clean)
		ktest_fail(t, __FILE__, __LINE__,
			   "cpu%d still runs the mm with the unmapped page in its TLB", cpu);
	unuse_mm(r.mm);
	mmput(r.mm);
}

/*
 * PTI: the unmap runs in the kernel, under the kPCID; INVLPG cannot reach
 * the uPCID twin, which ring 3 will use.  Either INVPCID flushed it
 * directly or the pending bit makes the exit's user-CR3 write flush it.
 * Two exits are checked: the first after the mm got a new slot (the
 * slot's uPCID may hold a previous mm), the second after the unmap.
 */
KTEST(tlb_pending_user_flush_consumed)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	u64 v = 0x3333;
	bool first, second;

	if (!tlb_checking())
		KSKIP("needs tlbcheck=on");
	if (!tlb_user_pcids())
		KSKIP("needs pti=on and PCIDs (native or virtual)");
	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm);
	KEXPECT_EQ(do_mmap_anon(mm, TA, PAGE_SIZE, PROT_READ | PROT_WRITE, true), (long)TA);
	use_mm(mm);
	KEXPECT(copy_to_user((void *)TA, &v, sizeof(v)) == 0);
	preempt_disable();
	first = tlb_check_user_exit(mm);
	preempt_enable();
	KEXPECT_EQ(do_munmap(mm, TA, PAGE_SIZE), 0);	/* INVLPG: the kPCID only */
	preempt_disable();
	second = tlb_check_user_exit(mm);
	preempt_enable();
	if (!first || !second)
		ktest_fail(t, __FILE__, __LINE__,
			   "user PCID kept stale entries: the exit skipped its pending flush");
	unuse_mm(mm);
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}
