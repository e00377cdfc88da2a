/*
 * kstack.c - allocate and free guarded kernel stacks (see kstack.h).
 *
 * Freeing follows the rule every unmap must: remove the mappings, flush the
 * TLB, and only then give the frames back - the other order lets a stale TLB
 * entry write into a frame that already belongs to someone else.
 */
#include "mm/kstack.h"
#include "mm/mm.h"
#include "mm/page_alloc.h"
#include "mm/tlb.h"
#include "kernel/printk.h"
#include "kernel/layout.h"

#define STACK_PAGES	(THREAD_SIZE / PAGE_SIZE)

extern char boot_stack_guard[];
static u64 slot_used[KSTACK_SLOTS / 64];
static u64 nr_stacks;

static u64 slot_base(unsigned slot)
{
	return KSTACK_START + (u64)slot * KSTACK_SLOT;
}

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
	for (unsigned slot = 0; slot < KSTACK_SLOTS; slot++) {
		u64 stack;

		if (slot_used[slot / 64] & BIT(slot % 64))
			continue;
		stack = slot_base(slot) + PAGE_SIZE;	/* above the guard */
		for (unsigned i = 0; i < STACK_PAGES; i++) {
			struct page *page = alloc_pages(GFP_KERNEL, 0);

			if (!page || map_page(&init_mm, stack + i * PAGE_SIZE,
					      page_to_phys(page), PAGE_KERNEL)) {
				if (page)
					put_page(page);
				release(stack, i);
				return NULL;
			}
		}
		slot_used[slot / 64] |= BIT(slot % 64);
		nr_stacks++;
		return (void *)stack;
	}
	pr_err("kstack: all %d stack slots in use\n", KSTACK_SLOTS);
	return NULL;
}

void free_kernel_stack(void *stack)
{
	u64 s = (u64)stack;
	unsigned slot;

	if (s < KSTACK_START + PAGE_SIZE || s >= KSTACK_END ||
	    (s - KSTACK_START) % KSTACK_SLOT != PAGE_SIZE) {
		pr_err("free_kernel_stack: %p is not a kernel stack\n", stack);
		return;
	}
	slot = (s - KSTACK_START) / KSTACK_SLOT;
	if (!(slot_used[slot / 64] & BIT(slot % 64))) {
		pr_err("free_kernel_stack: %p freed twice\n", stack);
		return;
	}
	release(s, STACK_PAGES);
	slot_used[slot / 64] &= ~BIT(slot % 64);
	nr_stacks--;
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

u64 nr_kernel_stacks(void)
{
	return nr_stacks;
}
