/*
 * memblock_test.c - the boot memory map: merging rules on a scratch copy,
 * and the real map's reservations.
 */
#include "kernel/ktest.h"
#include "kernel/layout.h"
#include "kernel/string.h"
#include "mm/memblock.h"

extern phys_addr_t boot_info_phys;

KTEST(memblock_real_map)
{
	KEXPECT(memblock_phys_mem_size() >= 16 << 20);
	KEXPECT(memblock_free_size() < memblock_phys_mem_size());
	KEXPECT(memblock_is_reserved(KERNEL_PHYS));
	KEXPECT(memblock_is_reserved(virt_to_phys(_end) - 1));
	KEXPECT(memblock_is_reserved(0));
	KEXPECT(memblock_is_reserved(boot_info_phys));
	KEXPECT(memblock_is_memory(KERNEL_PHYS));
}

KTEST(memblock_merges_and_aligns)
{
	static struct memblock saved;

	memcpy(&saved, &memblock, sizeof(saved));
	memblock.memory.cnt = memblock.reserved.cnt = 0;

	memblock_add(0x1000, 0x1000);
	memblock_add(0x3000, 0x1000);
	KEXPECT_EQ(memblock.memory.cnt, 2);
	memblock_add(0x2000, 0x1000);		/* fills the gap: one region */
	KEXPECT_EQ(memblock.memory.cnt, 1);
	KEXPECT_EQ(memblock.memory.regions[0].base, 0x1000);
	KEXPECT_EQ(memblock.memory.regions[0].size, 0x3000);
	memblock_add(0x1800, 0x100);		/* inside: no change */
	KEXPECT_EQ(memblock.memory.cnt, 1);
	memblock_add(0x10100, 0x1f00);		/* shrinks inwards to 1 page */
	KEXPECT_EQ(memblock.memory.cnt, 2);
	KEXPECT_EQ(memblock.memory.regions[1].base, 0x11000);
	KEXPECT_EQ(memblock.memory.regions[1].size, 0x1000);
	memblock_add(0x20100, 0x100);		/* less than a page: nothing */
	KEXPECT_EQ(memblock.memory.cnt, 2);
	memblock_reserve(0x1800, 0x100);	/* grows outwards to 1 page */
	KEXPECT_EQ(memblock.reserved.regions[0].base, 0x1000);
	KEXPECT_EQ(memblock.reserved.regions[0].size, 0x1000);
	KEXPECT_EQ(memblock_phys_mem_size(), 0x4000);
	KEXPECT_EQ(memblock_free_size(), 0x3000);
	KEXPECT(memblock_add(~0ULL - 0x10, 0x100) < 0);	/* wraps: refused */
	memblock_add(0, 0x100000);		/* swallows everything below */
	KEXPECT_EQ(memblock.memory.cnt, 1);

	memcpy(&memblock, &saved, sizeof(saved));
}

KTEST(memblock_table_full)
{
	static struct memblock saved;
	int err = 0;

	memcpy(&saved, &memblock, sizeof(saved));
	memblock.memory.cnt = 0;
	for (int i = 0; i < MEMBLOCK_MAX_REGIONS; i++)
		err |= memblock_add((phys_addr_t)i * 0x2000, 0x1000);
	KEXPECT_EQ(err, 0);
	KEXPECT_EQ(memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	KEXPECT(memblock_add(0x10000000, 0x1000) < 0);	/* reported, not overflowed */
	KEXPECT_EQ(memblock.memory.cnt, MEMBLOCK_MAX_REGIONS);
	KEXPECT_EQ(memblock_add(0x1000, 0x1000), 0);	/* a merge still works */
	memcpy(&memblock, &saved, sizeof(saved));
}
