/*
 * mm.h - address spaces (struct mm_struct) and their two reference counts.
 *
 * An mm_struct is one address space: a PML4 (pgd) whose upper half (entries
 * 256..511) is shared by every mm and maps the kernel, a VMA set describing
 * the user half, and the counters the TLB code uses.
 *
 * THE TWO COUNTS (Linux's meaning; later issues depend on exactly this):
 *
 *   mm_users  - how many users of the *address space*: threads sharing it,
 *               and temporary users (e.g. a kernel thread doing I/O into it
 *               with mmget()).  mmput() drops one; at 0 the user half is
 *               torn down (exit_mmap: VMAs, pages, user page tables), since
 *               nobody can run in it or access it any more.
 *
 *   mm_count  - how many references to the *struct itself*.  All mm_users
 *               together hold ONE mm_count.  Others are held by whoever
 *               must keep the struct and its pgd alive without using the
 *               address space: a kernel thread that lazily keeps the last
 *               user mm loaded in CR3 (lazy TLB, scheduler issue), a CPU
 *               whose TLB may still hold its entries, and later the PASID
 *               (mmgrab when the PASID is attached, mmdrop when the mm is
 *               freed - seed 001).  mmdrop() drops one; at 0 the pgd page
 *               and the struct are freed.
 *
 *   Why two: after the last thread exits (mm_users = 0) a CPU may still run
 *   a kernel thread with this pgd in CR3.  The user mappings can go, but the
 *   pgd must stay valid until that CPU switches away and calls mmdrop().
 *
 * Invariant: mm_count >= 1 while mm_users > 0; the kernel half of the pgd
 * is never freed (it belongs to init_mm); init_mm is never dropped.
 *
 * THE USER HALF (docs/memory.md has the picture):
 *
 *   [VMA_MMAP_MIN_ADDR, TASK_SIZE_MAX)  everything a program can map
 *   start_brk .. brk                     the heap (brk(2)); exec sets both
 *                                        to the page after the bss
 *   mmap_base                            top-down mmap search starts here
 *   start_stack                          top of the main thread's stack,
 *                                        a VM_GROWSDOWN VMA under it
 *
 * mmap_lock (a sleeping mutex; Linux's is an rwsem) serialises everything
 * that reads or changes the VMA set or the user page tables of this mm:
 * the system calls, the fault handler, dup_mm (on the parent), copy_to_mm.
 * The do_*() and vm_*() functions below take it themselves; functions
 * documented "mmap_lock held" expect the caller to.  Never touch user
 * memory (copy_*_user) while holding it: the fault would take it again.
 *
 * PAGE REFERENCES: a user frame's _refcount is the number of PTEs that map
 * it, in any mm (fork shares frames; see mm/fork.c).  A PTE "maps" a frame
 * when it is present, or when it is a PROT_NONE entry (_PAGE_PROTNONE
 * below): mm->rss counts both kinds.  So put_page() of the last PTE frees
 * the frame, and a private page whose count is 1 belongs to this PTE alone
 * and may be written in place instead of copied.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/atomic.h"
#include "mm/pgtable.h"
#include "mm/vma.h"
#include "mm/page_alloc.h"
#include "sched/mutex.h"

struct file;

struct mm_struct {
	pteval_t *pgd;			/* PML4, by its direct-map address */
	struct vma_set vmas;		/* the user half's regions */
	atomic_t mm_users;
	atomic_t mm_count;
	atomic64_t tlb_gen;		/* bumped by every change to a present PTE */
	atomic64_t tlb_gen_done;	/* every CPU flushed up to here (mm/tlb.c) */
	u64 context_id;			/* unique, never reused (Linux: ctx_id) */
	u64 nr_ptes;			/* page-table pages of the user half */
	u64 rss;			/* user pages mapped (resident set) */
	const char *name;		/* for reports */

	struct mutex mmap_lock;		/* see THE USER HALF above */
	u64 start_brk, brk;		/* the heap: [start_brk, PAGE_ALIGN(brk)) */
	u64 mmap_base;			/* top of the top-down mmap search */
	u64 start_stack;		/* top of the main stack (exec) */
	u64 arg_start, arg_end;		/* argv strings, for exec's and /proc's use */
	u64 env_start, env_end;		/* envp strings */
};

extern struct mm_struct init_mm;	/* the kernel's own address space */

struct mm_struct *mm_alloc(void);
void mmget(struct mm_struct *mm);
void mmput(struct mm_struct *mm);
void mmgrab(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);
u64 mm_live_count(void);		/* allocated mm_structs, for leak checks */

/* ------------------------------------------------ Linux's user ABI values */

#define PROT_NONE	0x0
#define PROT_READ	0x1
#define PROT_WRITE	0x2
#define PROT_EXEC	0x4
#define PROT_SEM	0x8		/* accepted, no effect (as on x86 Linux) */
#define PROT_GROWSDOWN	0x01000000	/* mprotect: extend to the stack's start */
#define PROT_GROWSUP	0x02000000	/* never valid on x86 */

#define MAP_SHARED		0x01
#define MAP_PRIVATE		0x02
#define MAP_SHARED_VALIDATE	0x03	/* MAP_SHARED, unknown flags -EOPNOTSUPP */
#define MAP_TYPE		0x0f
#define MAP_FIXED		0x10
#define MAP_ANONYMOUS		0x20
#define MAP_32BIT		0x40	/* place below 2 GiB */
#define MAP_GROWSDOWN		0x0100
#define MAP_DENYWRITE		0x0800	/* ignored, as in Linux */
#define MAP_EXECUTABLE		0x1000	/* ignored, as in Linux */
#define MAP_LOCKED		0x2000	/* prefaults, like MAP_POPULATE */
#define MAP_NORESERVE		0x4000	/* accepted: nothing is reserved anyway */
#define MAP_POPULATE		0x8000
#define MAP_NONBLOCK		0x10000
#define MAP_STACK		0x20000	/* accepted, no effect */
#define MAP_HUGETLB		0x40000	/* no huge pages here: -ENOMEM */
#define MAP_SYNC		0x80000
#define MAP_FIXED_NOREPLACE	0x100000
#define MAP_UNINITIALIZED	0x4000000

#define MADV_NORMAL	0
#define MADV_RANDOM	1
#define MADV_SEQUENTIAL	2
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_FREE	8
#define MADV_DONTDUMP	16
#define MADV_DODUMP	17

/*
 * Linux's default RLIMIT_STACK: how far the main stack may grow down from
 * its top, and stack_guard_gap: how close below a stack another mapping
 * may come (mmap's hint, brk and the stack's own growth keep it free).
 */
#define STACK_RLIMIT		(8UL << 20)
#define STACK_GUARD_GAP		(256UL << PAGE_SHIFT)

/*
 * A PROT_NONE page that has a frame: present bit clear (so every access
 * faults, user or kernel), the frame address kept, and this software bit
 * (ignored by the CPU in a not-present entry: SDM Vol. 3A, "Paging-
 * Structure Entries") to tell it from an empty slot.  Linux does the same
 * with _PAGE_PROTNONE.  Only VMAs without access bits have such entries;
 * mprotect turns them back into present ones.  pgtable.c's map_page/
 * unmap_range/protect_range/follow_pte treat them as empty: mm/ code uses
 * zap_page_range() and change_protection() instead.
 */
#define _PAGE_PROTNONE	BIT(9)

static inline bool pte_has_page(pteval_t e)
{
	return pte_present(e) || (e & _PAGE_PROTNONE);
}

static inline int page_ref_count(const struct page *page)
{
	return __atomic_load_n(&page->_refcount, __ATOMIC_SEQ_CST);
}

/* ------------------------------------------- user mappings (mm/mmap.c) */

/*
 * The system calls' bodies, callable from the kernel on any mm (the
 * syscalls in mm/mm_syscalls.c pass current->mm).  Each takes mmap_lock.
 * Arguments, checks, order of checks and errors are Linux's; the few
 * deviations are listed in docs/memory.md.
 *
 * vm_mmap: mmap(2) with the fd already turned into @file (NULL for
 *	MAP_ANONYMOUS; the VMA takes its own reference).  @off in bytes.
 *	Returns the address or -errno.
 * do_munmap: munmap(2).  do_mprotect: mprotect(2).  do_madvise: madvise(2).
 * do_brk: brk(2): the new break, or the old one if it cannot move.
 * do_mmap_anon: the older kernel helper, MAP_PRIVATE|MAP_ANONYMOUS with
 *	or without MAP_FIXED.
 */
long vm_mmap(struct mm_struct *mm, struct file *file, u64 addr, u64 len,
	     unsigned long prot, unsigned long flags, u64 off);
long do_mmap_anon(struct mm_struct *mm, u64 addr, u64 len, int prot, bool fixed);
int do_munmap(struct mm_struct *mm, u64 addr, u64 len);
int do_mprotect(struct mm_struct *mm, u64 addr, u64 len, unsigned long prot);
int do_madvise(struct mm_struct *mm, u64 start, u64 len, int advice);
u64 do_brk(struct mm_struct *mm, u64 brk);

/*
 * For exec, on a new mm nobody runs in yet:
 *
 * setup_stack_vma: the main stack, [top - size, top), read-write, not
 *	executable, VM_GROWSDOWN: a fault below it grows it down to
 *	STACK_RLIMIT below top.  Sets mm->start_stack = top (exec may move
 *	it to the final stack pointer).  top and size page-aligned.
 *	0, -EINVAL, -EEXIST (overlaps), -ENOMEM.
 * copy_to_mm (mm/fault.c): write len bytes at addr in mm (src NULL writes
 *	zeros, e.g. the bss part of the last file page), whatever the
 *	pages' protection (Linux's access_process_vm with FOLL_FORCE):
 *	pages are faulted in, a copy-on-write page is copied first, so no
 *	other mm sees the write.  Writes through the direct map: mm need
 *	not be loaded.  0, or -EFAULT (no VMA, or beyond the end of a
 *	mapped file), -ENOMEM.  Partial writes may have happened on error.
 * copy_from_mm: the reverse (reads, never copies a page).
 *
 * Exec's ELF segments are vm_mmap(mm, file, ..., MAP_PRIVATE | MAP_FIXED,
 * offset) calls, the bss an anonymous one; afterwards exec sets
 * mm->start_brk = mm->brk = PAGE_ALIGN(end of the bss) and may lower
 * mm->mmap_base.  Nothing else of mm_struct needs to be touched.
 */
int setup_stack_vma(struct mm_struct *mm, u64 top, u64 size);
int copy_to_mm(struct mm_struct *mm, u64 addr, const void *src, size_t len);
int copy_from_mm(struct mm_struct *mm, u64 addr, void *dst, size_t len);

/* fork (mm/fork.c): a copy-on-write copy of old, or NULL (nothing leaked) */
struct mm_struct *dup_mm(struct mm_struct *old);

/*
 * Page-table helpers of mm/ (mmap_lock held).  vm_flags_to_prot: the PTE
 * bits a page of a VMA with these flags gets (a _PAGE_PROTNONE entry for
 * no access).  zap_page_range: unmap [start, end) - present and PROT_NONE
 * entries - flush, drop the frames.  change_protection: give the mapped
 * pages of [start, end) in vma the VMA's current protection, keeping
 * private pages shared with another mm read-only; flushes.
 * walk_user_ptes: fn(mm, pte, va, arg) for every PTE slot of [start, end)
 * whose page table exists (holes skipped a table at a time); a non-zero
 * return stops the walk and is returned.  alloc_user_pte: the PTE slot for
 * va, allocating page tables; NULL when out of memory.
 */
pteval_t vm_flags_to_prot(u64 vm_flags);
void zap_page_range(struct mm_struct *mm, u64 start, u64 end);
void change_protection(struct mm_struct *mm, struct vm_area_struct *vma,
		       u64 start, u64 end);
typedef int (*pte_fn_t)(struct mm_struct *mm, pteval_t *pte, u64 va, void *arg);
int walk_user_ptes(struct mm_struct *mm, u64 start, u64 end, pte_fn_t fn, void *arg);
pteval_t *alloc_user_pte(struct mm_struct *mm, u64 va);

/* The PTE bits for @page in @vma: a private page that another PTE also
 * maps stays read-only until a write fault gives this PTE its own copy. */
static inline pteval_t vma_page_prot(const struct vm_area_struct *vma,
				     const struct page *page)
{
	pteval_t prot = vm_flags_to_prot(vma->vm_flags);

	if ((prot & _PAGE_RW) && !(vma->vm_flags & VM_SHARED) && page_ref_count(page) > 1)
		prot &= ~_PAGE_RW;
	return prot;
}

/* ---------------------------------------------- page faults (mm/fault.c) */

struct fault_stats {
	u64 faults;
	u64 demand_zero;
	u64 file_fill;		/* pages read from a mapped file */
	u64 cow_copy;		/* write to a shared private page: copied */
	u64 cow_reuse;		/* ... whose other users were gone: made writable */
	u64 stack_grow;
	u64 signals;		/* user faults turned into signals */
};
extern struct fault_stats fault_stats;

/*
 * handle_mm_fault's results.  The names say what the caller does; Linux
 * has VM_FAULT_SIGBUS and VM_FAULT_OOM as bits of its vm_fault_t and
 * decides MAPERR/ACCERR before calling it - here one call answers all.
 */
enum vm_fault_result {
	VM_FAULT_DONE = 0,	/* mapped (or already was): retry the access */
	VM_FAULT_MAPERR,	/* no VMA there: SIGSEGV, SEGV_MAPERR */
	VM_FAULT_ACCERR,	/* the VMA forbids this access: SIGSEGV, SEGV_ACCERR */
	VM_FAULT_SIGBUS,	/* file-backed page beyond the end of the file */
	VM_FAULT_OOM,		/* no memory for the page or a page table */
};

struct pt_regs;
void do_page_fault(struct pt_regs *regs, u64 address);
/* mmap_lock held; @error_code as the CPU pushes it (X86_PF_*) */
enum vm_fault_result handle_mm_fault(struct mm_struct *mm, u64 address, u64 error_code);
/*
 * mmap_lock held: fault every page of [start, end) in, whatever the VMAs'
 * protection (a page of a PROT_NONE VMA gets a PROT_NONE entry); @write:
 * give each private page its own frame now (MAP_POPULATE of a writable
 * private mapping, as Linux does, so no later fault copies it).
 */
enum vm_fault_result populate_range(struct mm_struct *mm, u64 start, u64 end, bool write);

/* the mm whose user half this CPU can currently access (mm/tlb.c) */
struct mm_struct *current_mm(void);

#endif
