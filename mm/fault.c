/*
 * fault.c - the page-fault handler, and the kernel's way into another
 * mm's pages (copy_to_mm/copy_from_mm for exec and fork).
 *
 * CR2 is read by do_trap() before anything else can run: any code that
 * itself page-faults (a trace hook, a vmalloc'ed stack, a printk that
 * touches a not-yet-mapped buffer) would overwrite CR2 and the handler would
 * fix up the wrong address.  Linux lost exactly this race in 2019 ("x86/mm,
 * tracing: Fix CR2 corruption") and since reads CR2 in the entry code.
 *
 * Decision tree for a fault at @address:
 *   user address, user mode       -> handle_mm_fault(); failure: a signal
 *                                    (SIGSEGV MAPERR/ACCERR, SIGBUS, or
 *                                    SIGKILL when out of memory), delivered
 *                                    on the way back to user mode
 *   user address, kernel mode     -> only legal inside a uaccess routine
 *                                    (exception-table entry): try
 *                                    handle_mm_fault() and retry, else fix up
 *                                    to -EFAULT; anywhere else: oops
 *   kernel address                -> user mode: SIGSEGV; kernel mode:
 *                                    exception fix-up or oops
 *                                    (guard page: "kernel stack overflow")
 *
 * What handle_mm_fault() does with a page, once the VMA allows the access:
 *
 *   PTE empty                  -> a new page: zeroed (anonymous) or read
 *                                 from the file (tail past EOF zeroed; a
 *                                 page wholly past EOF is SIGBUS)
 *   present, read-only, write  -> copy-on-write (private VMA): the frame's
 *   fault, VMA writable           _refcount is the number of PTEs mapping
 *                                 it (mm.h); 1 means nobody else sees it,
 *                                 so it is just made writable, else it is
 *                                 copied into a new frame mapped writable,
 *                                 the old PTE flushed, the old frame put
 *   present and allowed        -> a stale TLB entry (another CPU fixed the
 *                                 PTE first): nothing to do, retry
 *
 * Locking: mm->mmap_lock is a sleeping mutex, so the handler turns
 * interrupts back on when the faulting code had them on (the gate turned
 * them off; Linux does the same) and takes the lock; in a context that
 * cannot sleep it only tries, and a busy lock makes the uaccess fail with
 * -EFAULT.  Interrupts go off again before returning to the entry code.
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
#include "kernel/string.h"
#include "kernel/cpu.h"
#include "kernel/irqflags.h"
#include "kernel/preempt.h"
#include "kernel/file.h"
#include "kernel/signal.h"
#include "kernel/process.h"
#include "kernel/timer.h"
#include "sched/sched.h"

struct fault_stats fault_stats;

/* get_user_page()'s flags: Linux's FOLL_* values */
#define FOLL_WRITE	0x01	/* the caller will write: copy a shared page */
#define FOLL_FORCE	0x10	/* ignore the VMA's protection (not its sharing) */

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

/*
 * A fault just below a stack grows it, as far as STACK_RLIMIT below its
 * top and never closer than STACK_GUARD_GAP to the mapping under it
 * (Linux's stack_guard_gap: a large stack frame must not step over the
 * gap into someone else's memory).  The new range merges into the stack.
 */
static bool expand_stack(struct mm_struct *mm, struct vm_area_struct *vma, u64 address)
{
	struct vm_area_struct *prev = vma_prev(&mm->vmas, vma);
	u64 start = ALIGN_DOWN(address, PAGE_SIZE);

	if (!(vma->vm_flags & VM_GROWSDOWN) || start < VMA_MMAP_MIN_ADDR ||
	    vma->vm_end - start > STACK_RLIMIT)
		return false;
	if (prev && (prev->vm_end > start || start - prev->vm_end < STACK_GUARD_GAP))
		return false;
	if (vma_insert(&mm->vmas, start, vma->vm_start, vma->vm_flags))
		return false;
	fault_stats.stack_grow++;
	return true;
}

/* Fill a new frame for @va of a file-backed VMA; false: wholly past EOF. */
static bool read_file_page(struct vm_area_struct *vma, u64 va, struct page *page)
{
	u64 pos = (vma->vm_pgoff + ((va - vma->vm_start) >> PAGE_SHIFT)) << PAGE_SHIFT;
	ssize_t n = kernel_read(vma->vm_file, page_address(page), PAGE_SIZE, pos);

	if (n <= 0)		/* EOF (0) or a read error: SIGBUS, as in Linux */
		return false;
	if (n < PAGE_SIZE)	/* the last page: what lies past EOF reads as 0 */
		memset((char *)page_address(page) + n, 0, PAGE_SIZE - n);
	fault_stats.file_fill++;
	return true;
}

/* Empty PTE: a new page, zeroed or read from the file.  mmap_lock held. */
static enum vm_fault_result do_new_page(struct mm_struct *mm, struct vm_area_struct *vma,
					u64 va, pteval_t *pte, struct page **pagep)
{
	struct page *page = alloc_pages(GFP_KERNEL | (vma->vm_file ? 0 : __GFP_ZERO), 0);

	if (!page)
		return VM_FAULT_OOM;
	if (vma->vm_file && !read_file_page(vma, va, page)) {
		put_page(page);
		return VM_FAULT_SIGBUS;
	}
	if (!vma->vm_file)
		fault_stats.demand_zero++;
	/* an empty slot: no TLB can hold it, so no flush (see pgtable.h) */
	set_pte(mm, pte, page_to_phys(page) | vm_flags_to_prot(vma->vm_flags));
	mm->rss++;
	*pagep = page;
	return VM_FAULT_DONE;
}

/*
 * Break copy-on-write: give this PTE its own copy of a frame other PTEs
 * map too.  The order is the unmap rule (docs/memory.md): the new entry
 * replaces the old, the TLB forgets the old one, and only then is our
 * reference to the old frame dropped - a CPU still translating to it
 * must never write into a frame that may already belong to someone else.
 */
static enum vm_fault_result wp_page_copy(struct mm_struct *mm, struct vm_area_struct *vma,
					 u64 va, pteval_t *pte, struct page **pagep)
{
	pteval_t old = *pte;
	struct page *page = phys_to_page(pte_phys(old)), *copy;
	u64 start_gen = (u64)atomic64_read(&mm->tlb_gen);

	copy = alloc_pages(GFP_KERNEL, 0);
	if (!copy)
		return VM_FAULT_OOM;
	memcpy(page_address(copy), page_address(page), PAGE_SIZE);
	/* a PROT_NONE entry (a forced write from copy_to_mm) stays one */
	set_pte_at(mm, va, pte, page_to_phys(copy) |
		   (pte_present(old) ? vm_flags_to_prot(vma->vm_flags) | _PAGE_DIRTY
				     : old & ~PTE_PFN_MASK));
	if (pte_present(old))
		flush_tlb_mm_range_gen(mm, va, va + PAGE_SIZE, start_gen, false);
	put_page(page);
	fault_stats.cow_copy++;
	*pagep = copy;
	return VM_FAULT_DONE;
}

/*
 * Make the page at @address of @vma present in @mm, and its own if @write.
 * The caller has checked the access against the VMA.  mmap_lock held.
 * *pagep (if not NULL) gets the frame, valid while the lock is held.
 */
static enum vm_fault_result fault_page(struct mm_struct *mm, struct vm_area_struct *vma,
				       u64 address, bool write, bool instr,
				       struct page **pagep)
{
	u64 va = ALIGN_DOWN(address, PAGE_SIZE);
	pteval_t *pte = alloc_user_pte(mm, va), e, want;
	struct page *page, *dummy;

	if (!pagep)
		pagep = &dummy;
	if (!pte)
		return VM_FAULT_OOM;
	e = READ_ONCE(*pte);
	if (!pte_has_page(e))
		return do_new_page(mm, vma, va, pte, pagep);
	page = phys_to_page(pte_phys(e));
	*pagep = page;
	if (write && !(e & _PAGE_RW) && !(vma->vm_flags & VM_SHARED) &&
	    page_ref_count(page) > 1)
		return wp_page_copy(mm, vma, va, pte, pagep);
	if (!pte_present(e))
		return VM_FAULT_DONE;	/* PROT_NONE, forced: use the frame as is */

	/*
	 * The entry may lack a right the VMA grants: a private page whose
	 * sharers are gone (copy-on-write with nobody left to copy for: just
	 * make it writable), or a stale TLB entry.  Only ever add rights here;
	 * adding needs no flush - at worst another CPU takes one spurious
	 * fault, and a fault invalidates the entry it faulted on (SDM Vol. 3A,
	 * "Optional Invalidation").
	 */
	want = vma_page_prot(vma, page);
	if (write && (want & _PAGE_RW) && !(e & _PAGE_RW)) {
		set_pte(mm, pte, e | _PAGE_RW | _PAGE_DIRTY);
		if (!(vma->vm_flags & VM_SHARED))
			fault_stats.cow_reuse++;
	} else if (instr && !(want & _PAGE_NX) && (e & _PAGE_NX)) {
		set_pte(mm, pte, e & ~_PAGE_NX);
	}
	return VM_FAULT_DONE;
}

enum vm_fault_result handle_mm_fault(struct mm_struct *mm, u64 address, u64 error_code)
{
	struct vm_area_struct *vma;

	if (!mm || mm == &init_mm || address >= TASK_SIZE_MAX)
		return VM_FAULT_MAPERR;
	if (error_code & X86_PF_RSVD) {	/* we never set reserved bits */
		pr_err("fault: reserved bit set in a page-table entry for %#lx\n",
		       (unsigned long)address);
		return VM_FAULT_SIGBUS;
	}
	vma = find_vma(&mm->vmas, address);
	if (!vma)
		return VM_FAULT_MAPERR;
	if (vma->vm_start > address && !expand_stack(mm, vma, address))
		return VM_FAULT_MAPERR;
	if (access_error(error_code, vma))
		return VM_FAULT_ACCERR;
	return fault_page(mm, vma, address, error_code & X86_PF_WRITE,
			  error_code & X86_PF_INSTR, NULL);
}

/*
 * The page at @address for a kernel access to @mm (Linux's
 * get_user_pages_remote for one page, without taking a page reference:
 * the frame stays valid while mmap_lock is held).  FOLL_FORCE ignores
 * the VMA's access bits, but a forced write only goes to a mapping that
 * can be copied on write (private, VM_MAYWRITE): never into a shared one.
 */
static enum vm_fault_result get_user_page(struct mm_struct *mm, u64 address,
					  unsigned foll, struct page **pagep)
{
	struct vm_area_struct *vma = find_vma(&mm->vmas, address);
	u64 f;

	if (!vma || vma->vm_start > address)
		return VM_FAULT_MAPERR;
	f = vma->vm_flags;
	if (foll & FOLL_WRITE) {
		if (!(f & VM_WRITE) &&
		    (!(foll & FOLL_FORCE) || (f & (VM_SHARED | VM_MAYWRITE)) != VM_MAYWRITE))
			return VM_FAULT_ACCERR;
	} else if (!(f & VM_READ) && !(foll & FOLL_FORCE)) {
		return VM_FAULT_ACCERR;
	}
	return fault_page(mm, vma, address, foll & FOLL_WRITE, false, pagep);
}

enum vm_fault_result populate_range(struct mm_struct *mm, u64 start, u64 end, bool write)
{
	for (u64 va = start; va < end; va += PAGE_SIZE) {
		enum vm_fault_result r = get_user_page(mm, va, FOLL_FORCE |
						       (write ? FOLL_WRITE : 0), NULL);
		if (r)
			return r;
	}
	return VM_FAULT_DONE;
}

static int fault_errno(enum vm_fault_result r)
{
	return r == VM_FAULT_OOM ? -ENOMEM : -EFAULT;
}

static int access_mm(struct mm_struct *mm, u64 addr, void *buf, const void *src,
		     size_t len)
{
	int err = 0;

	if (addr + len < addr || addr + len > TASK_SIZE_MAX)
		return -EFAULT;
	mutex_lock(&mm->mmap_lock);
	while (len) {
		u64 off = addr & (PAGE_SIZE - 1), n = MIN(len, PAGE_SIZE - off);
		struct page *page;
		enum vm_fault_result r;
		char *kaddr;

		r = get_user_page(mm, addr, FOLL_FORCE | (buf ? 0 : FOLL_WRITE), &page);
		if (r) {
			err = fault_errno(r);
			break;
		}
		kaddr = (char *)page_address(page) + off;
		if (buf)
			memcpy(buf, kaddr, n);
		else if (src)
			memcpy(kaddr, src, n);
		else
			memset(kaddr, 0, n);
		if (buf)
			buf = (char *)buf + n;
		if (src)
			src = (const char *)src + n;
		addr += n;
		len -= n;
	}
	mutex_unlock(&mm->mmap_lock);
	return err;
}

int copy_to_mm(struct mm_struct *mm, u64 addr, const void *src, size_t len)
{
	return access_mm(mm, addr, NULL, src, len);
}

int copy_from_mm(struct mm_struct *mm, u64 addr, void *dst, size_t len)
{
	if (!dst)
		return -EINVAL;
	return access_mm(mm, addr, dst, NULL, len);
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

/* Linux's unhandled_signal(): will this signal kill the task? */
static bool unhandled_signal(int sig)
{
	struct sighand_struct *sh = current->sighand;
	u64 handler;

	if (!sh || sig == SIGKILL)
		return true;
	handler = READ_ONCE(sh->action[sig - 1].handler);	/* a log decision: racy is fine */
	return handler == SIG_DFL || handler == SIG_IGN;
}

/* printk_ratelimit()'s default: 10 messages every 5 seconds */
static bool fault_msg_ratelimit(void)
{
	static u64 window_start, printed;
	u64 now = READ_ONCE(jiffies);

	if (now - window_start >= 5 * (u64)HZ) {
		window_start = now;
		printed = 0;
	}
	return printed++ < 10;
}

/*
 * A user-mode fault the mm cannot resolve becomes a signal to the
 * faulting thread, delivered by exit_to_user_mode() before the IRETQ.
 * Out of memory kills the process (Linux would ask the OOM killer to pick
 * a victim; here the one that asked is the victim).  The log line is
 * Linux's show_signal_msg(): only when the signal will kill, rate-limited,
 * so a program that handles SIGSEGV on purpose stays quiet.
 */
static void bad_area_user(struct pt_regs *regs, u64 address, enum vm_fault_result r)
{
	static const struct { int sig, code; const char *what; } sigs[] = {
		[VM_FAULT_MAPERR] = { SIGSEGV, SEGV_MAPERR, "segfault" },
		[VM_FAULT_ACCERR] = { SIGSEGV, SEGV_ACCERR, "segfault" },
		[VM_FAULT_SIGBUS] = { SIGBUS, BUS_ADRERR, "bus error" },
		[VM_FAULT_OOM]	  = { SIGKILL, SI_KERNEL, "out of memory" },
	};

	if (r == VM_FAULT_DONE || r >= ARRAY_SIZE(sigs))
		r = VM_FAULT_MAPERR;
	if (unhandled_signal(sigs[r].sig) && fault_msg_ratelimit())
		printk(KERN_INFO "%s[%d]: %s at %lx ip %lx sp %lx error %lx\n",
		       current->comm, current->pid, sigs[r].what, (unsigned long)address,
		       (unsigned long)regs->ip, (unsigned long)regs->sp,
		       (unsigned long)regs->error_code);
	fault_stats.signals++;
	force_sig_fault(sigs[r].sig, sigs[r].code, address);
}

/*
 * handle_mm_fault() under mmap_lock, with interrupts on if the faulting
 * code had them on.  Sleeping on the lock is only allowed where the
 * faulting code could have slept; elsewhere only try it.
 */
static enum vm_fault_result fault_locked(struct mm_struct *mm, struct pt_regs *regs,
					 u64 address)
{
	enum vm_fault_result r;

	if (!mm)
		return VM_FAULT_MAPERR;		/* a kernel thread: no user half */
	if (regs->flags & X86_EFLAGS_IF)
		local_irq_enable();
	if (preemptible()) {
		mutex_lock(&mm->mmap_lock);
	} else if (!mutex_trylock(&mm->mmap_lock)) {
		local_irq_disable();
		return VM_FAULT_MAPERR;
	}
	r = handle_mm_fault(mm, address, regs->error_code);
	mutex_unlock(&mm->mmap_lock);
	local_irq_disable();			/* the entry code returns with them off */
	return r;
}

void do_page_fault(struct pt_regs *regs, u64 address)
{
	enum vm_fault_result r;

	fault_stats.faults++;
	if (address >= TASK_SIZE_MAX) {		/* kernel half or non-canonical */
		if (user_mode(regs))
			bad_area_user(regs, address, VM_FAULT_MAPERR);
		else
			no_context(regs, address);
		return;
	}
	if (user_mode(regs)) {
		r = fault_locked(current_mm(), regs, address);
		if (r != VM_FAULT_DONE)
			bad_area_user(regs, address, r);
		return;
	}
	/* Kernel touching user memory: only uaccess routines may, and only
	 * those have EX_TYPE_UACCESS entries. */
	{
		const struct exception_table_entry *e = search_exception_tables(regs->ip);

		if (e && e->type == EX_TYPE_UACCESS &&
		    fault_locked(current_mm(), regs, address) == VM_FAULT_DONE)
			return;			/* mapped now: retry the access */
		if (!e)
			printk(KERN_ERR "BUG: kernel access to user address %#lx outside uaccess\n",
			       (unsigned long)address);
	}
	no_context(regs, address);
}
