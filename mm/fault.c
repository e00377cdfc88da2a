/*
 * fault.c - the page-fault handler.
 *
 * CR2 is read by do_trap() before anything else can run: any code that
 * itself page-faults (a trace hook, a vmalloc'ed stack, a printk that
 * touches a not-yet-mapped buffer) would overwrite CR2 and the handler would
 * fix up the wrong address.  Linux lost exactly this race in 2019 ("x86/mm,
 * tracing: Fix CR2 corruption") and since reads CR2 in the entry code.
 *
 * Decision tree for a fault at @address:
 *   user address, user mode       -> handle_mm_fault(); failure: bad_area
 *   user address, kernel mode     -> only legal inside a uaccess routine
 *                                    (exception-table entry): try
 *                                    handle_mm_fault() and retry, else fix up
 *                                    to -EFAULT; anywhere else: oops
 *   kernel address                -> exception fix-up or oops
 *                                    (guard page: "kernel stack overflow")
 */
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/kstack.h"
#include "mm/tlb.h"
#include "kernel/traps.h"
#include "kernel/extable.h"
#include "kernel/catch.h"
#include "kernel/printk.h"
#include "kernel/panic.h"
#include "kernel/errno.h"

struct fault_stats fault_stats;

static bool access_error(u64 error_code, const struct vm_area_struct *vma)
{
	if (error_code & X86_PF_INSTR)
		return !(vma->vm_flags & VM_EXEC);
	if (error_code & X86_PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	/* x86 pages are always readable when present: read needs VM_READ or
	 * any other access right */
	return !(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC));
}

int handle_mm_fault(struct mm_struct *mm, u64 address, u64 error_code)
{
	struct vm_area_struct *vma;
	struct page *page;
	int err;

	if (!mm || mm == &init_mm)
		return -EFAULT;
	vma = find_vma(&mm->vmas, address);
	if (!vma || vma->vm_start > address)
		return -EFAULT;			/* no mapping there */
	if (access_error(error_code, vma))
		return -EACCES;
	if (error_code & X86_PF_PROT)
		return -EACCES;			/* present, and the PTE forbids it */
	page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);	/* demand zero */
	if (!page)
		return -ENOMEM;
	err = map_page(mm, ALIGN_DOWN(address, PAGE_SIZE), page_to_phys(page),
		       vm_flags_to_prot(vma->vm_flags));
	if (err) {
		put_page(page);
		return err;
	}
	mm->rss++;
	fault_stats.demand_zero++;
	return 0;
}

static void __noreturn kernel_oops(struct pt_regs *regs, u64 address)
{
	if (kstack_guard_hit(address))
		printk(KERN_EMERG "BUG: kernel stack overflow: %#lx is a stack guard page\n",
		       (unsigned long)address);
	report_exception(regs, address);
	printk(KERN_ERR "page walk: ");
	dump_page_walk(this_cpu_loaded_mm(), address);	/* what the CPU walked */
	panic("Fatal exception: page fault");
}

/* kernel-mode fault: fix-ups first, test catches second, else oops */
static void no_context(struct pt_regs *regs, u64 address)
{
	if (fixup_exception(regs, address))
		return;
	if (catch_exception_fixup(regs, address))
		return;
	kernel_oops(regs, address);
}

static void bad_area_user(struct pt_regs *regs, u64 address)
{
	/* The ring-3 issue turns this into SIGSEGV for the faulting process. */
	printk(KERN_ERR "segfault at %lx ip %lx sp %lx error %lx\n",
	       (unsigned long)address, (unsigned long)regs->ip,
	       (unsigned long)regs->sp, (unsigned long)regs->error_code);
	panic("user fault with no process to signal");
}

void do_page_fault(struct pt_regs *regs, u64 address)
{
	fault_stats.faults++;
	if (address >= TASK_SIZE_MAX) {		/* kernel half or non-canonical */
		if (user_mode(regs))
			bad_area_user(regs, address);
		else
			no_context(regs, address);
		return;
	}
	if (user_mode(regs)) {
		if (handle_mm_fault(current_mm(), address, regs->error_code))
			bad_area_user(regs, address);
		return;
	}
	/* Kernel touching user memory: only uaccess routines may, and only
	 * those have EX_TYPE_UACCESS entries. */
	{
		const struct exception_table_entry *e = search_exception_tables(regs->ip);

		if (e && e->type == EX_TYPE_UACCESS &&
		    handle_mm_fault(current_mm(), address, regs->error_code) == 0)
			return;			/* mapped now: retry the access */
		if (!e)
			printk(KERN_ERR "BUG: kernel access to user address %#lx outside uaccess\n",
			       (unsigned long)address);
	}
	no_context(regs, address);
}
