/*
 * layout.h - where things live in physical and virtual memory.
 *
 * Virtual address space (4-level paging, 48-bit):
 *   0x0000000000000000 .. 0x00007fffffffffff   user half (empty until ring 3)
 *   0xffff800000000000 .. +4 GiB (boot)         direct map of physical memory
 *                                               (PAGE_OFFSET + phys == virt)
 *   0xffffffff80000000 ..                       kernel image (KERNEL_VMA + phys)
 *
 * The boot code maps the first 4 GiB of physical memory three times: identity
 * (only until kmain drops it), the direct map, and the kernel image window.
 * The memory issue replaces these tables with the final kernel page tables.
 *
 * Usable from assembly (no C in the __ASSEMBLY__ part).
 */
#ifndef KERNEL_LAYOUT_H
#define KERNEL_LAYOUT_H

#define KERNEL_PHYS	0x200000
#define KERNEL_VMA	0xffffffff80000000
#define PAGE_OFFSET	0xffff800000000000
#define BOOT_DIRECT_MAP_SIZE	0x100000000	/* 4 GiB mapped by boot/entry.S */

/*
 * Top of the user half: Linux's value for 4-level paging, one page short of
 * the canonical hole, because SYSRET to a non-canonical RIP faults in ring 0
 * on Intel CPUs (the ring-3 issue documents the bug).
 */
#define TASK_SIZE_MAX	0x00007ffffffff000

#define PAGE_SHIFT	12
#define PAGE_SIZE	4096

#define BOOT_STACK_SIZE	(16 * 1024)

/* GDT selectors: the same numbers as Linux (arch/x86/include/asm/segment.h)
 * so that SYSCALL/SYSRET's fixed selector arithmetic works later:
 * SYSRET loads CS = STAR[63:48] + 16 and SS = STAR[63:48] + 8. */
#define GDT_ENTRY_KERNEL_CS	2
#define GDT_ENTRY_KERNEL_DS	3
#define GDT_ENTRY_USER32_CS	4
#define GDT_ENTRY_USER_DS	5
#define GDT_ENTRY_USER_CS	6
#define GDT_ENTRY_TSS		8	/* a 16-byte system descriptor: 8 and 9 */
#define GDT_ENTRIES		10
#define __KERNEL_CS	(GDT_ENTRY_KERNEL_CS * 8)
#define __KERNEL_DS	(GDT_ENTRY_KERNEL_DS * 8)
#define __USER32_CS	(GDT_ENTRY_USER32_CS * 8 + 3)
#define __USER_DS	(GDT_ENTRY_USER_DS * 8 + 3)
#define __USER_CS	(GDT_ENTRY_USER_CS * 8 + 3)
#define __TSS_SEL	(GDT_ENTRY_TSS * 8)

#ifndef __ASSEMBLY__
#include "kernel/types.h"

static inline void *phys_to_virt(phys_addr_t pa)
{
	return (void *)(pa + PAGE_OFFSET);
}

/* Only valid for direct-map and kernel-image addresses. */
static inline phys_addr_t virt_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (v >= KERNEL_VMA)
		return v - KERNEL_VMA;
	return v - PAGE_OFFSET;
}

extern char __boot_start[], __boot_end[], _text[], _etext[], _end[];
extern char __entry_text_start[], __entry_text_end[];
extern char __start_rodata[], __end_rodata[], _sdata[], __bss_start[], __bss_stop[];
#endif

#endif
