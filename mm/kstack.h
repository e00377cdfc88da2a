/*
 * kstack.h - kernel stacks with an unmapped guard page below each.
 *
 * Stacks live in their own region (KSTACK_START, like Linux's vmalloc'ed
 * stacks): slot i is [guard page][THREAD_SIZE of stack].  A stack overflow
 * touches the guard page: the CPU cannot push the #PF frame on the same
 * stack, so it raises #DF, which runs on its IST stack and reports
 * "kernel stack overflow" (kernel/traps.c) instead of corrupting memory.
 */
#ifndef MM_KSTACK_H
#define MM_KSTACK_H

#include "kernel/types.h"

#define KSTACK_START	0xffffc90000000000UL
#define THREAD_SIZE	(16 * 1024)
#define KSTACK_SLOT	(THREAD_SIZE + PAGE_SIZE)
#define KSTACK_SLOTS	1024
#define KSTACK_END	(KSTACK_START + KSTACK_SLOTS * KSTACK_SLOT)

void *alloc_kernel_stack(void);		/* lowest usable byte; NULL on failure */
void free_kernel_stack(void *stack);
bool kstack_guard_hit(u64 addr);	/* in a guard page (or the boot stack's) */
u64 nr_kernel_stacks(void);

#endif
