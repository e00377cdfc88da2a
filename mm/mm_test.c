/*
 * mm_test.c - in-kernel tests of the memory system: allocator exhaustion,
 * address spaces and their reference counts, demand paging, user copies,
 * guard pages, and the CPU protections (WP, NX, SMEP, SMAP).
 *
 * Every test that allocates compares mem_snapshot() before and after:
 * frames, heap bytes and objects, live mm_structs and kernel stacks must
 * all come back to where they were.
 */
#include "kernel/ktest.h"
#include "kernel/catch.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cpufeature.h"
#include "kernel/traps.h"
#include "kernel/kallsyms.h"
#include "kernel/errno.h"
#include "kernel/cpu.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/tlb.h"
#include "mm/kstack.h"
#include "mm/uaccess.h"
#include "mm/leakcheck.h"

#define TEST_ADDR	0x400000UL

KTEST(page_alloc_exhaust_and_restore)
{
	u64 before = nr_free_pages(), n = 0;
	void *head = NULL, *p;

	/* chain the pages through their own first word: no extra memory */
	while ((p = get_free_pages(GFP_KERNEL, 0)) != NULL) {
		*(void **)p = head;
		head = p;
		n++;
	}
	KEXPECT_EQ(n, before);
	KEXPECT_EQ(nr_free_pages(), 0);
	KEXPECT(alloc_pages(GFP_KERNEL, 0) == NULL);	/* NULL, not a panic */
	while (head) {
		p = *(void **)head;
		free_page(head);
		head = p;
	}
	KEXPECT_EQ(nr_free_pages(), before);
	KEXPECT(zone_check(&mem_zone));
}

KTEST(page_alloc_orders)
{
	struct mem_snapshot a, b;
	struct page *pg[MAX_ORDER + 1];

	mem_snapshot(&a);
	for (unsigned o = 0; o <= MAX_ORDER; o++) {
		pg[o] = alloc_pages(GFP_KERNEL | __GFP_ZERO, o);
		KASSERT(pg[o] != NULL);
		KEXPECT_EQ(page_to_pfn(pg[o]) & ((1UL << o) - 1), 0);	/* aligned */
		KEXPECT_EQ(((u8 *)page_address(pg[o]))[(PAGE_SIZE << o) - 1], 0);
	}
	KEXPECT(alloc_pages(GFP_KERNEL, MAX_ORDER + 1) == NULL);
	for (unsigned o = 0; o <= MAX_ORDER; o++)
		__free_pages(pg[o], o);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(kmalloc_sizes_and_leaks)
{
	static const size_t sizes[] = { 1, 8, 16, 17, 100, 512, 2048, 2049, 4096, 65536 };
	struct mem_snapshot a, b;
	void *p[ARRAY_SIZE(sizes)];

	mem_snapshot(&a);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kzalloc(sizes[i], GFP_KERNEL);
		KASSERT(p[i] != NULL);
		KEXPECT(ksize(p[i]) >= sizes[i]);
		KEXPECT_EQ(((u8 *)p[i])[sizes[i] - 1], 0);
		memset(p[i], 0xa5, sizes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		kfree(p[i]);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(kfree_bad_pointers_reported)
{
	static char not_heap[64];
	void *p = kmalloc(64, GFP_KERNEL), *page = get_zeroed_page(GFP_KERNEL);
	u64 pos = log_pos(), errors = slab_get_stats().errors;

	KASSERT(p != NULL && page != NULL);
	kfree(p);
	kfree(p);				/* double free */
	kfree(not_heap);			/* kernel image, not the heap */
	kfree((char *)page + 8);		/* a page, but not a slab */
	KEXPECT(log_contains_since(pos, "double free"));
	KEXPECT_EQ(slab_get_stats().errors, errors + 3);
	free_page(page);
}

KTEST(mm_refcounts)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	u64 live;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	live = mm_live_count();
	KEXPECT_EQ(atomic_read(&mm->mm_users), 1);
	KEXPECT_EQ(atomic_read(&mm->mm_count), 1);
	KEXPECT(do_mmap_anon(mm, TEST_ADDR, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, true) > 0);
	use_mm(mm);				/* mm_users 2, mm_count 2 (CR3) */
	KEXPECT(copy_to_user((void *)TEST_ADDR, "x", 1) == 0);
	KEXPECT_EQ(mm->rss, 1);
	KEXPECT_EQ(atomic_read(&mm->mm_users), 2);
	KEXPECT_EQ(atomic_read(&mm->mm_count), 2);
	mmgrab(mm);				/* like a lazy-TLB kernel thread */
	unuse_mm(mm);
	mmput(mm);				/* last user: user half torn down */
	KEXPECT_EQ(atomic_read(&mm->mm_users), 0);
	KEXPECT_EQ(mm->rss, 0);
	KEXPECT_EQ(mm->nr_ptes, 0);
	KEXPECT_EQ(mm_live_count(), live);	/* struct still alive */
	mmdrop(mm);				/* last reference: freed */
	KEXPECT_EQ(mm_live_count(), live - 1);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(mm_map_unmap_protect)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	char buf[16] = { 0 };
	phys_addr_t pa;
	pteval_t flags;
	s64 gen;

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT_EQ(do_mmap_anon(mm, TEST_ADDR, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, true),
		   (long)TEST_ADDR);
	use_mm(mm);
	KEXPECT(follow_pte(mm, TEST_ADDR, NULL, NULL) < 0);	/* lazy */
	KEXPECT(copy_to_user((void *)(TEST_ADDR + PAGE_SIZE - 2), "hello", 6) == 0);
	KEXPECT_EQ(mm->rss, 2);				/* straddled two pages */
	KEXPECT(copy_from_user(buf, (void *)(TEST_ADDR + PAGE_SIZE - 2), 6) == 0);
	KEXPECT(!strcmp(buf, "hello"));
	KASSERT(follow_pte(mm, TEST_ADDR, &pa, &flags) == 0);
	KEXPECT((flags & (_PAGE_USER | _PAGE_RW | _PAGE_NX)) == (_PAGE_USER | _PAGE_RW | _PAGE_NX));

	gen = atomic64_read(&mm->tlb_gen);
	KEXPECT_EQ(do_mprotect(mm, TEST_ADDR, PAGE_SIZE, PROT_READ), 0);
	KEXPECT(atomic64_read(&mm->tlb_gen) > gen);	/* present PTE changed */
	KASSERT(follow_pte(mm, TEST_ADDR, NULL, &flags) == 0);
	KEXPECT(!(flags & _PAGE_RW));
	KEXPECT(copy_to_user((void *)TEST_ADDR, "no", 2) != 0);	/* read-only now */
	KEXPECT(copy_to_user((void *)(TEST_ADDR + PAGE_SIZE), "ok", 2) == 0);
	KEXPECT_EQ(mm->vmas.count, 2);			/* split by mprotect */

	KEXPECT_EQ(do_munmap(mm, TEST_ADDR, PAGE_SIZE), 0);
	KEXPECT(follow_pte(mm, TEST_ADDR, NULL, NULL) < 0);
	KEXPECT(copy_from_user(buf, (void *)TEST_ADDR, 1) != 0);	/* no VMA */
	KEXPECT_EQ(mm->rss, 1);
	KEXPECT_EQ(do_munmap(mm, TEST_ADDR + 1, PAGE_SIZE), -EINVAL);
	KEXPECT_EQ(do_mmap_anon(mm, TEST_ADDR, 0, PROT_READ, true), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, TEST_ADDR, PAGE_SIZE, 0x80), -EINVAL);
	KEXPECT_EQ(do_mprotect(mm, TEST_ADDR, PAGE_SIZE, PROT_READ), -ENOMEM);	/* hole */
	unuse_mm(mm);
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

KTEST(uaccess_faults_return_efault)
{
	struct mem_snapshot a, b;
	struct mm_struct *mm;
	char buf[32];
	static char kernel_secret[8] = "secret";

	mem_snapshot(&a);
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT(do_mmap_anon(mm, TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE, true) > 0);
	use_mm(mm);
	/* unmapped user address */
	KEXPECT_EQ(copy_from_user(buf, (void *)0x10000000, 8), 8);
	/* kernel address passed as a user pointer: refused before any access */
	KEXPECT_EQ(copy_from_user(buf, kernel_secret, 8), 8);
	KEXPECT_EQ(copy_to_user(kernel_secret, "pwned", 6), 6);
	KEXPECT(!strcmp(kernel_secret, "secret"));
	/* non-canonical and wrapping ranges */
	KEXPECT_EQ(copy_from_user(buf, (void *)0x0000800000000000UL, 1), 1);
	KEXPECT_EQ(copy_from_user(buf, (void *)(TASK_SIZE_MAX - 4), 8), 8);
	KEXPECT_EQ(copy_from_user(buf, (void *)~7UL, 8), 8);	/* would wrap */
	/* straddling into an unmapped page: a partial copy */
	KEXPECT_EQ(copy_to_user((void *)(TEST_ADDR + PAGE_SIZE - 4), "abcdefgh", 8), 4);
	KEXPECT_EQ(copy_from_user(buf, (void *)(TEST_ADDR + PAGE_SIZE - 4), 8), 4);
	KEXPECT(!memcmp(buf, "abcd\0\0\0\0", 8));	/* rest zero-filled */
	/* strings */
	KEXPECT_EQ(strncpy_from_user(buf, (void *)0x10000000, 8), -EFAULT);
	KEXPECT_EQ(strncpy_from_user(buf, kernel_secret, 8), -EFAULT);
	KEXPECT(copy_to_user((void *)TEST_ADDR, "path", 5) == 0);
	KEXPECT_EQ(strncpy_from_user(buf, (void *)TEST_ADDR, sizeof(buf)), 4);
	KEXPECT(!strcmp(buf, "path"));
	KEXPECT_EQ(strncpy_from_user(buf, (void *)TEST_ADDR, 2), 2);	/* no NUL */
	KEXPECT(copy_to_user((void *)(TEST_ADDR + PAGE_SIZE - 3), "abc", 3) == 0);
	KEXPECT_EQ(strncpy_from_user(buf, (void *)(TEST_ADDR + PAGE_SIZE - 3), 16), -EFAULT);
	KEXPECT_EQ(clear_user((void *)TEST_ADDR, 4), 0);
	KEXPECT_EQ(clear_user((void *)(TEST_ADDR + PAGE_SIZE - 2), 4), 2);
	unuse_mm(mm);
	mmput(mm);
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

/* Recurses until it hits the guard page; @arg is never the stop value,
 * the check only keeps the compiler from proving the recursion infinite. */
static __attribute__((noipa)) void eat_stack(void *arg)
{
	volatile char pad[512];

	pad[0] = 1;
	if (arg == (void *)eat_stack)
		return;
	eat_stack(arg);
	pad[1] = pad[0];		/* not a tail call */
}

KTEST(kstack_guard_catches_overflow)
{
	struct mem_snapshot a, b;
	struct catch_info info;
	void *stack;
	u64 pos;
	int vec;

	/* the first stack ever also creates the stack area's page tables,
	 * which stay (kernel tables are never freed): warm up first */
	free_kernel_stack(alloc_kernel_stack());
	mem_snapshot(&a);
	stack = alloc_kernel_stack();
	KASSERT(stack != NULL);
	pos = log_pos();
	vec = catch_exception(eat_stack, NULL, (char *)stack + THREAD_SIZE, &info);
	KEXPECT_EQ(vec, X86_TRAP_DF);
	KEXPECT(log_contains_since(pos, "BUG: kernel stack overflow"));
	KEXPECT(info.sp >= (u64)stack - PAGE_SIZE && info.sp < (u64)stack + 64);
	free_kernel_stack(stack);
	free_kernel_stack(stack);			/* refused, reported */
	KEXPECT(log_contains_since(pos, "freed twice"));
	free_kernel_stack(NULL);			/* not stacks: refused */
	free_kernel_stack((char *)stack + 8);
	free_kernel_stack(&info);
	KEXPECT(log_contains_since(pos, "is not a kernel stack"));
	mem_snapshot(&b);
	KEXPECT(mem_snapshot_same(&a, &b));
}

static void write_text(void *arg)
{
	*(volatile u8 *)arg = 0x90;
}

KTEST(wp_kernel_text_is_read_only)
{
	struct catch_info info;
	u8 *text = (u8 *)kallsyms_lookup_name("kmain");
	u8 before = *text;

	KEXPECT_EQ(catch_exception(write_text, text, NULL, &info), X86_TRAP_PF);
	KEXPECT_EQ(info.error_code & (X86_PF_PROT | X86_PF_WRITE), X86_PF_PROT | X86_PF_WRITE);
	KEXPECT_EQ(info.cr2, (u64)text);
	KEXPECT_EQ(*text, before);
}

KTEST(wp_rodata_is_read_only)
{
	static const char ro[8] = "ro";
	struct catch_info info;

	KEXPECT_EQ(catch_exception(write_text, (void *)ro, NULL, &info), X86_TRAP_PF);
	KEXPECT(!strcmp(ro, "ro"));
}

static void call_it(void *fn)
{
	((void (*)(void))fn)();
}

KTEST(nx_data_is_not_executable)
{
	static u8 code[16] = { 0xc3 };		/* ret, in .data */
	struct catch_info info;

	KEXPECT_EQ(catch_exception(call_it, code, NULL, &info), X86_TRAP_PF);
	KEXPECT(info.error_code & X86_PF_INSTR);
	KEXPECT_EQ(info.ip, (u64)code);
}

KTEST(smep_blocks_user_code)
{
	struct mm_struct *mm;
	struct catch_info info;

	if (!(read_cr4() & X86_CR4_SMEP))
		KSKIP("no SMEP on this CPU");
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT(do_mmap_anon(mm, TEST_ADDR, PAGE_SIZE,
			     PROT_READ | PROT_WRITE | PROT_EXEC, true) > 0);
	use_mm(mm);
	KEXPECT(copy_to_user((void *)TEST_ADDR, "\xc3", 1) == 0);	/* ret */
	KEXPECT_EQ(catch_exception(call_it, (void *)TEST_ADDR, NULL, &info), X86_TRAP_PF);
	KEXPECT_EQ(info.error_code & (X86_PF_PROT | X86_PF_INSTR), X86_PF_PROT | X86_PF_INSTR);
	KEXPECT_EQ(info.ip, TEST_ADDR);
	unuse_mm(mm);
	mmput(mm);
}

static void read_user(void *p)
{
	(void)*(volatile u8 *)p;
}

KTEST(smap_blocks_plain_user_access)
{
	struct mm_struct *mm;
	struct catch_info info;
	u64 pos;

	if (!smap_enabled)
		KSKIP("no SMAP on this CPU");
	mm = mm_alloc();
	KASSERT(mm != NULL);
	KEXPECT(do_mmap_anon(mm, TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE, true) > 0);
	use_mm(mm);
	KEXPECT(copy_to_user((void *)TEST_ADDR, "x", 1) == 0);	/* via uaccess: fine */
	pos = log_pos();
	KEXPECT_EQ(catch_exception(read_user, (void *)TEST_ADDR, NULL, &info), X86_TRAP_PF);
	KEXPECT(info.error_code & X86_PF_PROT);
	KEXPECT(log_contains_since(pos, "kernel access to user address"));
	unuse_mm(mm);
	mmput(mm);
}

KTEST(set_pte_counts_generations)
{
	struct mm_struct *mm = mm_alloc();
	s64 gen;

	KASSERT(mm != NULL);
	gen = atomic64_read(&mm->tlb_gen);
	KEXPECT_EQ(do_mmap_anon(mm, TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE, true),
		   (long)TEST_ADDR);
	use_mm(mm);
	KEXPECT(clear_user((void *)TEST_ADDR, 8) == 0);	/* fills empty slots only */
	KEXPECT_EQ(atomic64_read(&mm->tlb_gen), gen);
	KEXPECT_EQ(do_munmap(mm, TEST_ADDR, PAGE_SIZE), 0);	/* removes a present PTE */
	KEXPECT(atomic64_read(&mm->tlb_gen) > gen);
	unuse_mm(mm);
	mmput(mm);
}

/*
 * After munmap the old address must fault even though this CPU's TLB
 * cached it a moment ago: unmap_range() must flush.  QEMU keeps a vCPU's
 * translations until it flushes, so a missing flush shows up as a read that
 * succeeds (from a frame that is free again).  BUG=unmap-no-flush.
 */
KTEST(munmap_flushes_tlb)
{
	struct mm_struct *mm = mm_alloc();
	char buf[8] = { 0 };
	unsigned long left;

	KASSERT(mm != NULL);
	KEXPECT_EQ(do_mmap_anon(mm, TEST_ADDR, PAGE_SIZE, PROT_READ | PROT_WRITE, true),
		   (long)TEST_ADDR);
	use_mm(mm);
	KEXPECT(copy_to_user((void *)TEST_ADDR, "stale", 6) == 0);	/* TLB now has it */
	KEXPECT(copy_from_user(buf, (void *)TEST_ADDR, 6) == 0);
	KEXPECT_EQ(do_munmap(mm, TEST_ADDR, PAGE_SIZE), 0);
	left = copy_from_user(buf, (void *)TEST_ADDR, 6);
	if (left != 6)
		ktest_fail(t, __FILE__, __LINE__,
			   "stale TLB entry: read %lu bytes (\"%s\") after munmap",
			   6 - left, buf);
	unuse_mm(mm);
	mmput(mm);
}

KTEST(kernel_page_tables_layout)
{
	pteval_t flags;

	KASSERT(follow_pte(&init_mm, (u64)kallsyms_lookup, NULL, &flags) == 0);
	KEXPECT(!(flags & _PAGE_RW) && !(flags & _PAGE_NX));	/* text: RX */
	KASSERT(follow_pte(&init_mm, (u64)&init_mm, NULL, &flags) == 0);
	KEXPECT((flags & _PAGE_RW) && (flags & _PAGE_NX));	/* data: RW NX */
	KASSERT(follow_pte(&init_mm, (u64)"rodata", NULL, &flags) == 0);
	KEXPECT(!(flags & _PAGE_RW) && (flags & _PAGE_NX));	/* rodata: RO NX */
	KEXPECT(follow_pte(&init_mm, PAGE_OFFSET + (max_pfn << PAGE_SHIFT) - 1, NULL, NULL) == 0);
	KEXPECT(read_cr0() & X86_CR0_WP);
	KEXPECT(rdmsr(MSR_EFER) & EFER_NXE);
}
