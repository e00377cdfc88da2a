/*
 * memblock.h - the boot-time physical memory map (Linux's name).
 *
 * Two sorted, merged lists of physical ranges: "memory" (RAM the firmware
 * says is usable) and "reserved" (parts of it already in use: the first
 * MiB, the kernel image, the boot loader's information, modules).  The page
 * allocator of the memory issue takes memory minus reserved as its free
 * pages; nothing else allocates from it.
 *
 * Invariant: regions are page-aligned (memory shrinks inwards, reserved
 * grows outwards), sorted, non-overlapping and non-adjacent.
 */
#ifndef MM_MEMBLOCK_H
#define MM_MEMBLOCK_H

#include "kernel/types.h"

#define MEMBLOCK_MAX_REGIONS	128

struct memblock_region {
	phys_addr_t base;
	u64 size;
};

struct memblock_type {
	const char *name;
	unsigned int cnt;
	struct memblock_region regions[MEMBLOCK_MAX_REGIONS];
};

struct memblock {
	struct memblock_type memory;
	struct memblock_type reserved;
};

extern struct memblock memblock;

int memblock_add(phys_addr_t base, u64 size);
int memblock_reserve(phys_addr_t base, u64 size);
bool memblock_is_reserved(phys_addr_t addr);
bool memblock_is_memory(phys_addr_t addr);
u64 memblock_phys_mem_size(void);	/* sum of memory */
u64 memblock_free_size(void);		/* memory minus reserved */
void memblock_dump(void);
phys_addr_t memblock_alloc(u64 size, u64 align, phys_addr_t limit);
phys_addr_t memblock_end_of_ram(void);

struct boot_info;
void memblock_init_from_boot(const struct boot_info *bi, phys_addr_t info_phys);

#endif
