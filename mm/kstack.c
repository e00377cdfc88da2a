/*
 * kstack.c - allocate and free guarded kernel stacks (see kstack.h).
 *
 * Freeing follows the rule every unmap must: remove the mappings, flush the
 * TLB, and only then give the frames back - the other order lets a stale TLB
 * entry write into a frame that already belongs to someone else.
 *
 * Locking.  Thread creation and join on every CPU allocate and free stacks
 * concurrently.  kstack_lock guards the slot bitmaps and nr_stacks: without
 * it, two CPUs scanning slot_used can both pick the same clear bit, map
 * their frames over each other's in one slot, and run two threads on one
 * stack.  A slot is claimed (slot_used set) under the lock before anything
 * is mapped in it and released only after everything in it is unmapped, so
 * its leaf page-table entries have exactly one owner at a time and are
 * edited outside the lock.  slot_live says the stack has been handed out:
 * it is set once the mapping is complete and cleared, under the lock, by
 * the free that wins, so a second free_kernel_stack() of the same stack -
 * even one racing the first on another CPU - is reported instead of
 * unmapping and freeing the frames twice.
 *
 * The intermediate tables (PUD, PMD, PT) are shared: one PT covers the
 * 2 MiB of about a hundred slots.  If two CPUs mapped into a region whose
 * PT does not exist yet, both would allocate one and the second set_pte()
 * would replace the first, leaving the first CPU's stack mapped in a table
 * no CPU walks (the first push hits a hole: "kernel stack overflow").  So
 * the claim also walks the new slot's pages with allocation on, under the
 * lock: missing tables are created there, one CPU at a time, and the
 * map_page() calls after it only fill leaf entries.  Kernel tables are
 * never freed, so a table seen present stays.  This is the one allocation
 * under kstack_lock; it happens a few times in a boot (the first stack in
 * each 2 MiB), and alloc_pages() does not sleep.
 *
 * kstack_lock is a plain spin_lock, interrupts left on: interrupt handlers
 * never allocate or free stacks, so none can deadlock on it, and only the
 * bitmap work is inside.  Mapping, and above all the unmap's TLB flush,
 * happen with no lock held: the flush will send IPIs to other CPUs and wait
 * for them, which needs interrupts on here and must not leave others
 * spinning on kstack_lock for the round trip (a CPU spinning with
 * interrupts off could never answer, and both would wait forever), and
 * stack allocation may later sleep.  Lock order: kstack_lock, then
 * zone_lock (the table walk allocates); see docs/locking.md.
 */
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/tlb.h"
#include "kernel/printk.h"
#include "kernel/layout.h"
#include "kernel/spinlock.h"
#include "kernel/errno.h"

#define STACK_PAGES	(THREAD_SIZE / PAGE_SIZE)

extern char boot_stack_guard[];
/* slot_used, slot_live and nr_stacks (see above) */
static DEFINE_SPINLOCK(kstack_lock);
static u64 slot_used[KSTACK_SLOTS / 64];	/* claimed: mapped, or being (un)mapped */
static u64 slot_live[KSTACK_SLOTS / 64];	/* handed out, not yet being freed */
static u64 nr_stacks;				/* slots claimed */

static u64 slot_base(unsigned slot)
{
	return KSTACK_START + (u64)slot * KSTACK_SLOT;
}

static bool slot_test(const u64 *map, unsigned slot)
{
	return map[slot / 64] & BIT(slot % 64);
}

/* Create the intermediate tables for slot's stack pages (kstack_lock held). */
static bool populate_tables(u64 stack)
{
	for (unsigned i = 0; i < STACK_PAGES; i++)
		if (!walk_page_table(&init_mm, stack + i * PAGE_SIZE, true, NULL))
			return false;
	return true;
}

/* Claim the lowest free slot, its page tables in place: 0 and *slot, or
 * -ENOSPC (every slot taken) or -ENOMEM (no memory for a table). */
static int claim_slot(unsigned *slot)
{
	unsigned n;
	int err = -ENOSPC;

	spin_lock(&kstack_lock);
	for (n = 0; n < KSTACK_SLOTS; n++)
		if (!slot_test(slot_used, n))
			break;
	if (n < KSTACK_SLOTS) {
		err = -ENOMEM;
		if (populate_tables(slot_base(n) + PAGE_SIZE)) {
			slot_used[n / 64] |= BIT(n % 64);
			nr_stacks++;
			*slot = n;
			err = 0;
		}
	}
	spin_unlock(&kstack_lock);
	return err;
}

/* Give back a slot whose pages are all unmapped, flushed and freed. */
static void release_slot(unsigned slot)
{
	spin_lock(&kstack_lock);
	slot_used[slot / 64] &= ~BIT(slot % 64);
	nr_stacks--;
	spin_unlock(&kstack_lock);
}

/* Unmap, flush, free frames; the slot stays claimed throughout. */
static void release(u64 stack, unsigned mapped)
{
	phys_addr_t frames[STACK_PAGES];

	for (unsigned i = 0; i < mapped; i++)
		follow_pte(&init_mm, stack + i * PAGE_SIZE, &frames[i], NULL);
	unmap_range(&init_mm, stack, stack + mapped * PAGE_SIZE);	/* + flush */
	for (unsigned i = 0; i < mapped; i++)
		put_page(phys_to_page(frames[i]));
}

void *alloc_kernel_stack(void)
{
	unsigned slot = 0;
	int err = claim_slot(&slot);
	u64 stack;

	if (err == -ENOSPC)
		pr_err("kstack: all %d stack slots in use\n", KSTACK_SLOTS);
	if (err)
		return NULL;
	stack = slot_base(slot) + PAGE_SIZE;	/* above the guard */
	for (unsigned i = 0; i < STACK_PAGES; i++) {
		struct page *page = alloc_pages(GFP_KERNEL, 0);

		if (!page || map_page(&init_mm, stack + i * PAGE_SIZE,
				      page_to_phys(page), PAGE_KERNEL)) {
			if (page)
				put_page(page);
			release(stack, i);
			release_slot(slot);
			return NULL;
		}
	}
	spin_lock(&kstack_lock);
	slot_live[slot / 64] |= BIT(slot % 64);
	spin_unlock(&kstack_lock);
	return (void *)stack;
}

void free_kernel_stack(void *stack)
{
	u64 s = (u64)stack;
	unsigned slot;
	bool live;

	if (s < KSTACK_START + PAGE_SIZE || s >= KSTACK_END ||
	    (s - KSTACK_START) % KSTACK_SLOT != PAGE_SIZE) {
		pr_err("free_kernel_stack: %p is not a kernel stack\n", stack);
		return;
	}
	slot = (s - KSTACK_START) / KSTACK_SLOT;
	/* test and clear in one section: of two racing frees, one wins */
	spin_lock(&kstack_lock);
	live = slot_test(slot_live, slot);
	slot_live[slot / 64] &= ~BIT(slot % 64);
	spin_unlock(&kstack_lock);
	if (!live) {
		pr_err("free_kernel_stack: %p freed twice\n", stack);
		return;
	}
	release(s, STACK_PAGES);	/* no lock: the flush waits for other CPUs */
	release_slot(slot);
}

bool kstack_guard_hit(u64 addr)
{
	u64 guard = (u64)boot_stack_guard;

	if (addr >= guard && addr < guard + PAGE_SIZE)
		return true;
	if (addr < KSTACK_START || addr >= KSTACK_END)
		return false;
	return (addr - KSTACK_START) % KSTACK_SLOT < PAGE_SIZE;
}

/* Read without the lock: a snapshot, stale as soon as it is returned. */
u64 nr_kernel_stacks(void)
{
	return READ_ONCE(nr_stacks);
}
